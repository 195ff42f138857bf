"""Chat transcripts graded end to end: the homework's own transcript, every export format, planted errors."""
import re
import shutil
from functools import lru_cache
from pathlib import Path

import pytest

from grader.pipeline import grade_path
from tests import chat_formats as cf
from tests.chat_helpers import SEED, answers
from tests.conftest import IN_CI

PROBLEMS = ("pca_autoencoder", "resnet_blog", "seq2seq_translation", "regularized_autoencoder")
BWRAP = shutil.which("bwrap") is not None


def submit(tmp_path: Path, name: str, text: str, student: str = "student") -> Path:
    folder = tmp_path / student
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def parts(report) -> dict:
    return {f"{p.problem}.{p.part}": (p.status, p.score) for p in report.parts}


def test_the_homework_transcript_grades_as_its_annotator_judged(tmp_path):
    """Every answer the annotator marked right is graded right; the free responses wait for a TA."""
    if not SEED.is_file():
        if IN_CI:
            pytest.fail(f"the homework transcript {SEED} is missing")
        pytest.skip("no ../shared/seeds beside this checkout")
    report = grade_path(submit(tmp_path, "transcript.md", SEED.read_text(encoding="utf-8")), use_bwrap=BWRAP)
    got = parts(report)
    right = {"pca_autoencoder.grad_W1": 3, "pca_autoencoder.grad_W2": 3, "pca_autoencoder.first_order_conditions": 4,
             "resnet_blog.baseline": 3, "resnet_blog.final": 3, "seq2seq_translation.training_decoder_inputs": 3,
             "seq2seq_translation.evaluation_decoder_inputs": 3, "regularized_autoencoder.num_linear_layers": 1,
             "regularized_autoencoder.loss_function": 1, "regularized_autoencoder.needed_to_optimize_exactly": 5,
             "regularized_autoencoder.orthonormal_bias": 1}
    assert {k: got[k] for k in right} == {k: ("passed", v) for k, v in right.items()}
    pending = ("pca_autoencoder.pca_argument", "resnet_blog.learned", "resnet_blog.most_interesting",
               "seq2seq_translation.vertical_stacking_problem", "regularized_autoencoder.orthonormal_argument")
    assert {got[k][0] for k in pending} == {"pending"}
    # Code cannot come from a chat; the derivation checks (0 points) flag the trace slip the annotator missed.
    assert got["pca_autoencoder.derivations"] == ("wrong", 0)
    assert report.score == sum(right.values())
    assert not report.staff_notes


@lru_cache(maxsize=None)
def _graded(fmt: str, chat: tuple, tmp: str) -> tuple:
    name, text = cf.FORMATS[fmt]() if chat == cf.CHAT else _written(fmt, chat)
    report = grade_path(submit(Path(tmp), name, text, f"s{abs(hash((fmt, chat)))}"), use_bwrap=BWRAP)
    return report


def _written(fmt: str, chat: tuple) -> tuple:
    if fmt.startswith("markdown-"):
        return "transcript.md", cf.markdown(fmt[len("markdown-"):], chat)
    return {"chatgpt-json": ("conversations.json", cf.chatgpt_json(chat)),
            "claude-json": ("conversations.json", cf.claude_json(chat)),
            "html": ("transcript.html", cf.saved_page(chat))}[fmt]


EXPECTED = {
    "pca_autoencoder.grad_W1": ("passed", 3), "pca_autoencoder.grad_W2": ("passed", 3),
    "pca_autoencoder.first_order_conditions": ("passed", 4), "pca_autoencoder.pca_argument": ("pending", 0),
    "pca_autoencoder.derivations": ("passed", 0),
    "resnet_blog.baseline": ("passed", 3), "resnet_blog.final": ("passed", 3), "resnet_blog.learned": ("pending", 0),
    "seq2seq_translation.vertical_stacking_problem": ("pending", 0),
    "seq2seq_translation.training_decoder_inputs": ("passed", 3),
    "seq2seq_translation.evaluation_decoder_inputs": ("passed", 3),
    "regularized_autoencoder.num_linear_layers": ("passed", 1), "regularized_autoencoder.loss_function": ("passed", 1),
    "regularized_autoencoder.needed_to_optimize_exactly": ("passed", 5),
    "regularized_autoencoder.orthonormal_bias": ("passed", 1),
    "regularized_autoencoder.orthonormal_argument": ("pending", 0),
}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["markdown-cursor", "chatgpt-json", "claude-json", "html"])
def test_each_kind_of_export_with_the_same_answers_gets_the_same_scores(fmt, tmp_path_factory):
    report = _graded(fmt, cf.CHAT, str(tmp_path_factory.getbasetemp()))
    got = parts(report)
    assert {k: got[k] for k in EXPECTED} == EXPECTED
    assert got == parts(_graded("markdown-cursor", cf.CHAT, str(tmp_path_factory.getbasetemp())))
    assert report.transcript.format == {"markdown-cursor": "markdown", "chatgpt-json": "chatgpt-json",
                                        "claude-json": "claude-json", "html": "html"}[fmt]


def _normalized(found: dict) -> dict:
    """The answers with spacing normalized; the derivation data by its equations (turn numbers vary by format)."""
    out = {k: " ".join(v.split()) if isinstance(v, str) else v for k, v in found.items() if not k.startswith("_")}
    for k, v in out.items():
        if ":" in k:
            out[k] = [(eq["part"], eq["inline"], tuple(eq["sides"])) for eq in v]
    return out


@pytest.mark.parametrize("fmt", sorted(cf.FORMATS))
def test_every_format_reads_the_same_answers(fmt):
    name, text = cf.FORMATS[fmt]()
    base_name, base = cf.FORMATS["markdown-cursor"]()
    for problem in PROBLEMS:
        got, want = _normalized(answers(text, problem, name)), _normalized(answers(base, problem, base_name))
        if fmt == "html":  # a page joins the lines of a paragraph; the free responses differ only in that
            got = {k: v for k, v in got.items() if not isinstance(v, str) or len(v) < 200}
            want = {k: v for k, v in want.items() if not isinstance(v, str) or len(v) < 200}
        assert got == want, (fmt, problem)


def test_the_issue_s_plain_answer_under_evaluation_tokens_is_read():
    """'**Answer: <sos>, I, saw, a, dog**' under 'Part (c): Evaluation tokens', in a reply that never says
    'machine translation', is the evaluation answer."""
    text = ("**User**\n\nThe decoder of my RNN encoder-decoder: which tokens go into w1..w5 at evaluation time?\n\n"
            "**Assistant**\n\nPart (c): Evaluation tokens\n\n**Answer: <sos>, I, saw, a, dog**\n")
    assert answers(text, "seq2seq_translation")["evaluation_decoder_inputs"] == ["<sos>", "I", "saw", "a", "dog"]


# ---------------------------------------------------------------- planted errors, each caught

def _one(chat: tuple, problem: str, tmp_path) -> object:
    return grade_path(submit(tmp_path, "transcript.md", cf.markdown("cursor", chat)), problems=(problem,),
                      use_bwrap=BWRAP)


def test_a_wrong_token_at_w3_is_caught(tmp_path):
    chat = cf.replace_reply(5, "**Answer: <sos>, I, saw, a, dog**", "**Answer: <sos>, I, see, a, dog**")
    got = parts(_one(chat, "seq2seq_translation", tmp_path))
    assert got["seq2seq_translation.evaluation_decoder_inputs"] == ("wrong", 0)
    assert got["seq2seq_translation.training_decoder_inputs"] == ("passed", 3)


def test_a_sign_slip_in_one_step_of_a_chain_is_caught(tmp_path):
    chat = cf.replace_reply(1, r"= 2 W_2^\top (W_2 W_1 - I) X X^\top$$", r"= 2 W_2^\top (W_2 W_1 + I) X X^\top$$")
    report = _one(chat, "pca_autoencoder", tmp_path)
    check = next(c for c in report.checks if c.claim == "derivation_steps_about_the_gradients_hold")
    assert check.status == "wrong"
    assert check.message.startswith("1 of the 4 derivation steps about the gradients and conditions (part (i)) do not "
                                    "hold:\n" r"turn 2, part (i): `-2 W_2^\top (X - W_2 W_1 X) X^\top` = "
                                    r"`2 W_2^\top (W_2 W_1 + I) X X^\top` does not hold: the two sides differ at m=2")
    fails = [m for m in report.transcript.marks if m.verdict == "fails"]
    assert len(fails) == 1 and report.transcript.turns[fails[0].turn].text[fails[0].start:fails[0].end] == \
        r"2 W_2^\top (W_2 W_1 + I) X X^\top"


def test_a_dropped_transpose_in_one_step_is_caught(tmp_path):
    chat = cf.replace_reply(1, r"= U_k U_k^\top U_k D_k = U_k D_k", r"= U_k U_k U_k^\top D_k = U_k D_k")
    report = _one(chat, "pca_autoencoder", tmp_path)
    check = next(c for c in report.checks if c.claim == "derivation_steps_of_the_pca_argument_hold")
    assert check.status == "wrong"
    assert "`U_k U_k^\\top X X^\\top U_k` = `U_k U_k U_k^\\top D_k` does not hold: its right side cannot be " \
           "evaluated: these matrices cannot be multiplied: 'U_k' is m×k but 'U_k' is m×k" in check.message
    assert report.transcript.count("fails") == 2  # that step, and the next one, from the same side


def test_34_seconds_as_the_final_time_is_caught(tmp_path):
    chat = cf.replace_reply(3, "takes **26 s** on one V100", "takes **34 s** on one V100")
    got = parts(_one(chat, "resnet_blog", tmp_path))
    assert got["resnet_blog.final"][1] < 3 and got["resnet_blog.baseline"] == ("passed", 3)


def test_a_revision_that_replaces_a_right_answer_by_a_wrong_one_is_graded_and_shown(tmp_path):
    chat = cf.CHAT + (("user", "Are you sure about the training tokens of part (b)?"),
                      ("assistant", "You are right to ask; let me correct part (b).\n\n### Part (b): training tokens\n\n"
                                    "**Answer: <sos>, I, saw, a, dog**"))
    report = _one(chat, "seq2seq_translation", tmp_path)
    assert parts(report)["seq2seq_translation.training_decoder_inputs"] == ("wrong", 0)
    note = next(n for n in report.notes if "training_decoder_inputs: answered 2 times" in n)
    assert re.search(r"graded the last, in turn 10 .*: \[<sos>, I, saw, a, dog\] \(a later answer revises an earlier "
                     r"one\); superseded: turn 6: \[<sos>, I, see, a, dog\]", note)
    marks = {m.verdict for m in report.transcript.marks if m.part == "training_decoder_inputs"}
    assert marks == {"graded", "superseded"}


def test_a_file_in_no_format_the_grader_reads_says_which_it_reads(tmp_path):
    report = grade_path(submit(tmp_path, "conversations.json", '{"messages": [{"role": "user"}]}'),
                        problems=("seq2seq_translation",), use_bwrap=BWRAP)
    assert report.kind == "unreadable"
    assert report.load_error.startswith("conversations.json is not a chat export the grader can read: it is JSON, but "
                                        "neither ChatGPT's export")
    assert "Claude's export (conversations.json with 'chat_messages')" in report.load_error
    assert {c.status for c in report.checks} == {"not_answered"}

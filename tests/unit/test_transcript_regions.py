"""A chat cut into one region per problem from the problems' declarations, in any order and any number of turns."""
from dataclasses import replace

from grader.extract import extract_answers
from grader.model import Submission
from grader.problem import Problem, Recognize
from grader.transcripts.regions import Segment, blocks, sections, split
from tests.chat_helpers import SEED, chat, problems, region


def turns_of(text: str) -> dict:
    return {name: [s.number for s in r.segments] for name, r in split(chat(text), problems()).items()}


def test_the_homework_transcript_is_cut_by_conversation():
    if not SEED.is_file():
        return
    assert turns_of(SEED.read_text(encoding="utf-8")) == {
        "pca_autoencoder": [2, 4, 6], "regularized_autoencoder": [12], "resnet_blog": [8], "seq2seq_translation": [10]}


def test_one_reply_answering_several_problems_is_cut_at_its_headings():
    text = ("**User**\n\nHere are questions 4 and the machine translation one.\n\n**Assistant**\n\n"
            "## How to train your ResNet\n\n**Final:** 26 s at 94%.\n\n"
            "## Machine translation\n\n### Part (c): Evaluation tokens\n\n**Answer: <sos>, I, saw, a, dog**\n")
    r = split(chat(text), problems())
    assert r["resnet_blog"].text.startswith("## How to train your ResNet") and "sos" not in r["resnet_blog"].text
    assert r["seq2seq_translation"].text.startswith("## Machine translation")


def test_questions_may_come_in_any_order_and_follow_ups_stay_with_their_problem():
    text = ("**User**\n\nThe l2-regularized autoencoder first: how many linear layers?\n\n**Assistant**\n\nAnswer: 2\n\n"
            "**User**\n\nNow PCA: the first-order conditions of the linear autoencoder.\n\n**Assistant**\n\n"
            "$$W_2^\\top W_2 W_1 X X^\\top = W_2^\\top X X^\\top$$\n\n**User**\n\nAre you sure?\n\n**Assistant**\n\n"
            "Yes, and setting both gradients to zero gives the same.\n")
    assert turns_of(text) == {"pca_autoencoder": [4, 6], "regularized_autoencoder": [2], "resnet_blog": [],
                              "seq2seq_translation": []}


def test_a_numbered_question_no_problem_recognizes_ends_the_region():
    text = "How many linear layers do you need?\nAnswer: 2\n\nQuestion 5: something else\nAnswer: nn.L1Loss\n"
    assert region(text, "regularized_autoencoder").text.rstrip().endswith("Answer: 2")


def test_a_new_conversation_starts_without_a_problem():
    text = ("**User**\n\nPCA first-order conditions?\n\n**Assistant**\n\nSee above.\n\nSecond chat\n\n"
            "Exported on 12/3/2025 from Cursor\n\n**User**\n\nhello\n\n**Assistant**\n\nHi! How can I help?\n")
    assert turns_of(text)["pca_autoencoder"] == [2]


def test_grading_one_problem_does_not_hand_it_another_s_replies():
    text = ("**User**\n\nPCA: the first-order conditions?\n\n**Assistant**\n\n### Part (ii)\n\nThe principal components "
            "satisfy them.\n\n**User**\n\nThe regularized one: is W_2 nearly orthonormal with weight decay?\n\n"
            "**Assistant**\n\n### Part (ii)\n\nYes, weight decay balances the singular values of the principal components.\n")
    pca = next(p for p in problems() if p.name == "pca_autoencoder")
    sub = Submission("s", None, "transcript", chat=chat(text))
    alone = dict(extract_answers(sub, (pca,)).static_answers)
    together = dict(extract_answers(sub, problems()).static_answers)
    assert alone["pca_argument"] == together["pca_argument"] and "weight decay" not in alone["pca_argument"]


def test_a_problem_without_a_declaration_gets_no_region():
    plain = replace(problems()[0], recognize=None)
    assert plain.name not in split(chat("**User**\nPCA?\n**Assistant**\nyes"), (plain,))


def test_recognize_refuses_a_bad_pattern_or_label():
    import pytest

    from grader.errors import ConfigError

    with pytest.raises(ConfigError, match="is not a regular expression"):
        Recognize(topics=("(",))
    with pytest.raises(ConfigError, match="a part label is a short lowercase label"):
        Recognize(parts=("Part B",))
    assert Problem("p", "P", ()).recognize is None


def test_blocks_and_sections():
    text = "intro\n### Part (a): first\ntext a\n\n(b) second\n**Answer:** x\n\nSetup\n\nplain"
    assert [h for _, _, h in blocks(text)] == ["", "### Part (a): first", "(b) second", "Setup"]
    assert [(label, piece.text.split("\n")[0]) for label, piece in sections(Segment(0, 10, text))] == [
        (None, "intro"), ("a", "### Part (a): first"), ("b", "(b) second")]
    assert sections(Segment(0, 10, text))[1][1].start == 10 + text.index("### Part (a)")

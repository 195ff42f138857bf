"""Nothing a student sees before grades are out names an accepted answer or holds a rubric.

What is looked for comes from the engine (grader.secrets): every problem's accepted answers, from its
reference module's accepted_texts(), and every rubric. Where it is looked for: `grader problems`, the
statements, the template, and what a student's `grader check` prints and its --html report, on every example
submission (most of them wrong answers), plus a graded report made with --before-due.

A check's message may echo the student's own answer to its part (on its "got: " line, or quoted), and the
report may quote the student's own text (notes on a transcript, free responses, what the code printed): a secret found there is
the student's, not ours. Anything else that names an accepted value is a leak.
"""
from __future__ import annotations

import ast
import html
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pytest
from markupsafe import escape

from grader import secrets
from grader.extract import extract_answers
from grader.load import load
from grader.pipeline import RunConfig, grade_submission, load_problems
from grader.problem import discover
from grader.report import console_table, render_html, results_json, student_message, write_outputs
from grader.sandbox import SandboxConfig
from grader.staff.views import write_batch_views
from tests.conftest import EXAMPLES, ROOT

PROBLEMS = discover()
SECRETS = secrets.secrets(PROBLEMS)
CASES = sorted(p for p in EXAMPLES.glob("*/*") if p.is_dir())


def leaks(text: str, among=SECRETS) -> list[str]:
    """What of `among` occurs in `text`, as 'problem.part (kind): text' lines."""
    return [f"{s.where}: {s.text!r}" for s in secrets.find_leaks(text, among)]


# ---------------------------------------------------------------- what is looked for

def test_the_list_covers_every_problem_and_the_ways_students_write_answers():
    print(f"{len(SECRETS)} texts looked for:\n{secrets.describe(SECRETS)}")  # shown with -s or on failure
    texts = {(s.problem, s.part): set() for s in SECRETS}
    for s in SECRETS:
        texts[(s.problem, s.part)].add(s.text)
    assert {s.problem for s in SECRETS} == {p.name for p in PROBLEMS}
    for problem in PROBLEMS:  # every rubric is looked for, whole
        for part in problem.parts:
            if part.rubric:
                assert part.rubric in texts[(problem.name, part.name)]
    final = texts[("resnet_blog", "final")]
    assert {"26 s", "26 seconds", "0.43 min", "0.94", "94%", "94.1%"} <= final
    assert {"5:41", "341 s", "5 min 41 s", "356 seconds", "297 s"} <= texts[("resnet_blog", "baseline")]
    assert texts[("seq2seq_translation", "training_decoder_inputs")] == {"<sos> I see a dog"}
    assert texts[("seq2seq_translation", "evaluation_decoder_inputs")] == {"<sos> I saw a dog"}
    assert {"2*W2.T*(W2*W1 - I)*X*X.T", r"2W_2^\top (W_2 W_1 - I) X X^\top"} <= texts[("pca_autoencoder", "grad_W1")]
    assert {"2*(W2*W1 - I)*X*X.T*W1.T", r"2(W_2 W_1 - I) X X^\top W_1^\top"} <= texts[("pca_autoencoder", "grad_W2")]
    assert "loss_function = nn.MSELoss" in texts[("regularized_autoencoder", "loss_function")]


# ---------------------------------------------------------------- texts every student gets

def test_grader_problems_names_no_accepted_answer():
    proc = subprocess.run([sys.executable, "-m", "grader", "problems"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert leaks(proc.stdout) == []


@pytest.mark.parametrize("problem", PROBLEMS, ids=[p.name for p in PROBLEMS])
def test_statements_name_no_accepted_answer(problem):
    assert problem.statement and leaks(problem.statement) == []


def test_the_template_names_no_accepted_answer():
    assert leaks((ROOT / "submissions" / "template" / "answers.py").read_text(encoding="utf-8")) == []


# ---------------------------------------------------------------- a student's own run

def _flat(value) -> str:
    """A plain answer as the text it holds (strings as written, containers item by item)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(f"{k}: {_flat(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return " ".join(_flat(v) for v in value)
    return repr(value)


def own_answers(folder: Path, problems) -> dict[str, str]:
    """The student's answer to each part, as text: literals assigned in answers.py or a notebook (read with
    ast.literal_eval, never run), or the answers found in a transcript."""
    with tempfile.TemporaryDirectory() as scratch:
        sub = extract_answers(load(folder, Path(scratch)), problems)
    values = dict(sub.static_answers)
    for _, source in sub.cells:
        try:
            with warnings.catch_warnings():  # LaTeX in a non-raw string: the example means it
                warnings.simplefilter("ignore", (SyntaxWarning, DeprecationWarning))
                tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                try:
                    values[node.targets[0].id] = ast.literal_eval(node.value)
                except ValueError:
                    continue  # computed, not a literal: nothing to excuse
    return {name: _flat(value) for name, value in values.items()}


def own_text(folder: Path) -> str:
    """Everything the student wrote in the submission folder."""
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.rglob("*")) if p.is_file())


def not_excused(found, echo: str) -> list:
    """The secrets in `found` that the student's own `echo` does not hold."""
    return [s for s in found if not s.pattern.search(secrets.fold(echo))]


def page_without(page: str, report) -> str:
    """report.html as text, less its check messages (scanned on their own) and the student's own sections."""
    for c in report.checks:
        message = student_message(c, report.after_due_feedback)
        if message:
            page = page.replace(str(escape(message)), "")
    page = re.sub(r'<section class="response".*?</section>|<pre id="output">.*?</pre>', "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "\n", page))


def scan_report(report, folder: Path, problem_secrets, own: dict[str, str]) -> list[str]:
    """Every leak in what the student sees of `report`: its messages, the console table, report.html, results.json."""
    found = []
    for c in report.checks:
        message = student_message(c, report.after_due_feedback)
        # A "got: " line is the student's answer as the grader read it (Wrong(got=...)), perhaps normalized.
        said = "\n".join(line for line in message.splitlines() if not line.startswith("got: "))
        for s in not_excused(secrets.find_leaks(said, problem_secrets), own.get(c.part, "")):
            found.append(f"{c.name}: {s.where}: {s.text!r}\n  in: {message[:300]!r}")
    messages = {student_message(c, report.after_due_feedback) for c in report.checks}
    table = "\n".join(line for line in console_table(report).splitlines()
                      if not any(line.strip() and line.strip() in m for m in messages if m))
    rest = {"console": table, "report.html": page_without(render_html(report), report),
            # escaped HTML: read as the student's browser shows it
            "results.json overall output": html.unescape(results_json(report)["output"])}
    written = own_text(folder)
    for where, text in rest.items():
        for s in not_excused(secrets.find_leaks(text, problem_secrets), written):
            found.append(f"{where}: {s.where}: {s.text!r}")
    return found


def sandbox() -> SandboxConfig:
    return SandboxConfig(use_bwrap=shutil.which("bwrap") is not None)


@pytest.mark.slow
@pytest.mark.parametrize("folder", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_a_students_check_names_no_accepted_answer_nor_rubric(folder):
    """`grader check` on each example: console and --html report (the same report, rendered twice)."""
    problems = load_problems((folder.parent.name,))
    config = RunConfig("check", (folder.parent.name,), sandbox(), "public")
    report = grade_submission(folder, problems, config)
    mine = tuple(s for s in SECRETS if s.problem == folder.parent.name)  # a figure of another problem is chance
    assert scan_report(report, folder, mine, own_answers(folder, problems)) == []


BEFORE_DUE = [EXAMPLES / "seq2seq_translation" / "tokens_swapped", EXAMPLES / "resnet_blog" / "wrong_34s_without_tta",
              EXAMPLES / "resnet_blog" / "wrong_swapped_baseline_and_final",
              EXAMPLES / "regularized_autoencoder" / "wrong_multiple_choice", EXAMPLES / "pca_autoencoder" / "grad_swapped"]


@pytest.mark.slow
@pytest.mark.parametrize("folder", BEFORE_DUE, ids=[f"{p.parent.name}/{p.name}" for p in BEFORE_DUE])
def test_a_report_graded_before_the_due_date_names_no_accepted_answer(folder):
    problems = load_problems((folder.parent.name,))
    config = RunConfig("grade", (folder.parent.name,), sandbox(), "test-secret", before_due=True)
    report = grade_submission(folder, problems, config)
    assert any(c.visibility != "public" for c in report.checks)
    mine = tuple(s for s in SECRETS if s.problem == folder.parent.name)
    assert scan_report(report, folder, mine, own_answers(folder, problems)) == []


@pytest.mark.parametrize("folder, expected", [
    (EXAMPLES / "seq2seq_translation" / "tokens_swapped", {"<sos> I see a dog", "<sos> I saw a dog"}),
    (EXAMPLES / "resnet_blog" / "wrong_swapped_baseline_and_final", {"341 s", "26 s"}),
], ids=["seq2seq_translation/tokens_swapped", "resnet_blog/wrong_swapped_baseline_and_final"])
def test_the_scan_finds_the_answers_a_report_after_the_due_date_names(folder, expected):
    """The scan has teeth: feedback after grading names accepted values, and the scan finds them."""
    problems = load_problems((folder.parent.name,))
    report = grade_submission(folder, problems, RunConfig("grade", (folder.parent.name,), sandbox(), "test-secret"))
    mine = tuple(s for s in SECRETS if s.problem == folder.parent.name)
    found = scan_report(report, folder, mine, own_answers(folder, problems))
    assert {text for text in expected if any(repr(text) in f for f in found)} == expected


MANUAL = [EXAMPLES / "seq2seq_translation" / "tokens_swapped", EXAMPLES / "resnet_blog" / "correct_numbers",
          EXAMPLES / "regularized_autoencoder" / "wrong_multiple_choice", EXAMPLES / "pca_autoencoder" / "grad_factor"]


@pytest.mark.parametrize("folder", MANUAL, ids=[f"{p.parent.name}/{p.name}" for p in MANUAL])
def test_a_graded_report_after_the_due_date_holds_no_rubric(folder):
    """After grading a report may show expected values (feedback), but rubrics stay on the staff page."""
    problems = load_problems((folder.parent.name,))
    report = grade_submission(folder, problems, RunConfig("grade", (folder.parent.name,), sandbox(), "test-secret"))
    assert any(p.rubric and p.pending for p in report.parts)  # the report knows a rubric...
    rubrics = tuple(s for s in SECRETS if s.kind == secrets.RUBRIC)
    shown = render_html(report) + console_table(report) + str(results_json(report))
    assert leaks(html.unescape(shown), rubrics) == []  # ...and shows none of it


def test_the_class_pages_hold_no_rubric(tmp_path):
    """summary.html and index.html are the TA's (not handed back), yet rubrics stay on the staff page only.

    The class report quotes the messages students got (scanned, as students see them, with each report above);
    what the pages add of their own holds no rubric."""
    reports = [grade_submission(f, load_problems((f.parent.name,)),
                                RunConfig("grade", (f.parent.name,), sandbox(), "test-secret")) for f in MANUAL]
    write_outputs(reports, tmp_path)
    write_batch_views(reports, tmp_path)
    rubrics = tuple(s for s in SECRETS if s.kind == secrets.RUBRIC)
    assert leaks(html.unescape((tmp_path / "_staff" / "manual.html").read_text()), rubrics) != []  # the scan has teeth
    for name in ("summary.html", "index.html"):
        page = (tmp_path / name).read_text(encoding="utf-8")
        for c in (c for r in reports for c in r.checks if c.message):  # messages: scanned with each report, above
            page = page.replace(str(escape(c.message)), "")
        assert leaks(html.unescape(page), rubrics) == [], name


def test_grader_check_html_on_swapped_tokens_names_neither_token_list(tmp_path):
    """The issue's case: `grader check` on a wrong token list printed the accepted list and "so w3 is 'see'"."""
    folder = EXAMPLES / "seq2seq_translation" / "tokens_swapped"
    page = tmp_path / "report.html"
    proc = subprocess.run([sys.executable, "-m", "grader", "check", str(folder), "--problem", "seq2seq_translation",
                           "--html", str(page)] + ([] if shutil.which("bwrap") else ["--no-sandbox"]),
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1, proc.stderr
    assert "teacher forcing" in proc.stdout and "w3 is" not in proc.stdout + page.read_text()
    for text in (proc.stdout, html.unescape(page.read_text())):
        body = "\n".join(line for line in text.splitlines() if not line.strip().startswith("got: "))
        assert leaks(body) == []  # the only token lists shown are the student's own, on their got: lines

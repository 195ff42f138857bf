"""Hostile transcripts: any text gives a chat or a clear refusal, and every extractor a result, within limits."""
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.errors import SubmissionError
from grader.extract import extract_answers
from grader.model import Submission
from grader.report import STATUS_WORDS
from grader.transcripts.formats import html_chat, read_chat
from grader.transcripts.marks import Mark, Transcript, render_transcript
from problems.pca_autoencoder import derivations as dv
from tests.chat_helpers import problems

FAST = settings(max_examples=40, deadline=3000, suppress_health_check=[HealthCheck.too_slow])

# Pieces a chat is made of: role lines, headings, answer lines, math, tables, markup, and stray delimiters.
PIECES = st.sampled_from([
    "**User**", "**Assistant**", "User:", "Cursor", "## ChatGPT", "Human:", "Part (b): ", "(ii) ", "### Part (c)",
    "Answer: ", "**Answer:** ", "<sos>, I, saw, a, dog", "| w1 | <sos> |", "Baseline: 341 s", "Final: 26 s, 94%",
    "$$", "$", "\\[", "\\]", "\\(", "=", " = ", "W_2^\\top", "U_k", "X X^\\top", "\\frac{\\partial \\mathcal{L}}{\\partial W_1}",
    "\\begin{pmatrix}", "\\end{pmatrix}", "&", "\\\\", "{", "}", "(", ")", "\\text{tr}(", "\\|", "\\|_F^2", "\\tag{Condition 1}",
    "PCA", "principal component", "weight decay", "ResNet", "machine translation", "Yes.", "orthonormal?", "\n", "\n\n",
    "```", "Exported on 1/1/2025 from Cursor", "λ", "I_{m-k}", "0", ":=", "\\boxed{", "\t", "Question 5:"])
CHATS = st.lists(st.one_of(PIECES, st.text(max_size=20)), max_size=60).map("".join)


def _extract(text: str):
    try:
        chat = read_chat("transcript.md", text)
    except SubmissionError:
        return None  # a clear refusal is a report too
    sub = extract_answers(Submission("fuzz", None, "transcript", chat=chat), problems())
    for mark in sub.transcript.marks:
        assert 0 <= mark.start <= mark.end <= len(chat.turns[mark.turn].text)
    return sub


@FAST
@given(CHATS)
def test_any_chat_gives_answers_or_a_refusal(text):
    _extract(text)


class _Report:
    """What render_transcript reads of a report."""

    def __init__(self, transcript):
        self.student, self.mode, self.parts, self.checks, self.notes = "fuzz", "grade", (), (), ("a <note>",)
        self.transcript = transcript


@FAST
@given(CHATS, st.lists(st.tuples(st.integers(0, 400), st.integers(0, 60),
                                 st.sampled_from(["graded", "superseded", "holds", "fails", "unread"])), max_size=12))
def test_any_chat_with_any_marks_renders(text, spans):
    try:
        chat = read_chat("transcript.md", text)
    except SubmissionError:
        return
    marks = []
    for start, width, verdict in spans:
        turn = start % len(chat.turns)
        size = len(chat.turns[turn].text)
        a = min(start, size)
        marks.append(Mark(turn, a, min(size, a + width), verdict, "p", "q", "<why>"))
    page = render_transcript(_Report(Transcript(chat.format, chat.turns, tuple(marks))), STATUS_WORDS)
    assert "<script" not in page.lower().replace("&lt;script", "")


@FAST
@given(st.lists(st.one_of(PIECES, st.text(max_size=12)), min_size=1, max_size=12).map("".join))
def test_the_derivation_reader_reads_or_says_why(side):
    try:
        dv.read(side)
    except dv.Unread as e:
        assert str(e)


@FAST
@given(st.lists(st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=6).map("".join), min_size=2, max_size=4))
def test_judging_any_equation_never_crashes(sides):
    eq = {"key": "pca_autoencoder:eq0", "turn": 1, "number": 2, "part": "ii", "inline": False, "sides": sides}
    for judged in dv.judge([eq]):
        assert all(s.verdict in ("holds", "fails", "unread") for s in judged.steps)


TAGS = st.sampled_from(["<div>", "</div>", "<p>", "</p>", "<table>", "<tr>", "<td>", "</td>", "</tr>", "</table>",
                        "<script>", "</script>", "<span class=\"katex\">", "</span>", "<annotation encoding=\"application/x-tex\">",
                        "</annotation>", "<div data-message-author-role=\"assistant\">", "<math alttext=\"x\">", "</math>",
                        "<br>", "<!--", "-->", "<![CDATA[", "&lt;", "&#0;", "<pre>", "</pre>", "<b>"])


@FAST
@given(st.lists(st.one_of(TAGS, st.text(max_size=10)), max_size=80).map("".join))
def test_any_tag_soup_is_read(page):
    try:
        html_chat(page)
    except SubmissionError:
        pass


@pytest.mark.parametrize("text", [
    "**User**\nq\n**Assistant**\n" + "$" * 200_000,
    "**User**\nq\n**Assistant**\n" + "$$ a = " * 40_000,
    "**User**\nq\n**Assistant**\nPCA\n$$" + "{" * 50_000 + "W_1 = W_2" + "}" * 50_000 + "$$",
    "**User**\nq\n**Assistant**\nPCA\n" + "$W_1 = U_k^\\top = W_2$ " * 20_000,
    "**User**\nq\n**Assistant**\n" + ("Part (ii): orthonormal?\n" + "x" * 500 + "\n") * 2000,
    "**User**\nq\n**Assistant**\n" + "| w1 | a " * 50_000,
])
def test_pathological_chats_finish_in_time(text):
    start = time.perf_counter()
    _extract(text)
    assert time.perf_counter() - start < 30


def test_a_deep_and_long_page_finishes_in_time():
    page = "<div data-message-author-role='assistant'>" + "<div><b>x" * 20_000 + "</b></div>" * 20_000 + "</div>"
    start = time.perf_counter()
    assert html_chat(page).turns[0].text.startswith("**x")
    assert time.perf_counter() - start < 20

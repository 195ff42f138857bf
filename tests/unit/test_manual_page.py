"""manual.html, the TA's page of free responses, and the responses in each report (rendered, no browser)."""
import html
import re

from grader.manual import ManualScore, apply_manual
from grader.report import render_html, render_manual
from grader.types import count_words
from tests.unit.manual_fakes import batch


def sections(page: str) -> list[str]:
    """The question keys in page order."""
    return [chunk.split('"', 1)[0] for chunk in page.split('<section class="question" id="')[1:]]


def section(page: str, key: str) -> str:
    """The HTML of one question's section."""
    return page.split(f'<section class="question" id="{key}"')[1].split("</section>")[0]


def students(html_text: str) -> list[str]:
    """The students of the answers shown, in page order."""
    return re.findall(r'data-student="([^"]+)"', html_text)


def test_one_section_per_manual_part_with_each_answer_once_and_no_response_listed_at_the_end():
    page = render_manual(batch())
    assert sections(page) == ["p.essay", "p.proof"]
    essay = section(page, "p.essay")
    assert sorted(students(essay)) == ["alice", "bob"]  # carol wrote nothing: no entry ...
    assert "An essay by alice." in essay and "An essay by bob." in essay
    nothing = essay.split('class="nothing meta"')[1]
    assert "Nothing to score (1):" in nothing and "carol</a> (no response)" in nothing  # ... listed once, at the end
    assert essay.index('class="group"') < essay.index('class="nothing meta"')
    assert sorted(students(section(page, "p.proof"))) == ["alice", "bob", "carol"]


def test_pending_counts_and_scored_answers_say_their_score():
    reports = batch()
    scored = [apply_manual(reports[0], (ManualScore("alice", "p", "essay", 3.0, "good", 2),)), *reports[1:]]
    page = render_manual(scored)
    essay = section(page, "p.essay")
    alice = essay.split('data-student="alice"')[1].split("</details>")[0]
    bob = essay.split('data-student="bob"')[1].split("</details>")[0]
    assert "scored 3/4" in alice and "awaiting a score" in bob
    # essays: bob pending (carol not answered, alice scored); proofs: all three pending.
    assert "4 answer(s) still await a score." in page
    assert '<a href="#p.essay">p.essay</a> (4 points, 1 pending, ' in page
    assert '<a href="#p.proof">p.proof</a> (6 points, 3 pending, ' in page


def test_responses_are_escaped_text_never_markup():
    page = render_manual(batch())
    assert "<b>by induction</b>" not in page
    assert html.escape("alice's proof: <b>by induction</b> on n", quote=False) in page.replace("&#39;", "'")
    report_page = render_html(batch()[0])
    assert "<b>by induction</b>" not in report_page and "&lt;b&gt;by induction&lt;/b&gt;" in report_page


def test_word_counts_are_shown_as_a_reader_counts():
    page = render_manual(batch())
    text = "alice's proof: <b>by induction</b> on n"
    alice = section(page, "p.proof").split('data-student="alice"')[1].split("</details>")[0]
    assert f"{count_words(text)} words" in alice
    assert count_words("don't stop — it's one-cycle, 94 %") == 5


def test_no_page_without_manual_parts():
    from dataclasses import replace

    reports = [replace(r, parts=tuple(p for p in r.parts if p.kind != "manual")) for r in batch()]
    assert render_manual(reports) is None

"""summary.html and index.html in headless Chromium at 1280 px: the plots are there, nothing is cut off.

Screenshots of both pages (full length, every <details> opened) are saved as test artefacts in the folder
named by HW7_SCREENSHOTS (default: the test's temporary folder, printed at the end of the run with -rA).
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader.pipeline import load_problems, submissions_in
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.browser
WIDTH = 1280
PROBLEMS = ("pca_autoencoder", "seq2seq_translation")  # the batch: their example folders, graded as one
PARTS = sum(len(p.parts) for p in load_problems(PROBLEMS))
STUDENTS = sum(len(submissions_in(EXAMPLES / name)) for name in PROBLEMS)

# Every element's box within the window, and no element whose content overflows its own box sideways
# (a cell or a <pre> that would need a scrollbar, or clip its text).
OVERFLOW = """() => {
  const bad = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > window.innerWidth + 0.5 || r.left < -0.5) bad.push(`${el.tagName}.${el.className}: ${r.left}..${r.right}`);
    if (['TD', 'TH', 'PRE', 'CODE', 'LI', 'P', 'H3'].includes(el.tagName) && el.scrollWidth > el.clientWidth + 1)
      bad.push(`${el.tagName}.${el.className} overflows: ${el.scrollWidth} > ${el.clientWidth}`);
  }
  return bad;
}"""


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    """The PCA and seq2seq examples graded as one batch by the real CLI."""
    out = tmp_path_factory.mktemp("class") / "out"
    flags = [] if subprocess.run(["which", "bwrap"], capture_output=True).returncode == 0 else ["--no-sandbox"]
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", *(str(EXAMPLES / name) for name in PROBLEMS),
                           "--per-problem-dirs", "--out", str(out), *flags],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    """Where the screenshots go: $HW7_SCREENSHOTS, or a temporary folder."""
    folder = Path(os.environ.get("HW7_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def page(browser):
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.requests = requests
    return page


def open_and_shoot(page, path: Path, shot: Path) -> list[str]:
    """Load `path`, open every <details>, save a full-page screenshot; the problems OVERFLOW finds."""
    page.requests.clear()
    page.goto(path.as_uri())
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    page.screenshot(path=str(shot), full_page=True)
    assert [u for u in page.requests if not u.startswith(("file:", "data:"))] == []  # nothing fetched
    return page.evaluate(OVERFLOW)


def test_the_class_report_fits_1280_px_and_has_its_plots(batch, page, screenshots):
    problems = open_and_shoot(page, batch / "summary.html", screenshots / "summary.png")
    assert problems == []
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    cards = page.locator("section.part-card")
    parts = PARTS  # one card per part of pca_autoencoder and seq2seq_translation
    assert parts >= 9 and cards.count() == parts
    plots = page.locator("svg.plot")
    assert plots.count() == 1 + parts
    for i in range(plots.count()):
        box = plots.nth(i).bounding_box()
        assert box["width"] > 150 and box["height"] > 60
        assert plots.nth(i).locator("path, rect, use").count() > 5  # axes, bars: drawn, not an empty frame
    assert page.locator("script").count() == 0
    assert (screenshots / "summary.png").stat().st_size > 10_000


def test_the_class_report_shows_stats_groups_troubles_and_ranks_students(batch, page):
    page.goto((batch / "summary.html").as_uri())
    card = page.locator('section.part-card[data-part="pca_autoencoder.grad_W1"]')
    assert re.search(r"mean [\d.]+ · median [\d.]+ · pass rate \d+%", card.inner_text())
    wrong = page.locator('section.wrong-part[data-part="pca_autoencoder.grad_W1"]')
    assert "2*W2.T*(W2*W1 - I)*X.T*X" in wrong.locator("code.answer").all_inner_texts()  # grad_xtx's, normalized
    troubles = page.locator("tr.trouble")
    kinds = dict(zip(troubles.locator("td:first-child").all_inner_texts(), troubles.locator("td:nth-child(2)").all_inner_texts()))
    assert kinds.get("seq2seq_translation-import_error") == "import error"
    totals = [float(t.split("/")[0]) for t in page.locator("tr.student-row td.total").all_inner_texts()]
    assert totals == sorted(totals, reverse=True) and len(totals) == STUDENTS >= 27
    assert page.locator("tr.timing").count() == 10


def test_the_index_links_every_page_and_report_and_fits(batch, page, screenshots):
    problems = open_and_shoot(page, batch / "index.html", screenshots / "index.png")
    assert problems == []
    links = page.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert {"summary.html", "_staff/manual.html", "grades.csv"} <= set(links)
    reports = [h for h in links if h.endswith("/report.html")]
    assert len(reports) == STUDENTS and all((batch / h).is_file() for h in reports)

"""transcript.html (the chat, marked) opened in real headless Chromium."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import chat_formats as cf

pytestmark = pytest.mark.browser

HOSTILE = "<script>document.title = 'pwned'</script><img src=x onerror=\"document.title='pwned'\">"


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """A chat with a slip in a derivation, a revised answer and a script in it, graded by the real CLI."""
    chat = cf.replace_reply(1, r"= 2 W_2^\top (W_2 W_1 - I) X X^\top$$", r"= 2 W_2^\top (W_2 W_1 + I) X X^\top$$")
    chat = chat[:4] + (("user", f"Machine translation next. {HOSTILE}"),) + chat[5:] + (
        ("user", "Are you sure about (b)?"),
        ("assistant", "### Part (b): training tokens\n\n**Answer: <sos>, I, saw, a, dog**\n\n" + HOSTILE))
    root = tmp_path_factory.mktemp("subs")
    (root / "alice").mkdir()
    (root / "alice" / "transcript.md").write_text(cf.markdown("cursor", chat), encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    flags = [] if shutil.which("bwrap") else ["--no-sandbox"]
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(root), "--out", str(out), *flags],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out / "alice"


@pytest.fixture(scope="module")
def page(browser):
    return browser.new_page()


def test_each_answer_and_step_is_marked_in_place(graded, page):
    page.goto((graded / "transcript.html").as_uri())
    count = {v: page.locator(f"#chat [data-verdict={v}]").count() for v in ("graded", "superseded", "holds", "fails",
                                                                            "unread")}
    assert count["fails"] == 1 and count["holds"] > 10 and count["unread"] == 0
    assert count["graded"] >= 10 and count["superseded"] == 1
    # The counts at the top are those of the marks.
    assert int(page.locator("#count-fails").inner_text()) == 1
    failing = page.locator("#chat [data-verdict=fails]")
    assert failing.inner_text().startswith(r"2 W_2^\top (W_2 W_1 + I) X X^\top")
    assert "does not hold: the two sides differ" in failing.get_attribute("title")
    superseded = page.locator("#chat [data-verdict=superseded]")
    assert superseded.get_attribute("data-part") == "seq2seq_translation.training_decoder_inputs"


def test_every_mark_links_to_its_row_in_the_part_table(graded, page):
    page.goto((graded / "transcript.html").as_uri())
    rows = {page.locator("#parts tr.part-row").nth(i).get_attribute("id")
            for i in range(page.locator("#parts tr.part-row").count())}
    tags = page.locator("#chat a.tag")
    targets = {tags.nth(i).get_attribute("href")[1:] for i in range(tags.count())}
    assert targets and targets <= rows
    # And the table links back to the marks: the failing step, from the derivations row.
    link = page.locator("#part-pca_autoencoder\\.derivations .links a.v-fails")
    assert link.count() == 1
    link.click()
    assert page.evaluate("location.hash") == link.get_attribute("href")
    assert page.locator(link.get_attribute("href")).get_attribute("data-verdict") == "fails"


def test_a_script_in_the_chat_shows_as_text(graded, page):
    page.goto((graded / "transcript.html").as_uri())
    assert page.title() == "HW7 transcript: alice"
    assert page.locator("script").count() == 0 and page.locator("#chat img").count() == 0
    assert "<script>document.title = 'pwned'</script>" in page.locator("#chat").inner_text()


def test_grader_check_html_writes_the_marked_chat_beside_the_report(tmp_path):
    folder = tmp_path / "bob"
    folder.mkdir()
    (folder / "transcript.json").write_text(cf.chatgpt_json(), encoding="utf-8")
    report = tmp_path / "report.html"
    proc = subprocess.run([sys.executable, "-m", "grader", "check", str(folder), "--problem", "seq2seq_translation",
                           "--html", str(report), "--no-sandbox"], capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    assert f"Your chat, marked: {tmp_path / 'transcript.html'}" in proc.stdout
    text = (tmp_path / "transcript.html").read_text(encoding="utf-8")
    assert 'data-verdict="graded"' in text and "Read as chatgpt-json" in text

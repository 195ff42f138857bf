"""Transcripts: answers are read out of a chat export and graded with the same checks."""
import shutil
from pathlib import Path

import pytest

from grader import transcript as tx
from grader.pipeline import grade_path
from tests.conftest import IN_CI, ROOT

SEED = ROOT.parent / "shared" / "seeds" / "000_2945ca7109d06edc.txt"


@pytest.fixture
def seed_submission(tmp_path) -> Path:
    if not SEED.is_file():
        if IN_CI:
            pytest.fail(f"the homework transcript {SEED} is missing")
        pytest.skip("no ../shared/seeds beside this checkout")
    folder = tmp_path / "seed_student"
    folder.mkdir()
    shutil.copy(SEED, folder / "transcript.md")
    return folder


def test_the_homework_transcript_is_graded_for_seq2seq(seed_submission):
    report = grade_path(seed_submission, problems=("seq2seq_translation",), use_bwrap=shutil.which("bwrap") is not None)
    parts = {p.part: (p.status, p.score) for p in report.parts}
    assert parts == {"vertical_stacking_problem": ("pending", 0), "training_decoder_inputs": ("passed", 3),
                     "evaluation_decoder_inputs": ("passed", 3), "decoder_inputs": ("not_answered", 0)}
    assert any("found in the transcript" in n for n in report.notes)


def test_turns_split_on_role_lines():
    text = "User I pasted the PDF\nWhat is 2+2?\nCursor\nAnswer: 4\n**User:**\nthanks\n## Assistant\nbye"
    got = [(t.role, t.text) for t in tx.turns(text)]
    assert got == [("user", "I pasted the PDF\nWhat is 2+2?"), ("assistant", "Answer: 4"), ("user", "thanks"),
                   ("assistant", "bye")]


def test_parts_and_answer_lines():
    body = "intro\nPart (a): first\ntext a\n(b) second\n**Answer:** `x`, y.\n"
    assert tx.parts(body) == {"a": "first\ntext a", "b": "second\n**Answer:** `x`, y.\n"[:-1]}
    assert tx.answer_lines(body) == ["x, y"]


def test_math_blocks_in_order():
    assert tx.math_blocks(r"a $$x = 1$$ b \[y = 2\] c $$z$$") == ["x = 1", "y = 2", "z"]

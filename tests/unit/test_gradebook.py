"""The gradebook: what is recorded, what a later run may reuse, history, TA scores, the lock on OUT."""
import sqlite3
from dataclasses import replace

import pytest

from grader.errors import GraderError
from grader.gradebook import DATABASE, Gradebook, OutLock, format_history, staff_dir
from grader.manual import ManualScore
from grader.model import PASSED, WRONG
from grader.score import score
from tests.unit.manual_fakes import PROBLEM, check, report

H = ("c" * 64, "k" * 64, "f" * 64)  # content, checks, config hashes


@pytest.fixture
def book(tmp_path):
    b = Gradebook.of(tmp_path)
    yield b
    b.close()


def regraded(r, a_status):
    """`r` with part a now `a_status` (2 points when passed, 0 otherwise)."""
    checks = tuple(replace(c, status=a_status, score=2.0 if a_status == PASSED else 0.0) if c.part == "a" else c
                   for c in r.checks)
    return replace(r, checks=checks, parts=score((PROBLEM,), checks))


def test_a_graded_submission_is_found_only_with_the_same_three_hashes(book):
    run = book.start_run("grader grade", H[1], H[2], False, 1, "inline")
    alice = report("alice")
    book.record(run, alice, *H, seconds=1.5, worker="w1")
    found = book.graded("alice", *H)
    assert found is not None and found.run_id == run and found.report == alice
    for i in range(3):
        other = list(H)
        other[i] = "0" * 64
        assert book.graded("alice", *other) is None
    assert book.graded("bob", *H) is None


def test_every_check_and_part_gets_a_row(book):
    run = book.start_run("grader grade", H[1], H[2], False, 1, "inline")
    book.record(run, report("alice"), *H, seconds=1.5, worker="w1")
    rows = book.db.execute("SELECT claim, status, score, points, seconds FROM results ORDER BY rowid").fetchall()
    assert rows == [("a_is_right", "passed", 2.0, 2.0, 0.25), ("essay_is_written", "pending", 0.0, 4.0, 0.25),
                    ("proof_step_1", "pending", 0.0, 2.0, 0.25), ("proof_step_2", "pending", 0.0, 4.0, 0.25)]
    assert book.db.execute("SELECT part, status, score FROM parts ORDER BY rowid").fetchall() == [
        ("a", "passed", 2.0), ("essay", "pending", 0.0), ("proof", "pending", 0.0)]
    assert book.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_failed_grading_is_not_reused(book):
    """A worker that died or a failed stage is worth another try: only state 'graded' is skipped."""
    run = book.start_run("grader grade", H[1], H[2], False, 1, "inline")
    book.record(run, report("alice"), *H, seconds=1.5, worker="w1", state="failed")
    assert book.graded("alice", *H) is None


def test_recording_a_student_twice_in_one_run_replaces_the_first(book):
    run = book.start_run("grader grade", H[1], H[2], False, 1, "inline")
    book.record(run, report("alice"), *H, seconds=1.5, worker="w1")
    book.record(run, regraded(report("alice"), WRONG), *H, seconds=1.5, worker="w2")
    assert book.db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 1
    assert book.db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 4
    assert book.graded("alice", *H).report.score == 0


def test_a_run_left_running_by_a_killed_process_is_marked_interrupted_by_the_next(book):
    first = book.start_run("grader grade", H[1], H[2], False, 1, "inline")
    second = book.start_run("grader grade", H[1], H[2], False, 1, "inline")
    book.finish_run(second)
    states = dict(book.db.execute("SELECT id, state FROM runs"))
    assert states == {first: "interrupted", second: "finished"}


def test_history_shows_each_grading_and_what_changed(book):
    one = book.start_run("grader grade", H[1], H[2], False, 1, "inline")
    book.record(one, regraded(report("alice"), WRONG), *H, seconds=1, worker="w")
    two = book.start_run("grader grade", H[1], H[2], False, 1, "inline")
    book.record_skip(two, book.graded("alice", *H), *H)
    three = book.start_run("grader grade", "n" * 64, H[2], False, 1, "inline")
    book.record(three, report("alice"), "d" * 64, "n" * 64, H[2], seconds=1, worker="w")
    book.record_ta_scores((ManualScore("alice", "p", "essay", 3.0, "clear", 2),), "grader manual")
    entries, ta = book.history("alice")
    assert [(e.run_id, e.state) for e in entries] == [(one, "graded"), (two, "skipped"), (three, "graded")]
    assert entries[1].parts == entries[0].parts  # a skip stands for the grading it reused
    text = format_history("alice", entries, ta)
    assert "history of alice: 3 run(s)" in text
    assert f"run {two} " in text and "(same submission, checks and config as before: not regraded)" in text
    assert "regraded: new submission, checks or references changed" in text
    assert "\n  p.a                  0/2 wrong -> 2/2 passed\n" in text
    assert "p.essay" in text and '3  "clear"  (grader manual)' in text
    assert format_history("zed", *book.history("zed")) == "no grading of zed is recorded in this gradebook"


def test_a_ta_score_is_kept_once_until_it_changes(book):
    s = ManualScore("alice", "p", "essay", 3.0, "clear", 2)
    assert book.record_ta_scores((s,), "grader manual") == 1
    assert book.record_ta_scores((s,), "grader grade") == 0  # the same sheet applied again
    assert book.record_ta_scores((replace(s, score=4.0),), "grader manual") == 1
    assert [t.score for t in book.history("alice")[1]] == [3.0, 4.0]


def test_an_exception_inside_a_submission_leaves_no_half_row(book, monkeypatch):
    run = book.start_run("grader grade", H[1], H[2], False, 1, "inline")
    broken = replace(report("alice"), parts=(None,))  # fails after the submissions row is inserted
    with pytest.raises(AttributeError):
        book.record(run, broken, *H, seconds=1, worker="w")
    assert book.db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 0
    assert book.db.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 0


def test_a_file_that_is_not_a_gradebook_is_refused_with_what_to_do(tmp_path):
    path = staff_dir(tmp_path) / DATABASE
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(GraderError, match="expected a gradebook \\(SQLite\\), got a file that cannot be used .*"
                                          "Move it away"):
        Gradebook(path)
    db = sqlite3.connect(tmp_path / "other.sqlite")
    db.execute("PRAGMA user_version=7")
    db.close()
    with pytest.raises(GraderError, match="expected a gradebook of version 1, got version 7"):
        Gradebook(tmp_path / "other.sqlite")


def test_a_second_lock_on_one_out_folder_is_refused_and_names_the_holder(tmp_path):
    with OutLock(tmp_path, "grader grade subs --out out"):
        with pytest.raises(GraderError) as err:
            OutLock(tmp_path, "grader grade again")
        message = str(err.value)
        assert message.startswith(f"{tmp_path} is in use by another grader run (`grader grade subs --out out`, pid ")
        assert "Wait for it to finish, or stop it, then run again." in message
    with OutLock(tmp_path, "grader manual"):  # released: the next run gets it
        pass

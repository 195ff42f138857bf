"""The gradebook: every run and every graded submission in SQLite (`OUT/_staff/gradebook.sqlite`, staff only).

One row per run (its hashes, its options, how it ended) and per submission in
it (the hash of the content graded, the whole report as JSON, the score), one
per check (status, points, seconds) and per part, and the TA's scores as
`grader manual` applied them. The database is in WAL mode and each
submission is written in one transaction, so a batch killed at any instant
(kill -9 included) leaves every submission either fully recorded or absent:
a resumed run skips the first kind and grades the second.

Only the `grader grade` / `grader manual` process writes here (workers return
plain data), and only while it holds `OutLock`, so two runs on one OUT never
interleave.
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError
from grader.model import Report
from grader.outdir import staff_dir
from grader.store import report_from_json, report_to_json

DATABASE = "gradebook.sqlite"
LOCK = "gradebook.lock"
SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    finished_at REAL,
    state TEXT NOT NULL,              -- running | finished | interrupted (a run that died stays 'running' until the next)
    command TEXT NOT NULL,
    checks_hash TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    force INTEGER NOT NULL,
    total INTEGER NOT NULL,
    engine TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS submissions (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    student TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    checks_hash TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    state TEXT NOT NULL,              -- graded | skipped | needs_gpu
    graded_run INTEGER NOT NULL,      -- the run whose grading this row stands for (itself unless skipped)
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    pending REAL NOT NULL,
    seconds REAL NOT NULL,
    worker TEXT NOT NULL,
    recorded_at REAL NOT NULL,
    report TEXT,                      -- the whole Report as JSON (NULL for a skip: see graded_run)
    PRIMARY KEY (run_id, student)
);
CREATE INDEX IF NOT EXISTS submissions_by_hash ON submissions (student, content_hash, checks_hash, config_hash);
CREATE TABLE IF NOT EXISTS results (
    run_id INTEGER NOT NULL,
    student TEXT NOT NULL,
    problem TEXT NOT NULL,
    part TEXT NOT NULL,
    claim TEXT NOT NULL,
    visibility TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    points REAL NOT NULL,
    seconds REAL NOT NULL,
    PRIMARY KEY (run_id, student, problem, claim)
);
CREATE TABLE IF NOT EXISTS parts (
    run_id INTEGER NOT NULL,
    student TEXT NOT NULL,
    problem TEXT NOT NULL,
    part TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    points REAL NOT NULL,
    PRIMARY KEY (run_id, student, problem, part)
);
CREATE TABLE IF NOT EXISTS ta_scores (
    id INTEGER PRIMARY KEY,
    recorded_at REAL NOT NULL,
    source TEXT NOT NULL,             -- 'grader manual' or 'grader grade' (the sheet applied after grading)
    student TEXT NOT NULL,
    problem TEXT NOT NULL,
    part TEXT NOT NULL,
    score REAL NOT NULL,
    comment TEXT NOT NULL
);
"""


class OutLock:
    """An exclusive lock on one --out folder, held for a whole `grader grade` or `grader manual`.

    An flock on OUT/_staff/gradebook.lock: the kernel drops it when the
    holder exits, however it exits (kill -9 included), so a stale lock never
    blocks the next run. The file names the holder, for the refusal message.
    """

    def __init__(self, out: Path, command: str):
        self.path = staff_dir(out) / LOCK
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 1000, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(self._fd)
            raise GraderError(f"{out} is in use by another grader run ({holder}); two runs on one --out folder "
                              f"would mix their results. Wait for it to finish, or stop it, then run again.") from None
        os.ftruncate(self._fd, 0)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        os.pwrite(self._fd, f"`{command}`, pid {os.getpid()} on {socket.gethostname()}, since {stamp}\n".encode(), 0)

    def release(self) -> None:
        """Let the next run in."""
        if self._fd >= 0:
            os.close(self._fd)  # closing the last descriptor drops the flock
            self._fd = -1

    def __enter__(self) -> "OutLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


@dataclass(frozen=True)
class Graded:
    """A submission's earlier grading found in the gradebook."""

    run_id: int
    report: Report


@dataclass(frozen=True)
class HistoryEntry:
    """One grading of one student: when, which content and checks, and the score of each part."""

    run_id: int
    recorded_at: float
    state: str
    content_hash: str
    checks_hash: str
    config_hash: str
    force: bool
    score: float
    max_score: float
    parts: tuple[tuple[str, str, float, float], ...]  # ((problem.part, status, score, points), ...)


@dataclass(frozen=True)
class TaScore:
    """A TA's score for one manual part as it was recorded."""

    recorded_at: float
    source: str
    student: str
    part: str  # problem.part
    score: float
    comment: str


class Gradebook:
    """The SQLite gradebook of one --out folder; open it only while holding its OutLock."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode loses nothing committed when the process is killed (only on power loss).
            self.db.execute("PRAGMA synchronous=NORMAL")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise GraderError(f"{self.path}: expected a gradebook of version {SCHEMA_VERSION}, got version "
                                  f"{version}; it was written by another version of the grader.")
            self.db.executescript(SCHEMA)
            self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise GraderError(f"{self.path}: expected a gradebook (SQLite), got a file that cannot be used ({exc}). "
                              "Move it away to start a new gradebook.") from None

    @classmethod
    def of(cls, out: Path) -> "Gradebook":
        """The gradebook of an --out folder (created empty when missing)."""
        return cls(staff_dir(out) / DATABASE)

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed into the database file)."""
        self.db.close()

    # -- runs ------------------------------------------------------------------------------------
    def start_run(self, command: str, checks_hash: str, config_hash: str, force: bool, total: int,
                  engine: str) -> int:
        """Record a new run; its id. Runs that an earlier, killed process left running are marked interrupted."""
        with self._transaction():
            self.db.execute("UPDATE runs SET state='interrupted' WHERE state='running'")
            cur = self.db.execute("INSERT INTO runs (started_at, state, command, checks_hash, config_hash, force, "
                                  "total, engine) VALUES (?, 'running', ?, ?, ?, ?, ?, ?)",
                                  (time.time(), command, checks_hash, config_hash, int(force), total, engine))
            return cur.lastrowid

    def finish_run(self, run_id: int, state: str = "finished") -> None:
        """Record how a run ended: finished or interrupted (a signal)."""
        with self._transaction():
            self.db.execute("UPDATE runs SET state=?, finished_at=? WHERE id=?", (state, time.time(), run_id))

    # -- submissions -----------------------------------------------------------------------------
    def graded(self, student: str, content_hash: str, checks_hash: str, config_hash: str) -> Graded | None:
        """The latest complete grading of this content with these checks and config, or None."""
        row = self.db.execute(
            "SELECT run_id, report FROM submissions WHERE student=? AND content_hash=? AND checks_hash=? "
            "AND config_hash=? AND state='graded' ORDER BY run_id DESC LIMIT 1",
            (student, content_hash, checks_hash, config_hash)).fetchone()
        if row is None:
            return None
        return Graded(row[0], report_from_json(json.loads(row[1])))

    def record(self, run_id: int, report: Report, content_hash: str, checks_hash: str, config_hash: str, *,
               seconds: float, worker: str, state: str = "graded", data: dict | None = None) -> None:
        """Write one graded submission, its checks and parts, in one transaction (`data`: its JSON, if made)."""
        with self._transaction():
            self._clear(run_id, report.student)
            self.db.execute(
                "INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, report.student, content_hash, checks_hash, config_hash, state, run_id, report.score,
                 report.max_score, report.pending_points, seconds, worker, time.time(),
                 json.dumps(data if data is not None else report_to_json(report))))
            self.db.executemany(
                "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(run_id, report.student, c.problem, c.part, c.claim, c.visibility, str(c.status), c.score, c.points,
                  c.seconds) for c in report.checks])
            self.db.executemany(
                "INSERT INTO parts VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(run_id, report.student, p.problem, p.part, str(p.status), p.score, p.points) for p in report.parts])

    def record_skip(self, run_id: int, graded: Graded, content_hash: str, checks_hash: str, config_hash: str) -> None:
        """Note that this run reused an earlier grading of the same content."""
        r = graded.report
        with self._transaction():
            self._clear(run_id, r.student)
            self.db.execute(
                "INSERT INTO submissions VALUES (?, ?, ?, ?, ?, 'skipped', ?, ?, ?, ?, 0, '', ?, NULL)",
                (run_id, r.student, content_hash, checks_hash, config_hash, graded.run_id, r.score, r.max_score,
                 r.pending_points, time.time()))

    def _clear(self, run_id: int, student: str) -> None:
        # A run records a student once; a second record (never expected) replaces the first instead of doubling it.
        for table in ("submissions", "results", "parts"):
            self.db.execute(f"DELETE FROM {table} WHERE run_id=? AND student=?", (run_id, student))

    # -- TA scores -------------------------------------------------------------------------------
    def record_ta_scores(self, scores, source: str) -> int:
        """Keep the TA scores (grader.manual.ManualScore) that differ from the last ones recorded; how many."""
        added = 0
        with self._transaction():
            for s in scores:
                last = self.db.execute("SELECT score, comment FROM ta_scores WHERE student=? AND problem=? AND part=? "
                                       "ORDER BY id DESC LIMIT 1", (s.student, s.problem, s.part)).fetchone()
                if last is not None and (last[0], last[1]) == (s.score, s.comment):
                    continue
                self.db.execute("INSERT INTO ta_scores (recorded_at, source, student, problem, part, score, comment) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (time.time(), source, s.student, s.problem, s.part, s.score, s.comment))
                added += 1
        return added

    # -- history ---------------------------------------------------------------------------------
    def history(self, student: str) -> tuple[list[HistoryEntry], list[TaScore]]:
        """Every grading of `student` (skips included, oldest first) and every TA score recorded for them."""
        rows = self.db.execute(
            "SELECT s.run_id, s.recorded_at, s.state, s.content_hash, s.checks_hash, s.config_hash, r.force, "
            "s.score, s.max_score, s.graded_run FROM submissions s JOIN runs r ON r.id = s.run_id "
            "WHERE s.student=? ORDER BY s.run_id", (student,)).fetchall()
        entries = []
        for run_id, at, state, content, checks, config, force, score, max_score, graded_run in rows:
            parts = self.db.execute("SELECT problem || '.' || part, status, score, points FROM parts "
                                    "WHERE run_id=? AND student=? ORDER BY rowid", (graded_run, student)).fetchall()
            entries.append(HistoryEntry(run_id, at, state, content, checks, config, bool(force), score, max_score,
                                        tuple(tuple(p) for p in parts)))
        ta = [TaScore(at, source, student, part, score, comment) for at, source, part, score, comment in self.db.execute(
            "SELECT recorded_at, source, problem || '.' || part, score, comment FROM ta_scores WHERE student=? "
            "ORDER BY id", (student,))]
        return entries, ta

    def students(self) -> list[str]:
        """Every student the gradebook has graded, sorted."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT student FROM submissions ORDER BY student")]

    def counts(self, run_id: int) -> dict[str, int]:
        """How many submissions of a run are in each state."""
        return dict(self.db.execute("SELECT state, COUNT(*) FROM submissions WHERE run_id=? GROUP BY state", (run_id,)))

    def _transaction(self):
        return _Transaction(self.db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (a signal included)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, exc, tb):
        if kind is None:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")
        return False


def format_history(student: str, entries: list[HistoryEntry], ta: list[TaScore]) -> str:
    """The history of one student as text: each run's score per part, and what changed since the one before."""
    if not entries:
        return f"no grading of {student} is recorded in this gradebook"
    lines = [f"history of {student}: {len(entries)} run(s)"]
    w = max([len(key) for e in entries for key, *_ in e.parts] + [len(s.part) for s in ta] + [20])
    previous: HistoryEntry | None = None
    for e in entries:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.recorded_at))
        head = f"\nrun {e.run_id}  {when}  submission {e.content_hash[:10]}  score {e.score:g}/{e.max_score:g}"
        if e.state == "skipped":
            lines.append(head + "  (same submission, checks and config as before: not regraded)")
            previous = previous or e
            continue
        lines.append(head + ("  (needs a GPU worker)" if e.state == "needs_gpu" else ""))
        if previous is None:
            lines += [f"  {key:<{w}} {score:g}/{points:g}  {status}" for key, status, score, points in e.parts]
        else:
            why = [w for w, changed in (("new submission", e.content_hash != previous.content_hash),
                                        ("checks or references changed", e.checks_hash != previous.checks_hash),
                                        ("course config or options changed", e.config_hash != previous.config_hash),
                                        ("--force", e.force)) if changed]
            lines.append(f"  regraded: {', '.join(why) or 'same hashes'}")
            before = {key: (status, score, points) for key, status, score, points in previous.parts}
            changed = []
            for key, status, score, points in e.parts:
                old = before.get(key)
                if old is None:
                    changed.append(f"  {key:<{w}} new part: {score:g}/{points:g}  {status}")
                elif old != (status, score, points):
                    changed.append(f"  {key:<{w}} {old[1]:g}/{old[2]:g} {old[0]} -> {score:g}/{points:g} {status}")
            lines += changed or ["  no part changed"]
        previous = e
    if ta:
        lines.append("\nTA scores (manual parts):")
        for s in ta:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(s.recorded_at))
            lines.append(f"  {when}  {s.part:<{w}} {s.score:g}" + (f"  \"{s.comment}\"" if s.comment else "")
                         + f"  ({s.source})")
    return "\n".join(lines)

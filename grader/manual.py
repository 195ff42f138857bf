"""Manual scores: the TA's sheet (manual_scores.csv) for the free responses, validated whole, then applied.

The sheet is the only place TA scores live: reports are graded with manual
parts pending, and the sheet is applied on top of them each time, so that
re-grading or re-applying never loses or doubles a TA's score. It lives in
OUT/_staff/ (it lists every student's scores: never handed back), and its cells
are written spreadsheet-safe (grader.csvsafe).
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, replace
from pathlib import Path

from grader.csvsafe import csv_lines, read_cell, write_csv
from grader.errors import GraderError, ManualScoresError, did_you_mean
from grader.model import PARTIAL, PASSED, PENDING, WRONG, Report
from grader.outdir import staff_dir
from grader.report import STATUS_WORDS
from grader.score import part_total

SHEET = "manual_scores.csv"
COLUMNS = ("student", "part", "max_points", "score", "comment")
REQUIRED = ("student", "part", "score")  # max_points is for the TA's eyes; comment may be left out


def sheet_path(out: Path) -> Path:
    """Where a graded batch's sheet lives: OUT/_staff/manual_scores.csv."""
    return staff_dir(out) / SHEET


def check_no_old_sheet(out: Path) -> None:
    """Refuse a batch folder whose sheet is still where an older grader put it (OUT/manual_scores.csv).

    The sheet holds the only copy of the TA's scores: grading or applying without it would drop them.
    """
    old, new = out / SHEET, sheet_path(out)
    if old.is_file() and not new.exists():
        raise GraderError(f"expected the TA's sheet at {new}, got one at {old}, where an older grader put it. "
                          f"Move it (mkdir -p {new.parent} && mv {old} {new}) and run the command again.")


@dataclass(frozen=True)
class ManualScore:
    """A TA's score for one manual part of one student, from line `line` of the sheet."""

    student: str
    problem: str
    part: str
    score: float
    comment: str
    line: int


def pending_rows(reports: list[Report]) -> list[list[str]]:
    """One sheet row (blank score and comment) per pending manual part of each report."""
    return [[r.student, f"{p.problem}.{p.part}", f"{p.points:g}", "", ""] for r in reports for p in r.parts if p.pending]


def write_sheet(reports: list[Report], path: Path) -> None:
    """A new sheet listing every pending manual part, for a TA to fill in."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(path, COLUMNS, pending_rows(reports))


def _rows(path: Path) -> tuple[list[tuple[int, dict]], list[str]]:
    """The sheet's non-blank rows as (line, {column: stripped text}), and the header's problems."""
    if not path.is_file():
        raise GraderError(f"expected the TA's sheet of manual scores at {path}, got no such file. `grader grade` writes "
                          f"it when manual parts are pending; or give one with --scores.")
    try:
        # utf-8-sig: spreadsheets often save a byte-order mark, which would glue itself to 'student'.
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GraderError(f"{path}: expected a CSV file in UTF-8, got other bytes ({exc}). Save it as \"CSV UTF-8\".") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    wanted = ", ".join(REQUIRED)
    if not header:
        got = "an empty line" if reader.line_num else "an empty file"
        return [], [f"line 1: expected a header with the columns {wanted}, got {got}."]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [f"line 1: expected a header with the columns {wanted}, got {', '.join(header)}; "
                    f"missing {', '.join(missing)}."]
    rows, last = [], reader.line_num
    for cells in reader:
        # A row starts on the line after the previous one ended (a quoted comment may span lines).
        line, last = last + 1, reader.line_num
        # read_cell: a student id such as "-2_3" was written as "'-2_3" so that no spreadsheet runs it.
        row = dict(zip(header, (read_cell(c.strip()) for c in cells)))
        if any(row.values()):
            rows.append((line, row))
    return rows, []


def _number(text: str) -> float | None:
    """The score written in `text`, or None when it is not a finite number."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_manual_scores(path: Path, reports: list[Report]) -> tuple[ManualScore, ...]:
    """The filled rows of the sheet, checked against the reports; a ManualScoresError listing every bad row."""
    rows, bad = _rows(path)
    by_student = {r.student: {f"{p.problem}.{p.part}": p for p in r.parts} for r in reports}
    seen: dict[tuple[str, str], ManualScore] = {}
    for line, row in rows:
        student, key, text, comment = row.get("student", ""), row.get("part", ""), row.get("score", ""), row.get("comment", "")
        if not text:
            continue  # a blank score: the part is still pending
        parts = by_student.get(student)
        if parts is None:
            bad.append(f"line {line}: expected a student of this batch, got {student!r}.{did_you_mean(student, by_student)}")
            continue
        part = parts.get(key)
        if part is None:
            bad.append(f"line {line}: expected a part of {student} as problem.part, got {key!r}.{did_you_mean(key, parts)}")
            continue
        if part.kind != "manual":
            manual = ", ".join(k for k, p in parts.items() if p.kind == "manual")
            bad.append(f"line {line}: expected a manual part ({manual}), got {key!r}, which is scored automatically.")
            continue
        if part.status != PENDING:
            bad.append(f"line {line}: expected no score for {student} {key}: it is "
                            f"{STATUS_WORDS.get(part.status, part.status)}, so there is nothing for a TA to score; "
                            f"got {text!r}.")
            continue
        value = _number(text)
        if value is None:
            hint = f" Did you mean {text.replace(',', '.')!r}?" if _number(text.replace(",", ".")) is not None else ""
            bad.append(f"line {line}: expected the score as a number from 0 to {part.points:g}, got {text!r}.{hint}")
            continue
        if not 0 <= value <= part.points:
            bad.append(f"line {line}: expected a score from 0 to {part.points:g} for {student} {key}, got {value:g}.")
            continue
        first = seen.get((student, key))
        if first is None:
            seen[(student, key)] = ManualScore(student, part.problem, part.part, value, comment, line)
        elif first.score != value:
            bad.append(f"line {line}: expected one score for {student} {key}, got {value:g} here and "
                            f"{first.score:g} on line {first.line}.")
    if bad:
        raise ManualScoresError(path, bad)
    return tuple(seen.values())


def unlisted_rows(path: Path, reports: list[Report]) -> list[list[str]]:
    """The pending manual parts that have no row in the sheet (blank or filled), as rows to add to it."""
    rows, _ = _rows(path)
    listed = {(row.get("student", ""), row.get("part", "")) for _, row in rows}
    return [row for row in pending_rows(reports) if (row[0], row[1]) not in listed]


def sheet_lines(rows: list[list[str]]) -> str:
    """Rows as CSV lines to paste into the sheet, written spreadsheet-safe like the sheet itself."""
    return csv_lines(rows)


def apply_manual(report: Report, scores: tuple[ManualScore, ...]) -> Report:
    """The report with the TA's scores for its pending manual parts; parts without a score stay pending."""
    checks = list(report.checks)
    for s in scores:
        if s.student != report.student:
            continue
        mine = [i for i, c in enumerate(checks) if (c.problem, c.part) == (s.problem, s.part) and c.status == PENDING]
        total = sum(checks[i].points for i in mine)
        status = PASSED if s.score == total else (WRONG if s.score == 0 else PARTIAL)
        message = f"Scored by a TA: {s.score:g}/{total:g}." + (f" Comment: {s.comment}" if s.comment else "")
        given = 0.0
        for n, i in enumerate(mine):
            # Spread over the part's checks by their points; the last takes the remainder so the sum is exact.
            share = s.score - given if n == len(mine) - 1 else round(s.score * checks[i].points / (total or 1), 6)
            given += share
            checks[i] = replace(checks[i], score=round(share, 6), status=status, message=message)
    parts = []
    for p in report.parts:
        earned, status = part_total(p.kind, [c for c in checks if (c.problem, c.part) == (p.problem, p.part)])
        parts.append(replace(p, score=earned, status=status))
    return replace(report, checks=tuple(checks), parts=tuple(parts))

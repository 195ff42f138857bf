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
COLUMNS = ("student", "part", "group", "max_points", "score", "comment")
REQUIRED = ("student", "part", "score")  # max_points is for the TA's eyes; group and comment may be left out
GROUP = "group:"  # a row whose student is group:N scores every student whose group cell is N, for its part


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
    group: int | None = None  # the group row (group:N) the score came from; None for the student's own row


def pending_rows(reports: list[Report], groups: dict | None = None) -> list[list[str]]:
    """Blank sheet rows for the pending manual parts: per part, one row per answer group, then one per student.

    Students come group by group (the groups in the order manual.html shows them), each row naming its group;
    `groups` maps 'problem.part' to its PartGroups (no group rows or numbers without it).
    """
    groups = groups or {}
    pending = [(r.student, f"{p.problem}.{p.part}", f"{p.points:g}") for r in reports for p in r.parts if p.pending]
    rows = []
    for key in dict.fromkeys(k for _, k, _ in pending):
        mine = [(s, points) for s, k, points in pending if k == key]
        found = groups.get(key)
        order = [g.number for g in found.groups] if found else []
        number = {s: found.number_of(s) for s, _ in mine} if found else {}
        waiting = set(number.values())
        rows += [[f"{GROUP}{n}", key, str(n), mine[0][1], "", ""] for n in order if n in waiting]
        rank = {n: i for i, n in enumerate(order)}
        for s, points in sorted(mine, key=lambda m: rank.get(number.get(m[0]), len(rank))):  # stable: batch order
            n = number.get(s)
            rows.append([s, key, "" if n is None else str(n), points, "", ""])
    return rows


def write_sheet(reports: list[Report], path: Path, groups: dict | None = None) -> None:
    """A new sheet listing every pending manual part (and its answer groups), for a TA to fill in."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(path, COLUMNS, pending_rows(reports, groups))


def _rows(path: Path) -> tuple[list[tuple[int, dict]], list[str], list[str]]:
    """The sheet's non-blank rows as (line, {column: stripped text}), the header's problems, and the header."""
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
        return [], [f"line 1: expected a header with the columns {wanted}, got {got}."], header
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [f"line 1: expected a header with the columns {wanted}, got {', '.join(header)}; "
                    f"missing {', '.join(missing)}."], header
    rows, last = [], reader.line_num
    for cells in reader:
        # A row starts on the line after the previous one ended (a quoted comment may span lines).
        line, last = last + 1, reader.line_num
        # read_cell: a student id such as "-2_3" was written as "'-2_3" so that no spreadsheet runs it.
        row = dict(zip(header, (read_cell(c.strip()) for c in cells)))
        if any(row.values()):
            rows.append((line, row))
    return rows, [], header


def _number(text: str) -> float | None:
    """The score written in `text`, or None when it is not a finite number."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _whole(text: str) -> int | None:
    """The group number written in `text`, or None when it is not a whole number from 1."""
    return int(text) if text.isdigit() and int(text) > 0 else None


def read_manual_scores(path: Path, reports: list[Report]) -> tuple[ManualScore, ...]:
    """The filled rows of the sheet, checked against the reports; a ManualScoresError listing every bad row.

    A student's own row wins over their group's; a group row scores each member the sheet's group column lists.
    """
    rows, bad, _ = _rows(path)
    by_student = {r.student: {f"{p.problem}.{p.part}": p for p in r.parts} for r in reports}
    seen: dict[tuple[str, str], ManualScore] = {}
    members: dict[tuple[str, int], dict[str, int]] = {}  # (part, group) -> {student: line}
    group_rows = []
    for line, row in rows:
        student, key, text, comment = row.get("student", ""), row.get("part", ""), row.get("score", ""), row.get("comment", "")
        if student.lower().startswith(GROUP):
            group_rows.append((line, student, key, text, comment))
            continue
        cell = row.get("group", "")
        if cell:
            number = _whole(cell)
            if number is None:
                bad.append(f"line {line}: expected the group as a whole number from 1 (as manual.html numbers "
                           f"them), or a blank, got {cell!r}.")
                continue
            members.setdefault((key, number), {}).setdefault(student, line)
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
    scored = _group_scores(group_rows, members, reports, bad)
    given = _members_scores(scored, members, by_student, seen, bad)
    if bad:
        raise ManualScoresError(path, bad)
    return tuple(seen.values()) + tuple(given.values())


def _group_scores(group_rows: list, members: dict, reports: list[Report], bad: list[str]) -> dict:
    """{(part, group): (score, comment, line, label)} from the filled group rows; each bad one appended to `bad`."""
    manual = {f"{p.problem}.{p.part}": p for r in reports for p in r.parts if p.kind == "manual"}
    auto = {f"{p.problem}.{p.part}" for r in reports for p in r.parts if p.kind != "manual"}
    scored: dict[tuple[str, int], tuple[float, str, int, str]] = {}
    for line, label, key, text, comment in group_rows:
        if not text:
            continue
        number = _whole(label[len(GROUP):].strip())
        if number is None:
            bad.append(f"line {line}: expected {GROUP}N with N a group number of manual.html, got {label!r}.")
            continue
        label = f"{GROUP}{number}"
        part = manual.get(key)
        if part is None:
            if key in auto:
                bad.append(f"line {line}: expected a manual part ({', '.join(manual)}), got {key!r}, which is "
                           "scored automatically.")
            else:
                bad.append(f"line {line}: expected a manual part of this batch as problem.part, got {key!r}."
                           f"{did_you_mean(key, manual)}")
            continue
        if (key, number) not in members:
            listed = sorted(n for k, n in members if k == key)
            got = (f"the groups the sheet's group column gives for {key} are {', '.join(map(str, listed))}" if listed
                   else f"no row of the sheet names a group of {key} in its group column")
            bad.append(f"line {line}: expected a group of {key} listed in the sheet, got {label!r}; {got}.")
            continue
        value = _number(text)
        if value is None:
            bad.append(f"line {line}: expected the score as a number from 0 to {part.points:g}, got {text!r}.")
            continue
        if not 0 <= value <= part.points:
            bad.append(f"line {line}: expected a score from 0 to {part.points:g} for {label} {key}, got {value:g}.")
            continue
        first = scored.get((key, number))
        if first is None:
            scored[(key, number)] = (value, comment, line, label)
        elif first[0] != value:
            bad.append(f"line {line}: expected one score for {label} {key}, got {value:g} here and {first[0]:g} "
                       f"on line {first[2]}.")
    return scored


def _members_scores(scored: dict, members: dict, by_student: dict, own: dict, bad: list[str]) -> dict:
    """{(student, part): ManualScore} for the members of scored groups that have no score of their own."""
    given: dict[tuple[str, str], ManualScore] = {}
    via: dict[tuple[str, str], str] = {}
    for (key, number), (value, comment, line, label) in sorted(scored.items(), key=lambda kv: kv[1][2]):
        for student, member_line in members[(key, number)].items():
            if (student, key) in own:
                continue  # their own row overrides the group's score
            where = f"line {line}: {label} {key} would score {student} (line {member_line})"
            parts = by_student.get(student)
            if parts is None or key not in parts:
                bad.append(f"{where}, who is not a student of this batch with that part."
                           f"{did_you_mean(student, by_student) if parts is None else ''}")
                continue
            part = parts[key]
            if part.status != PENDING:
                bad.append(f"{where}, whose answer is {STATUS_WORDS.get(part.status, part.status)}, so there is "
                           "nothing for a TA to score; take them out of the group.")
                continue
            if value > part.points:
                bad.append(f"{where}: expected a score from 0 to {part.points:g}, got {value:g}.")
                continue
            prior = given.get((student, key))
            if prior is None:
                given[(student, key)] = ManualScore(student, part.problem, part.part, value, comment, line, number)
                via[(student, key)] = label
            elif prior.score != value:
                bad.append(f"line {member_line}: expected one score for {student} {key}, got {value:g} from {label} "
                           f"(line {line}) and {prior.score:g} from {via[(student, key)]} (line {prior.line}); give "
                           f"{student} a row with their own score, or keep them in one group.")
    return given


def sheet_groups(path: Path) -> dict[tuple[str, str], int]:
    """{(student, 'problem.part'): group} as the sheet's group column gives it (the first row wins); {} without one."""
    if not path.is_file():
        return {}
    try:
        rows, _, _ = _rows(path)
    except GraderError:
        return {}  # an unreadable sheet: `read_manual_scores` says why; the page just groups afresh
    out: dict[tuple[str, str], int] = {}
    for _, row in rows:
        student, number = row.get("student", ""), _whole(row.get("group", ""))
        if number is not None and not student.lower().startswith(GROUP):
            out.setdefault((student, row.get("part", "")), number)
    return out


def unlisted_rows(path: Path, reports: list[Report], groups: dict | None = None) -> list[list[str]]:
    """The pending manual parts that have no row in the sheet (blank or filled), as rows to add to it.

    Each row has the sheet's own columns, in its order (the group number from `groups` where it has a column).
    """
    rows, _, header = _rows(path)
    listed = {(row.get("student", ""), row.get("part", "")) for _, row in rows}
    missing = [dict(zip(COLUMNS, row)) for row in pending_rows(reports, groups)
               if not row[0].startswith(GROUP) and (row[0], row[1]) not in listed]
    return [[row.get(column, "") for column in header or COLUMNS] for row in missing]


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

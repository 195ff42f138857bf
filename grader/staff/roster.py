"""Course rosters (a Canvas gradebook export or a Gradescope roster), matched to submissions, and the LMS export.

`grader grade ... --roster ROSTER.csv` reads the roster before grading (a bad
one stops the run), matches every submission folder to a roster row by SIS
login, email or SID (the column that matched is recorded), and writes
`OUT/grades_canvas.csv`: Canvas's identity columns and one assignment column
with each student's total. Roster students without a submission get 0 and
"no submission"; submissions not on the roster are listed, never dropped.

Every cell written goes through grader.csvsafe (the one rule for every CSV
the grader writes): roster names and ids come from outside, and a cell a
spreadsheet would read as a formula is defused.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from grader.csvsafe import safe_cell, write_csv
from grader.errors import GraderError, did_you_mean
from grader.load import SAFE_ID
from grader.model import Report
from grader.outdir import staff_dir

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
GRADESCOPE_COLUMNS = ("First Name", "Last Name", "SID", "Email")
# Rows of a Canvas export that hold no student (the points of each assignment, its posting policy).
CANVAS_META_ROWS = ("Points Possible", "Manual Posting")
DEFAULT_ASSIGNMENT = "HW7"
# A Canvas export names an assignment's column "Name (assignment id)": reusing it updates that assignment.
ASSIGNMENT_COLUMN = re.compile(r"^HW\s*7\b.*\(\d+\)$", re.I)
ROSTER_COPY = "roster.csv"  # the roster as given, kept with the batch so that `grader manual` re-exports
ROSTER_SETTINGS = "roster.json"
MATCHES = "roster_matches.csv"
CANVAS_CSV = "grades_canvas.csv"
NO_SUBMISSION = "no submission"


class RosterError(GraderError):
    """A roster that cannot be used: not Canvas's or Gradescope's columns, not UTF-8, or empty."""


@dataclass(frozen=True)
class RosterStudent:
    """One student row of a roster; fields a format lacks are ''."""

    name: str  # as Canvas writes it ("Last, First")
    canvas_id: str
    sis_user_id: str  # Canvas's SIS User ID, Gradescope's SID
    sis_login_id: str
    section: str
    email: str
    line: int

    def keys(self) -> tuple[tuple[str, str], ...]:
        """(column, value) pairs a submission folder may be named by, in the order they are tried."""
        pairs = (("SIS Login ID", self.sis_login_id), ("Email", self.email), ("SIS User ID", self.sis_user_id),
                 ("ID", self.canvas_id))
        return tuple((column, value) for column, value in pairs if value)


@dataclass(frozen=True)
class Roster:
    """A parsed roster: its format, its students in file order, and the Canvas column to write."""

    format: str  # canvas | gradescope
    students: tuple[RosterStudent, ...]
    assignment: str
    source: str

    def column_name(self, column: str) -> str:
        """The roster's own name for one of our identity columns (Gradescope calls the SIS User ID 'SID')."""
        return "SID" if self.format == "gradescope" and column == "SIS User ID" else column


@dataclass(frozen=True)
class Match:
    """A roster row and the submission matched to it (None: no submission), with the column that matched."""

    student: RosterStudent
    submission: str | None
    column: str = ""
    value: str = ""
    clash: tuple[str, ...] = ()  # every submission that matched this row, when there are several


@dataclass(frozen=True)
class Matching:
    """The roster matched to a batch's submissions."""

    roster: Roster
    matches: tuple[Match, ...]  # one per roster row, in roster order
    unlisted: tuple[str, ...]  # submissions that match no roster row
    ambiguous: tuple[tuple[str, str, tuple[int, ...]], ...]  # (submission, column, roster lines) matching several rows

    def summary(self) -> list[str]:
        """Lines for the console and the index page: how many matched, by which column, and what did not."""
        matched = [m for m in self.matches if m.submission and not m.clash]
        by: dict[str, int] = {}
        for m in matched:
            name = self.roster.column_name(m.column)
            by[name] = by.get(name, 0) + 1
        how = ", ".join(f"{n} by {c}" for c, n in by.items())
        lines = [f"roster {self.roster.source} ({self.roster.format}): {len(matched)} of {len(self.matches)} "
                 f"student(s) matched to a submission{f' ({how})' if how else ''}"]
        missing = [m for m in self.matches if m.submission is None]
        if missing:
            lines.append(f"{len(missing)} student(s) on the roster have no submission (0, \"{NO_SUBMISSION}\"): "
                         + ", ".join(m.student.name or m.student.keys()[0][1] for m in missing[:10])
                         + (" ..." if len(missing) > 10 else ""))
        for m in self.matches:
            if m.clash:
                lines.append(f"several submissions match {m.student.name} (roster line {m.student.line}): "
                             f"{', '.join(m.clash)}; their Canvas cell is left blank")
        if self.unlisted:
            lines.append(f"{len(self.unlisted)} submission(s) are not on the roster (graded, not in "
                         f"{CANVAS_CSV}): {', '.join(self.unlisted)}")
        for sub, column, rows in self.ambiguous:
            lines.append(f"submission {sub} matches {len(rows)} roster rows by {self.roster.column_name(column)} "
                         f"(lines {', '.join(map(str, rows))}); it is left unmatched")
        return lines


def _key(value: str) -> str:
    """A roster value as a submission folder would be named after it (the loader's safe id), case-folded."""
    return SAFE_ID.sub("_", value.strip()).strip("._").casefold()


def parse_roster(text: str, source: str = "roster", assignment: str | None = None) -> Roster:
    """A Roster from a CSV's text; RosterError naming the columns expected when it is neither format."""
    # A byte-order mark (spreadsheets save one) would glue itself to the first column's name.
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    if not rows:
        raise RosterError(f"{source}: expected a roster CSV, got an empty file")
    header = [h.strip() for h in rows[0]]
    col = {h: i for i, h in enumerate(header) if h}
    if all(c in col for c in CANVAS_COLUMNS):
        fmt = "canvas"
    elif all(c in col for c in GRADESCOPE_COLUMNS):
        fmt = "gradescope"
    else:
        canvas_missing = [c for c in CANVAS_COLUMNS if c not in col]
        gs_missing = [c for c in GRADESCOPE_COLUMNS if c not in col]
        missing = canvas_missing if len(canvas_missing) <= len(gs_missing) else gs_missing
        hint = "".join(did_you_mean(m, list(col)) for m in missing[:1])
        raise RosterError(f"{source}: expected a Canvas gradebook export ({', '.join(CANVAS_COLUMNS)}) or a "
                          f"Gradescope roster ({', '.join(GRADESCOPE_COLUMNS)}), got the columns "
                          f"{', '.join(header) or 'none'}; missing {', '.join(missing)}.{hint}")

    def cell(row: list[str], name: str) -> str:
        i = col.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    students = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if fmt == "canvas":
            if cell(row, "Student") in CANVAS_META_ROWS:
                continue
            students.append(RosterStudent(cell(row, "Student"), cell(row, "ID"), cell(row, "SIS User ID"),
                                          cell(row, "SIS Login ID"), cell(row, "Section"), "", line))
        else:
            name = ", ".join(x for x in (cell(row, "Last Name"), cell(row, "First Name")) if x)
            students.append(RosterStudent(name, "", cell(row, "SID"), "", cell(row, "Section") or
                                          cell(row, "Sections"), cell(row, "Email"), line))
    nameless = [s.line for s in students if not s.keys()]
    if nameless:
        wanted = "SIS Login ID, SIS User ID or ID" if fmt == "canvas" else "Email or SID"
        raise RosterError(f"{source}: line {nameless[0]}: expected a student with {wanted}, got none of them "
                          f"({len(nameless)} such row(s)); a row without them cannot be matched or imported")
    if not students:
        raise RosterError(f"{source}: expected at least one student row below the header, got none")
    return Roster(fmt, tuple(students), assignment or _assignment_column(header, source), source)


def _assignment_column(header: list[str], source: str) -> str:
    """The HW7 column of a Canvas export, "HW7 (id)", so that the import updates it; else a new "HW7"."""
    found = [h for h in header if ASSIGNMENT_COLUMN.match(h)]
    if len(found) > 1:
        raise RosterError(f"{source}: expected at most one HW7 assignment column, got {', '.join(found)}; "
                          "name the one to write with --canvas-assignment")
    return found[0] if found else DEFAULT_ASSIGNMENT


def read_roster(path: Path, assignment: str | None = None) -> Roster:
    """The roster in `path` (UTF-8, with or without a byte-order mark); RosterError when it cannot be used."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RosterError(f"--roster: expected a roster CSV file, got {path}, which does not exist") from None
    except UnicodeDecodeError as exc:
        raise RosterError(f"{path}: expected a CSV file in UTF-8, got other bytes ({exc}). "
                          "Save it as \"CSV UTF-8\".") from None
    return parse_roster(text, str(path), assignment)


def match(roster: Roster, submissions: list[str]) -> Matching:
    """Match submission ids to roster rows: each by the first column (SIS login, email, SID, Canvas id) that names it."""
    index: dict[tuple[str, str], list[RosterStudent]] = {}
    for s in roster.students:
        for column, value in s.keys():
            index.setdefault((column, _key(value)), []).append(s)
    claimed: dict[int, list[tuple[str, str, str]]] = {}  # roster line -> [(submission, column, value)]
    unlisted, ambiguous = [], []
    for sub in submissions:
        for column in ("SIS Login ID", "Email", "SIS User ID", "ID"):
            rows = index.get((column, _key(sub)), [])
            if len(rows) == 1:
                value = dict(rows[0].keys())[column]
                claimed.setdefault(rows[0].line, []).append((sub, column, value))
                break
            if len(rows) > 1:
                ambiguous.append((sub, column, tuple(r.line for r in rows)))
                break
        else:
            unlisted.append(sub)
    matches = []
    for s in roster.students:
        subs = claimed.get(s.line, [])
        if not subs:
            matches.append(Match(s, None))
        else:
            sub, column, value = subs[0]
            matches.append(Match(s, sub, column, value, tuple(x[0] for x in subs) if len(subs) > 1 else ()))
    return Matching(roster, tuple(matches), tuple(unlisted), tuple(ambiguous))


def points_possible(reports: list[Report]) -> float:
    """The assignment's points: the largest max_score of the batch (extra credit not counted)."""
    return max((r.max_score for r in reports), default=0.0)


def canvas_rows(matching: Matching, reports: list[Report]) -> list[list[str]]:
    """grades_canvas.csv: Canvas's identity columns, one assignment column, a Points Possible row, one row per student.

    A student with manual parts still pending, or matched by several submissions, gets a blank cell: a
    Canvas import leaves a blank unchanged, so no unfinished total reaches the gradebook.
    """
    by = {r.student: r for r in reports}
    rows = [list(CANVAS_COLUMNS) + [safe_cell(matching.roster.assignment)],
            ["Points Possible", "", "", "", "", f"{points_possible(reports):g}"]]
    for m in matching.matches:
        s = m.student
        report = by.get(m.submission) if m.submission else None
        if m.clash or (report is not None and report.pending_points):
            total = ""
        elif report is None:
            total = "0"
        else:
            total = f"{report.score:g}"
        rows.append([safe_cell(x) for x in (s.name, s.canvas_id, s.sis_user_id, s.sis_login_id, s.section)] + [total])
    return rows


def match_rows(matching: Matching, reports: list[Report]) -> list[list[str]]:
    """roster_matches.csv (staff): each roster row with its submission and the column that matched, then the unlisted."""
    by = {r.student: r for r in reports}
    rows = [["roster_line", "name", "submission", "matched_by", "matched_value", "status", "score"]]
    for m in matching.matches:
        report = by.get(m.submission) if m.submission else None
        status = ("several submissions: " + " ".join(m.clash) if m.clash else NO_SUBMISSION if m.submission is None
                  else "pending manual" if report is not None and report.pending_points else "matched")
        score = "" if m.clash else "0" if report is None else f"{report.score:g}"
        rows.append([str(m.student.line), m.student.name, m.submission or "", matching.roster.column_name(m.column),
                     m.value, status, score])
    amb = {sub for sub, _, _ in matching.ambiguous}
    for sub in matching.unlisted + tuple(sorted(amb)):
        report = by.get(sub)
        rows.append(["", "", sub, "", "", "matches several roster rows" if sub in amb else "not on the roster",
                     f"{report.score:g}" if report else ""])
    return [[safe_cell(c) for c in row] for row in rows]


def absent_rows(matching: Matching, header: list[str], reports: list[Report]) -> list[list[str]]:
    """Rows for grades.csv, one per roster student without a submission: 0 everywhere, status "no submission"."""
    max_score = f"{points_possible(reports):g}"
    rows = []
    for m in matching.matches:
        if m.submission is not None:
            continue
        ident = m.student.keys()[0][1]
        row = {"student": ident, "score": "0", "max_score": max_score, "pending_manual": "0", "status": NO_SUBMISSION}
        rows.append([safe_cell(row.get(h, "0" if "." in h else "")) for h in header])
    return rows


def keep_roster(roster_path: Path, roster: Roster, out: Path) -> None:
    """Keep the roster with the batch (OUT/_staff/), so that `grader manual` writes the same exports."""
    staff = staff_dir(out)
    staff.mkdir(parents=True, exist_ok=True)
    (staff / ROSTER_COPY).write_bytes(Path(roster_path).read_bytes())
    settings = {"format": 1, "source": roster.source, "assignment": roster.assignment}
    (staff / ROSTER_SETTINGS).write_text(json.dumps(settings, indent=1), encoding="utf-8")


def kept_roster(out: Path) -> Roster | None:
    """The roster a `grader grade --roster` kept in OUT/_staff/, or None when the batch has none."""
    staff = staff_dir(out)
    if not (staff / ROSTER_COPY).is_file():
        return None
    try:
        settings = json.loads((staff / ROSTER_SETTINGS).read_text(encoding="utf-8"))
        assignment, source = str(settings["assignment"]), str(settings["source"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RosterError(f"{staff / ROSTER_SETTINGS}: expected the roster settings `grader grade --roster` wrote, "
                          f"got a file that cannot be read ({type(exc).__name__}: {exc}). Grade again with --roster.") from None
    return replace(read_roster(staff / ROSTER_COPY, assignment), source=source)


def write_exports(reports: list[Report], out: Path) -> list[str]:
    """With a kept roster: grades_canvas.csv, _staff/roster_matches.csv and grades.csv's absent rows; lines to print."""
    roster = kept_roster(out)
    if roster is None:
        return []
    matching = match(roster, [r.student for r in reports])
    canvas, matches = canvas_rows(matching, reports), match_rows(matching, reports)
    write_csv(out / CANVAS_CSV, canvas[0], canvas[1:])
    staff_dir(out).mkdir(parents=True, exist_ok=True)
    write_csv(staff_dir(out) / MATCHES, matches[0], matches[1:])
    grades = out / "grades.csv"
    if grades.is_file():
        with open(grades, newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh), [])
        with open(grades, "a", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(absent_rows(matching, header, reports))
    lines = matching.summary()
    pending = sum(1 for m in matching.matches if m.submission and not m.clash
                  and any(r.student == m.submission and r.pending_points for r in reports))
    if pending:
        lines.append(f"{pending} student(s) have manual parts pending: their {CANVAS_CSV} cell is blank until "
                     "a TA scores them (`grader manual`)")
    return lines

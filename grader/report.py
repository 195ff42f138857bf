"""Stage 5, report: results.json (Gradescope format), report.html, grades.csv, manual.html, console table.

What a student sees (results.json, report.html, the console) never holds a rubric, a hidden check's details,
or, before the due date, an after-due check's feedback; those go to the staff files under OUT/_staff/
(see grader.outdir for the layout). The class report (summary.html, index.html, TA files) is
grader/staff/classreport.py's.
"""
from __future__ import annotations

import html
import json
import os
from dataclasses import replace
from pathlib import Path

import jinja2

from grader.csvsafe import write_csv
from grader.model import CHECK_BROKEN, FORMAT, NOT_ANSWERED, OPTIONAL, PASSED, PENDING, CheckResult, Report
from grader.outdir import HANDED_BACK, OLD_STAFF_FILES, TRANSCRIPT_PAGE, staff_dir, staff_student_dir, student_dir
from grader.transcripts.marks import write_transcript
from grader.types import count_words

STATUS_WORDS = {
    "passed": "passed", "partial": "partly right", "wrong": "wrong", "format": "format error",
    "not_answered": "not answered", "error": "code crashed", "check_broken": "not graded (grader problem)",
    "pending": "awaiting manual grading", "optional": "optional, not attempted",
}
GRADESCOPE_VISIBILITY = {"public": "visible", "hidden": "after_published", "after_due": "after_due_date"}
HIDDEN_OUTPUT = "Hidden check: its details are not shown."
AFTER_DUE_OUTPUT = "Graded; its feedback is shown after the due date."

_env = jinja2.Environment(loader=jinja2.PackageLoader("grader", "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def student_message(check: CheckResult, after_due_feedback: bool) -> str:
    """What a student may see of a check: only name and points of a hidden one, or of an after_due one before the due date."""
    withheld = {"hidden": HIDDEN_OUTPUT, "after_due": None if after_due_feedback else AFTER_DUE_OUTPUT}
    neutral = withheld.get(check.visibility)
    if neutral and (check.status != "passed" or check.message):
        return neutral
    return check.message


def _extra_credit(report: Report) -> set[tuple[str, str]]:
    """(problem, part) of each optional part: extra credit, outside the maximum."""
    return {(p.problem, p.part) for p in report.parts if p.extra_credit}


def withheld_messages(report: Report) -> list[str]:
    """The messages a student is not shown (hidden checks; after-due ones before the due date), for staff.txt."""
    return [f"{c.visibility} check {c.name} ({c.status}):\n{c.message}" for c in report.checks
            if c.message and student_message(c, report.after_due_feedback) != c.message]


def after_due_note(report: Report) -> str:
    """One line saying whether the report includes after-due-date feedback."""
    if report.mode != "grade":
        return "Student check: public checks only; graded checks and after-due-date feedback come with grading."
    if report.after_due_feedback:
        return "This graded report includes after-due-date feedback."
    return ("This graded report does not include after-due-date feedback (graded before the due date): "
            "checks marked \"graded after the due date\" are scored, their feedback is shown later.")


def results_json(report: Report, manual_elsewhere: bool = False) -> dict:
    """The Gradescope autograder results for one submission (the fields of Gradescope's specification that fit).

    An extra-credit check has `max_score` 0 and its points in `extra_data.extra_credit_points`: the sum of
    the tests' maxima stays the assignment's total, and what it earns lifts the score above it (Gradescope
    takes a score above the maximum). Not attempted, it is "passed" at 0/0: never a failed test.

    With `manual_elsewhere` (the Gradescope autograder), free-response parts are scored by TAs in Gradescope's
    own manual grading: their tests carry no points and the autograder's max_score leaves them out.
    """
    tests = []
    numbers = _test_numbers(report)
    manual_points = 0.0
    extra = _extra_credit(report)
    for c in report.checks:
        is_extra = (c.problem, c.part) in extra
        shown = student_message(c, report.after_due_feedback)
        entry = {"name": c.name, "number": numbers[(c.problem, c.part, c.claim)], "score": c.score,
                 "max_score": 0.0 if is_extra else c.points,
                 "status": "passed" if c.status in (PASSED, OPTIONAL) else "failed",
                 "output": shown or STATUS_WORDS.get(c.status, c.status),
                 "tags": [c.problem, f"{c.problem}.{c.part}"],
                 "visibility": GRADESCOPE_VISIBILITY[c.visibility]}
        entry["extra_data"] = {"status": c.status, "claim": c.claim}
        if is_extra:
            entry["extra_data"].update(extra_credit=True, extra_credit_points=c.points)
        if c.status == PENDING:
            entry["output"] = ("Awaiting manual grading by a TA. " + (c.message or "")).strip()
            entry["extra_data"]["pending_manual"] = True
        if manual_elsewhere and c.part in manual_parts(report, c.problem):
            manual_points += c.points
            del entry["score"], entry["max_score"], entry["status"]  # informational: no points, neither passed nor failed
            found = "" if c.status == PENDING or not shown else f" The autograder notes: {shown}"
            entry["output"] = (f"Scored by a TA in Gradescope's manual grading ({c.points:g} points, not part of "
                               f"the autograder's score).{found}")
        tests.append(entry)
    overall = _overall_html(replace(report, parts=tuple(p for p in report.parts if p.kind != "manual"))
                            if manual_elsewhere else report)
    if manual_points:
        overall = (f"<p>This is the autograder's score; the free responses ({manual_points:g} points) are scored by a "
                   "TA in Gradescope.</p>" + ("\n" + overall if overall else ""))
    out = {"score": report.score, "max_score": round(report.max_score - manual_points, 6),
           "execution_time": round(sum(o.seconds for o in report.stages)),
           # The overall output holds import errors and tracebacks (`<module>`): escaped HTML, never read as markup.
           "output": overall, "output_format": "html",
           # Check messages are plain text with aligned carets under parse errors: shown as written, in <pre>.
           "test_output_format": "text", "test_name_format": "text",
           "stdout_visibility": "hidden",  # run_autograder's stdout carries staff notes
           "tests": tests,
           "extra_data": {"student": report.student, "mode": report.mode, "kind": report.kind,
                          "pending_manual_points": report.pending_points, "sandboxed": report.sandboxed,
                          "after_due_feedback": report.after_due_feedback}}
    board = leaderboard(report)
    if board:
        out["leaderboard"] = board
    return out


def manual_parts(report: Report, problem: str) -> set[str]:
    """The names of `problem`'s free-response parts in this report."""
    return {p.part for p in report.parts if p.problem == problem and p.kind == "manual"}


def _test_numbers(report: Report) -> dict:
    """(problem, part, claim) -> "p.q.c": problem, part and check numbers, for Gradescope's ordering."""
    problems = [name for name, _ in report.problems] or list(dict.fromkeys(c.problem for c in report.checks))
    parts: dict[str, list[str]] = {}
    for p in report.parts:
        parts.setdefault(p.problem, []).append(p.part)
    seen: dict[tuple[str, str], int] = {}
    numbers = {}
    for c in report.checks:
        pi = problems.index(c.problem) + 1 if c.problem in problems else len(problems) + 1
        known = parts.get(c.problem, [])
        qi = known.index(c.part) + 1 if c.part in known else len(known) + 1
        seen[(c.problem, c.part)] = seen.get((c.problem, c.part), 0) + 1
        numbers[(c.problem, c.part, c.claim)] = f"{pi}.{qi}.{seen[(c.problem, c.part)]}"
    return numbers


def leaderboard(report: Report) -> list[dict]:
    """Gradescope leaderboard entries: what checks whose details students see measured.

    A hidden check's numbers stay hidden, and so do an after-due check's before the due date.
    """
    return [{"name": m.name, "value": m.value, "order": m.order} for c in report.checks
            if c.visibility == "public" or (c.visibility == "after_due" and report.after_due_feedback)
            for m in c.metrics]


def _overall_lines(report: Report) -> list[str]:
    lines = []
    if report.load_error:
        lines.append(f"The submission could not be loaded: {report.load_error}")
    if report.import_error:
        lines.append(f"Your code raised an error while being imported:\n{report.import_error}")
    if report.pending_points:
        lines.append(f"{report.pending_points:g} points await manual grading.")
    lines += list(report.notes)
    return lines


def _overall_output(report: Report) -> str:
    return "\n".join(_overall_lines(report))


def _overall_html(report: Report) -> str:
    """The overall output as escaped HTML: one paragraph per note, what follows a note's first line in <pre>."""
    out = []
    for item in _overall_lines(report):
        first, _, rest = item.partition("\n")
        out.append(f"<p>{html.escape(first)}</p>" + (f"<pre>{html.escape(rest)}</pre>" if rest else ""))
    return "\n".join(out)


def render_html(report: Report) -> str:
    """A self-contained HTML report (inline CSS, no scripts, no network)."""
    return _env.get_template("report.html.j2").render(
        r=report, words=STATUS_WORDS, message=lambda c: student_message(c, report.after_due_feedback),
        overall=_overall_output(report), after_due=after_due_note(report))


def part_columns(reports: list[Report]) -> list[tuple[str, str]]:
    """(problem, part) for each part, in declaration order: the columns of the batch views.

    A batch may grade different problems for different folders (`grade --per-problem-dirs`): the columns
    are every part any report has, each problem's parts together, problems in first-seen order.
    """
    by_problem: dict[str, list[str]] = {}
    for r in reports:
        for p in r.parts:
            parts = by_problem.setdefault(p.problem, [])
            if p.part not in parts:
                parts.append(p.part)
    return [(problem, part) for problem, parts in by_problem.items() for part in parts]


def write_grades_csv(reports: list[Report], path: Path) -> None:
    """grades.csv: one row per student, one column per part, totals and pending points."""
    parts = part_columns(reports)
    rows = []
    for r in reports:
        by = {(p.problem, p.part): p for p in r.parts}
        cells = []
        for key in parts:
            p = by.get(key)
            cells.append("" if p is None else ("pending" if p.pending else f"{p.score:g}"))
        status = "unreadable" if r.load_error else ("import error" if r.import_error else "graded")
        if any(c.status == CHECK_BROKEN for c in r.checks):
            status = "needs staff attention"
        rows.append([r.student, f"{r.score:g}", f"{r.max_score:g}", f"{r.pending_points:g}"] + cells + [status])
    write_csv(path, ["student", "score", "max_score", "pending_manual"] + [f"{a}.{b}" for a, b in parts] + ["status"],
              rows)


def render_manual(reports: list[Report], groups: dict | None = None) -> str | None:
    """The TA's page for the free responses: per manual part, its rubric and its answer groups; None if none.

    `groups` are the batch's answer groups (grader.staff.groups.answer_groups), computed here when not given.
    """
    questions = []
    for key in part_columns(reports):
        answers, part = {}, None
        for r in reports:
            p = next((x for x in r.parts if (x.problem, x.part) == key), None)
            if p is None or p.kind != "manual":
                continue
            part = part or p
            text = next((t for a, b, t in r.responses if (a, b) == key), None)
            shown = "awaiting a score" if p.pending else (STATUS_WORDS.get(p.status, p.status) if p.status in (
                NOT_ANSWERED, FORMAT, CHECK_BROKEN) else f"scored {p.score:g}/{p.points:g}")
            answers[r.student] = {"student": r.student, "status": p.status, "shown_status": shown, "text": text,
                                  "words": count_words(text) if text is not None else 0}
        if part is None:
            continue
        name = f"{part.problem}.{part.part}"
        if groups is None:
            from grader.staff.groups import answer_groups  # staff-only: a student package has no answer groups

            groups = answer_groups(reports)
        found = groups.get(name)
        shown_groups, placed = [], set()
        for g in (found.groups if found else ()):
            members = [{**answers[m.student], "likeness": m.likeness} for m in g.members if m.student in answers]
            placed.update(m["student"] for m in members)
            if members:
                shown_groups.append({"number": g.number, "label": g.label, "members": members,
                                     "identical": g.identical, "near": g.near, "key_points": g.key_points,
                                     "hints": g.hints, "pending": sum(m["status"] == PENDING for m in members)})
        # Whoever the groups do not hold (nothing to score, or a student new since they were made) is listed once.
        rest = [a for s, a in answers.items() if s not in placed]
        loose = [a for a in rest if a["text"] is not None and a["status"] not in (NOT_ANSWERED, FORMAT, CHECK_BROKEN)]
        questions.append({"key": name, "points": part.points, "rubric": part.rubric, "groups": shown_groups,
                          "answered": len(placed), "loose": loose, "idle": [a for a in rest if a not in loose],
                          "pending": sum(a["status"] == PENDING for a in answers.values())})
    if not questions:
        return None
    return _env.get_template("manual.html.j2").render(questions=questions,
                                                      pending=sum(q["pending"] for q in questions))


def write_text(path: Path, text: str) -> None:
    """Write a file whole or not at all (a temporary file renamed over it), so a killed run leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


MANUAL_PAGE = "manual.html"
STAFF_NOTES = "staff.txt"


def write_student(report: Report, out: Path) -> None:
    """Write one student's files: the handed-back folder (results.json, report.html, a chat's transcript.html)
    and the staff notes (OUT/_staff/<student>/staff.txt, when there are any)."""
    d = student_dir(out, report.student)
    d.mkdir(parents=True, exist_ok=True)
    results, page = HANDED_BACK
    write_text(d / results, json.dumps(results_json(report), indent=2))
    write_text(d / page, render_html(report))
    write_transcript(report, d / TRANSCRIPT_PAGE, STATUS_WORDS)  # a chat submission: the chat, marked
    for name in OLD_STAFF_FILES:  # left in the student's folder by an older grader: never hand them back
        (d / name).unlink(missing_ok=True)
    staff = list(report.staff_notes) + withheld_messages(report)
    notes = staff_student_dir(out, report.student) / STAFF_NOTES
    if staff or report.output:
        write_text(notes, "\n\n".join(staff + ([f"Output of the submission:\n{report.output}"] if report.output else [])))
    else:
        notes.unlink(missing_ok=True)  # from an earlier grading of this student: no longer true


def write_batch(reports: list[Report], out: Path, groups: dict | None = None) -> None:
    """Write the batch's own files: grades.csv, and the staff's manual.html when there are manual parts.

    `groups` are the manual parts' answer groups for manual.html (computed afresh when not given). The class
    pages (summary.html, index.html) and the LMS exports come after, from grader.staff.views.
    """
    out.mkdir(parents=True, exist_ok=True)
    manual = render_manual(reports, groups)
    page = staff_dir(out) / MANUAL_PAGE
    if manual is not None:
        write_text(page, manual)
    else:
        page.unlink(missing_ok=True)
    tmp = out / ".grades.csv.tmp"
    write_grades_csv(reports, tmp)
    os.replace(tmp, out / "grades.csv")  # a batch killed mid-write keeps the last whole grades.csv


def write_outputs(reports: list[Report], out: Path, groups: dict | None = None) -> None:
    """Write a batch's files: each student's handed-back folder, grades.csv, and the staff files.

    `groups` are the manual parts' answer groups for manual.html (computed afresh when not given). The class
    pages (summary.html, index.html) and the LMS exports come after, from grader.staff.views.
    """
    out.mkdir(parents=True, exist_ok=True)
    for r in reports:
        write_student(r, out)
    write_batch(reports, out, groups)


def console_table(report: Report, color: bool = False) -> str:
    """The student's view in a terminal: one line per check, then the parts and the total."""
    marks = {"passed": "PASS", "partial": "PART", "pending": "TA  ", "not_answered": "----", "optional": "OPT "}
    lines = []
    if report.load_error:
        lines.append(f"Could not load the submission: {report.load_error}\n")
    if report.import_error:
        lines.append(f"Your code raised an error while being imported:\n{_indent(report.import_error)}\n")
    for note in report.notes:
        lines.append(f"note: {note}")
    current = None
    extra = _extra_credit(report)
    for c in report.checks:
        if c.problem != current:
            current = c.problem
            title = dict(report.problems).get(c.problem, c.problem)
            lines.append(f"\n== {c.problem}: {title}")
        mark = marks.get(c.status, "FAIL")
        points = f"{c.score:g}/{c.points:g}"
        lines.append(f"[{mark}] {c.name}  ({'extra credit ' + points if (c.problem, c.part) in extra else points})")
        msg = student_message(c, report.after_due_feedback)
        if msg:
            lines.append(_indent(msg))
    lines.append("\nParts:")
    width = max((len(f"{p.problem}.{p.part}") for p in report.parts), default=10)
    for p in report.parts:
        shown = "pending (manual)" if p.pending else (
            f"+{p.score:g} of {p.points:g} extra" if p.extra_credit else f"{p.score:g}/{p.points:g}")
        if p.status == OPTIONAL:
            shown = f"{p.points:g} extra"
        lines.append(f"  {p.problem + '.' + p.part:<{width}}  {shown:>16}  {STATUS_WORDS.get(p.status, p.status)}")
    lines.append("\n" + total_line(report))
    if not report.sandboxed:
        lines.append("(ran without the bubblewrap sandbox)")
    return "\n".join(lines)


def total_line(report: Report) -> str:
    """The total, saying what it counts: in a student's check, the public checks and what counts later.

    "Public checks: 36/36. Hidden checks and 20 manual points count when your TA grades." Extra credit is
    named apart, never in the maximum.
    """
    extra = _extra_credit(report)
    earned_extra = round(sum(p.score for p in report.parts if p.extra_credit), 6)
    plus = f" Extra credit: +{earned_extra:g}." if earned_extra else ""
    if report.mode != "check":
        line = f"Total: {report.score:g}/{report.max_score:g}"
        if report.pending_points:
            line += f" ({report.pending_points:g} points await manual grading)"
        return line + ("." + plus if plus else "")
    public = [c for c in report.checks if c.status != PENDING and (c.problem, c.part) not in extra]
    earned = round(sum(c.score for c in public), 6)
    available = round(sum(c.points for c in public), 6)
    later = "Hidden checks" + (f" and {report.pending_points:g} manual points" if report.pending_points else "")
    return f"Public checks: {earned:g}/{available:g}.{plus} {later} count when your TA grades."


def _indent(text: str) -> str:
    return "\n".join("      " + line for line in text.splitlines())


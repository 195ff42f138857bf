"""Stage 5, report: results.json (Gradescope format), report.html, summary.html, grades.csv, console table."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import jinja2

from grader.model import CHECK_BROKEN, FORMAT, NOT_ANSWERED, PENDING, Report
from grader.staff.groups import answer_groups
from grader.staff.similarity import PAGE as SIMILARITY_PAGE
from grader.types import count_words

STATUS_WORDS = {
    "passed": "passed", "partial": "partly right", "wrong": "wrong", "format": "format error",
    "not_answered": "not answered", "error": "code crashed", "check_broken": "not graded (grader problem)",
    "pending": "awaiting manual grading",
}
GRADESCOPE_VISIBILITY = {"public": "visible", "hidden": "after_published", "after_due": "after_due_date"}
HIDDEN_OUTPUT = "Hidden check: its details are not shown."

_env = jinja2.Environment(loader=jinja2.PackageLoader("grader", "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def student_message(check) -> str:
    """What a student may see of a check: hidden checks show nothing but their name and points."""
    if check.visibility == "hidden" and (check.status != "passed" or check.message):
        return HIDDEN_OUTPUT
    return check.message


def results_json(report: Report) -> dict:
    """The Gradescope autograder results for one submission."""
    tests = []
    for c in report.checks:
        entry = {"name": c.name, "score": c.score, "max_score": c.points,
                 "status": "passed" if c.status == "passed" else "failed",
                 "output": student_message(c) or STATUS_WORDS.get(c.status, c.status),
                 "visibility": GRADESCOPE_VISIBILITY[c.visibility]}
        entry["extra_data"] = {"status": c.status, "claim": c.claim}
        if c.status == PENDING:
            entry["output"] = ("Awaiting manual grading by a TA. " + (c.message or "")).strip()
            entry["extra_data"]["pending_manual"] = True
        tests.append(entry)
    out = {"score": report.score, "max_score": report.max_score, "tests": tests,
           "output": _overall_output(report),
           "extra_data": {"student": report.student, "mode": report.mode, "kind": report.kind,
                          "pending_manual_points": report.pending_points, "sandboxed": report.sandboxed}}
    return out


def _overall_output(report: Report) -> str:
    lines = []
    if report.load_error:
        lines.append(f"The submission could not be loaded: {report.load_error}")
    if report.import_error:
        lines.append(f"Your code raised an error while being imported:\n{report.import_error}")
    if report.pending_points:
        lines.append(f"{report.pending_points:g} points await manual grading.")
    lines += list(report.notes)
    return "\n".join(lines)


def render_html(report: Report) -> str:
    """A self-contained HTML report (inline CSS, no scripts, no network)."""
    return _env.get_template("report.html.j2").render(r=report, words=STATUS_WORDS, message=student_message,
                                                      overall=_overall_output(report))


def _part_columns(reports: list[Report]) -> list[tuple[str, str]]:
    """(problem, part) for each part, in declaration order: the columns of the batch views."""
    return [(p.problem, p.part) for p in reports[0].parts] if reports else []


def render_summary(reports: list[Report], similarity: str | None = None) -> str:
    """The TA's overview of a batch, one row per student; `similarity`: the similarity page's address, if any."""
    parts = _part_columns(reports)
    return _env.get_template("summary.html.j2").render(reports=reports, parts=parts, words=STATUS_WORDS,
                                                       similarity=similarity)


def write_grades_csv(reports: list[Report], path: Path) -> None:
    """grades.csv: one row per student, one column per part, totals and pending points."""
    parts = _part_columns(reports)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["student", "score", "max_score", "pending_manual"] + [f"{a}.{b}" for a, b in parts] + ["status"])
        for r in reports:
            by = {(p.problem, p.part): p for p in r.parts}
            cells = []
            for key in parts:
                p = by.get(key)
                cells.append("" if p is None else ("pending" if p.pending else f"{p.score:g}"))
            status = "unreadable" if r.load_error else ("import error" if r.import_error else "graded")
            if any(c.status == CHECK_BROKEN for c in r.checks):
                status = "needs staff attention"
            w.writerow([r.student, f"{r.score:g}", f"{r.max_score:g}", f"{r.pending_points:g}"] + cells + [status])


def render_manual(reports: list[Report], groups: dict | None = None) -> str | None:
    """The TA's page for the free responses: per manual part, its rubric and its answer groups; None if none.

    `groups` are the batch's answer groups (grader.staff.groups.answer_groups), computed here when not given.
    """
    questions = []
    for key in _part_columns(reports):
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


def write_outputs(reports: list[Report], out: Path, groups: dict | None = None) -> None:
    """Write every file of the answer contract for a batch into `out`; `groups`: the manual parts' answer groups."""
    out.mkdir(parents=True, exist_ok=True)
    for r in reports:
        d = out / r.student
        d.mkdir(parents=True, exist_ok=True)
        (d / "results.json").write_text(json.dumps(results_json(r), indent=2), encoding="utf-8")
        (d / "report.html").write_text(render_html(r), encoding="utf-8")
        staff = list(r.staff_notes)
        staff += [f"hidden check {c.name} ({c.status}):\n{c.message}" for c in r.checks
                  if c.visibility == "hidden" and c.status != "passed" and c.message]
        if staff or r.output:
            (d / "staff.txt").write_text("\n\n".join(staff + ([f"Output of the submission:\n{r.output}"] if r.output else [])),
                                         encoding="utf-8")
    # `grader grade` writes the similarity page before this; the summary links it while it is there.
    similarity = SIMILARITY_PAGE.as_posix() if (out / SIMILARITY_PAGE).is_file() else None
    (out / "summary.html").write_text(render_summary(reports, similarity), encoding="utf-8")
    manual = render_manual(reports, groups)
    if manual is not None:
        (out / "manual.html").write_text(manual, encoding="utf-8")
    write_grades_csv(reports, out / "grades.csv")


def console_table(report: Report, color: bool = False) -> str:
    """The student's view in a terminal: one line per check, then the parts and the total."""
    marks = {"passed": "PASS", "partial": "PART", "pending": "TA  ", "not_answered": "----"}
    lines = []
    if report.load_error:
        lines.append(f"Could not load the submission: {report.load_error}\n")
    if report.import_error:
        lines.append(f"Your code raised an error while being imported:\n{_indent(report.import_error)}\n")
    for note in report.notes:
        lines.append(f"note: {note}")
    current = None
    for c in report.checks:
        if c.problem != current:
            current = c.problem
            title = dict(report.problems).get(c.problem, c.problem)
            lines.append(f"\n== {c.problem}: {title}")
        mark = marks.get(c.status, "FAIL")
        lines.append(f"[{mark}] {c.name}  ({c.score:g}/{c.points:g})")
        msg = student_message(c)
        if msg:
            lines.append(_indent(msg))
    lines.append("\nParts:")
    width = max((len(f"{p.problem}.{p.part}") for p in report.parts), default=10)
    for p in report.parts:
        shown = "pending (manual)" if p.pending else f"{p.score:g}/{p.points:g}"
        lines.append(f"  {p.problem + '.' + p.part:<{width}}  {shown:>16}  {STATUS_WORDS.get(p.status, p.status)}")
    total = f"\nTotal: {report.score:g}/{report.max_score:g}"
    if report.pending_points:
        total += f" ({report.pending_points:g} points await manual grading)"
    lines.append(total)
    if not report.sandboxed:
        lines.append("(ran without the bubblewrap sandbox)")
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("      " + line for line in text.splitlines())


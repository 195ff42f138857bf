"""report.json: a graded Report as plain JSON, so that later commands (`grader manual`) need no re-grading.

Staff only: a report.json holds every check's full message, hidden ones included, and the free responses'
rubrics, so it lives in OUT/_staff/<student>/, never in the folder handed back (grader.outdir).
"""
from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path

from grader.errors import GraderError
from grader.model import CheckResult, Outcome, PartScore, Report
from grader.outdir import OLD_STAFF_FILES, staff_dir, staff_student_dir
from grader.transcripts.marks import Transcript

FORMAT = 1
REPORT_FILE = "report.json"
BATCH_FILE = "batch.json"  # the students of the last `grader grade` into this folder, in its order


def report_to_json(report: Report) -> dict:
    """The whole Report as JSON-ready data, with a `format` number."""
    data = {"format": FORMAT, **{f.name: getattr(report, f.name) for f in fields(Report)}}
    data["checks"] = [asdict(c) for c in report.checks]
    data["parts"] = [asdict(p) for p in report.parts]
    # Stages keep only their errors and timings: the pipeline drops their values before they reach a Report.
    data["stages"] = [{"stage": o.stage, "error": o.error, "seconds": o.seconds} for o in report.stages]
    data["notes"] = list(report.notes)
    data["staff_notes"] = list(report.staff_notes)
    data["problems"] = [list(p) for p in report.problems]
    data["responses"] = [list(r) for r in report.responses]
    data["transcript"] = report.transcript.to_json() if report.transcript is not None else None
    return data


def report_from_json(data: dict) -> Report:
    """The Report that `report_to_json` wrote (KeyError, TypeError or ValueError when the data is not one)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        got = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"expected format {FORMAT}, got {got!r}")
    data = dict(data)
    del data["format"]
    data["checks"] = tuple(CheckResult(**c) for c in data["checks"])
    data["parts"] = tuple(PartScore(**p) for p in data["parts"])
    data["stages"] = tuple(Outcome(s["stage"], None, s["error"], s["seconds"]) for s in data["stages"])
    data["notes"] = tuple(data["notes"])
    data["staff_notes"] = tuple(data.get("staff_notes", ()))
    data["problems"] = tuple(tuple(p) for p in data["problems"])
    data["responses"] = tuple(tuple(r) for r in data.get("responses", ()))
    data["transcript"] = Transcript.from_json(data["transcript"]) if data.get("transcript") else None
    return Report(**data)


def save_reports(reports: list[Report], out: Path) -> None:
    """Write `out/_staff/<student>/report.json` for each report, and `out/_staff/batch.json` naming the batch."""
    for r in reports:
        d = staff_student_dir(out, r.student)
        d.mkdir(parents=True, exist_ok=True)
        (d / REPORT_FILE).write_text(json.dumps(report_to_json(r), indent=1), encoding="utf-8")
    # Folders of students graded into `out` by an earlier run stay on disk; the batch file keeps them out of
    # a later `grader manual`, so that its summary and gradebook are those of this batch.
    batch = {"format": FORMAT, "students": [r.student for r in reports]}
    (staff_dir(out) / BATCH_FILE).write_text(json.dumps(batch, indent=1), encoding="utf-8")


def _read(path: Path, parse, expected: str, remedy: str):
    """`parse` of the JSON in `path`; a GraderError naming the file, what it should hold and `remedy` otherwise."""
    try:
        return parse(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise GraderError(f"{path}: expected {expected}, got a file that cannot be read "
                          f"({type(exc).__name__}: {exc}). {remedy}") from None


def load_report(path: Path) -> Report:
    """Read one report.json; a GraderError naming the file when it is not one."""
    return _read(path, report_from_json, f"a report written by `grader grade` (format {FORMAT})",
                 "Grade that submission again to rewrite it.")


def load_reports(out: Path) -> list[Report]:
    """Every `out/_staff/*/report.json` (those of the last batch, in its order); a GraderError when there is none."""
    if not out.is_dir():
        raise GraderError(f"expected the --out folder of `grader grade`, got {out}, which is not a folder.")
    staff = staff_dir(out)
    paths = _batch_paths(out) if (staff / BATCH_FILE).is_file() else sorted(staff.glob(f"*/{REPORT_FILE}"))
    if not paths:
        old = sorted(out.glob(f"*/{REPORT_FILE}"))
        if old:  # graded by a grader that kept staff files in the students' folders
            raise GraderError(f"expected {staff}/<student>/{REPORT_FILE} files, got {len(old)} in the old place "
                              f"({old[0]}), which a TA would hand back with the student's folder. Grade the batch "
                              f"again: it moves them to {staff}/ and removes {', '.join(OLD_STAFF_FILES)} from the "
                              f"students' folders.")
        raise GraderError(f"expected {staff}/<student>/{REPORT_FILE} files written by `grader grade`, got none in {out}. "
                          f"Run `grader grade SUBMISSIONS --out {out}` first.")
    return [load_report(p) for p in paths]


def _batch_paths(out: Path) -> list[Path]:
    """The report.json paths of the students that `batch.json` names, in its order."""
    path = staff_dir(out) / BATCH_FILE
    students = _read(path, _students, "the batch list written by `grader grade`", "Grade the batch again to rewrite it.")
    missing = [s for s in students if not (staff_student_dir(out, s) / REPORT_FILE).is_file()]
    if missing:
        raise GraderError(f"{path} names {len(missing)} student(s) without {REPORT_FILE}: {', '.join(missing[:5])}. "
                          "Grade the batch again to rewrite them.")
    return [staff_student_dir(out, s) / REPORT_FILE for s in students]


def _students(data: dict) -> list[str]:
    """The student names of a batch.json's data (ValueError when they are not a list of names)."""
    students = data["students"]
    if data.get("format") != FORMAT or type(students) is not list or not all(type(s) is str for s in students):
        raise ValueError("expected a list of student names")
    return students

"""report.json: a graded Report as plain JSON, so that later commands (`grader manual`) need no re-grading."""
from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path

from grader.errors import GraderError
from grader.model import CheckResult, Outcome, PartScore, Report

FORMAT = 1
REPORT_FILE = "report.json"


def report_to_json(report: Report) -> dict:
    """The whole Report as JSON-ready data, with a `format` number."""
    data = {"format": FORMAT, **{f.name: getattr(report, f.name) for f in fields(Report)}}
    data["checks"] = [asdict(c) for c in report.checks]
    data["parts"] = [asdict(p) for p in report.parts]
    # Stages keep only their errors and timings: the pipeline drops their values before they reach a Report.
    data["stages"] = [{"stage": o.stage, "error": o.error, "seconds": o.seconds} for o in report.stages]
    data["notes"] = list(report.notes)
    data["problems"] = [list(p) for p in report.problems]
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
    data["problems"] = tuple(tuple(p) for p in data["problems"])
    return Report(**data)


def save_reports(reports: list[Report], out: Path) -> None:
    """Write `out/<student>/report.json` for each report."""
    for r in reports:
        (out / r.student).mkdir(parents=True, exist_ok=True)
        (out / r.student / REPORT_FILE).write_text(json.dumps(report_to_json(r), indent=1), encoding="utf-8")


def load_report(path: Path) -> Report:
    """Read one report.json; a GraderError naming the file when it is not one."""
    try:
        return report_from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise GraderError(f"{path}: expected a report written by `grader grade` (format {FORMAT}), got a file that cannot "
                          f"be read ({type(exc).__name__}: {exc}). Grade that submission again to rewrite it.") from None


def load_reports(out: Path) -> list[Report]:
    """Every `out/*/report.json`, sorted by student folder; a GraderError when there is none."""
    if not out.is_dir():
        raise GraderError(f"expected the --out folder of `grader grade`, got {out}, which is not a folder.")
    paths = sorted(out.glob(f"*/{REPORT_FILE}"))
    if not paths:
        raise GraderError(f"expected {out}/<student>/{REPORT_FILE} files written by `grader grade`, got none in {out}. "
                          f"Run `grader grade SUBMISSIONS --out {out}` first.")
    return [load_report(p) for p in paths]

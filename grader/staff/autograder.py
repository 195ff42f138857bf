"""What `run_autograder` runs on Gradescope: grade /autograder/submission and write results/results.json.

    python -m grader.staff.autograder --root /autograder [--self-test]

The student's id is the Gradescope user id from `submission_metadata.json`
(every member's, sorted and joined, for a group submission), so hidden inputs
differ between students; the folder name `submission` is never used. The
secret comes from the zip's autograder.json. Whatever goes wrong (settings or
metadata missing, a sandbox that does not start, a grader crash), a
results.json is written: 0 with the reason for the student, the details on
stdout, which Gradescope shows to staff only (`stdout_visibility: hidden`).
"""
from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import sys
import tempfile
import traceback
from dataclasses import replace
from pathlib import Path

from grader.config import CourseConfig, load_config
from grader.errors import GraderError
from grader.model import CHECK_BROKEN, Report
from grader.pipeline import RunConfig, grade_submission, load_problems, nothing_earned
from grader.report import results_json, withheld_messages
from grader.sandbox import SandboxConfig, require_bwrap, self_test
from grader.staff.gradescope import SETTINGS
from grader.transcripts.formats import TRANSCRIPT_NAMES

ANSWER_FILES = ("answers.py",) + TRANSCRIPT_NAMES  # what the loader reads as it is named
METADATA = "submission_metadata.json"
NOT_YOUR_FAULT = "this is not a fault of your work, and the course staff can see why."


class AutograderError(GraderError):
    """Something run_autograder needs is missing or broken; `student` is what the student is told."""

    def __init__(self, student: str, staff: str):
        super().__init__(staff)
        self.student = student


def read_settings(root: Path) -> dict:
    """autograder.json from the zip (source/); AutograderError when it is missing or malformed."""
    path = root / "source" / SETTINGS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        ok = (data.get("format") == 1 and type(data.get("secret")) is str and data["secret"]
              and type(data.get("problems")) is list and all(type(p) is str for p in data["problems"])
              and type(data.get("before_due")) is bool and data.get("course") in (None, "course.toml"))
    except (OSError, ValueError, AttributeError) as exc:
        raise AutograderError("The autograder is not set up correctly; " + NOT_YOUR_FAULT,
                              f"{path}: expected the settings `grader export gradescope` writes, got "
                              f"{type(exc).__name__}: {exc}") from None
    if not ok:
        raise AutograderError("The autograder is not set up correctly; " + NOT_YOUR_FAULT,
                              f"{path}: expected format 1 with a secret, a list of problems, before_due and course; "
                              "export the zip again")
    return data


def student_of(root: Path) -> tuple[str, dict]:
    """(the student's id, extra data for results.json) from submission_metadata.json's users."""
    path = root / METADATA
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        ids = sorted(str(int(u["id"])) for u in meta["users"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AutograderError("Gradescope did not say whose submission this is, so its hidden inputs cannot be "
                              "chosen; " + NOT_YOUR_FAULT,
                              f"{path}: expected Gradescope's submission metadata with users[].id, got "
                              f"{type(exc).__name__}: {exc}") from None
    if not ids:
        raise AutograderError("Gradescope did not say whose submission this is; " + NOT_YOUR_FAULT,
                              f"{path}: users is empty")
    extra = {"gradescope_user_ids": ids, "gradescope_submission_id": meta.get("id")}
    return "-".join(ids), extra


def stage(submission: Path, scratch: Path, student: str) -> tuple[Path, tuple[str, ...]]:
    """The upload copied to `scratch/<student>` in the loader's layout; notes for the student on what was renamed.

    Students upload answers.py, one notebook, a transcript.md or a zip of them. An upload that is one folder
    is looked into; a single other .py or .md file is taken as answers.py or transcript.md (and the report says so).
    """
    if not submission.is_dir():
        return submission, ()  # the loader says what is missing
    entries = [p for p in submission.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        submission, entries = entries[0], [p for p in entries[0].iterdir() if not p.name.startswith(".")]
    files = [p for p in entries if p.is_file() and not p.is_symlink()]
    zips = [p for p in files if p.suffix.lower() == ".zip"]
    if len(files) == 1 and zips:
        target = scratch / f"{student}.zip"
        shutil.copyfile(zips[0], target)
        return target, ()
    target = scratch / student
    # symlinks=True: a link is copied as a link, so the loader refuses one that leaves the submission.
    shutil.copytree(submission, target, symlinks=True)
    notes = []
    has_answers = any((target / n).exists() for n in ANSWER_FILES) or any(target.glob("*.ipynb"))
    if not has_answers:
        for suffix, name in ((".py", "answers.py"), (".md", "transcript.md")):
            found = [p for p in target.iterdir() if p.suffix.lower() == suffix and p.is_file() and not p.is_symlink()]
            if len(found) == 1:
                found[0].rename(target / name)
                notes.append(f"graded {found[0].name} as {name} (the name the homework asks for)")
                break
    return target, tuple(notes)


def failure_results(student_message: str, staff: str, report: Report | None = None) -> dict:
    """results.json for a submission that could not be graded: 0, the reason, every test at 0 when known."""
    if report is not None:
        out = results_json(report, manual_elsewhere=True)
    else:
        out = {"score": 0.0, "tests": [], "output_format": "html", "stdout_visibility": "hidden", "extra_data": {}}
    out["output"] = f"<p>{html.escape(student_message)}</p>"
    out["extra_data"]["autograder_error"] = staff
    return out


def staff_lines(report: Report) -> list[str]:
    """What staff should see of a graded submission (printed to stdout, which students do not see)."""
    lines = list(report.staff_notes) + withheld_messages(report)
    if report.output:
        lines.append(f"Output of the submission:\n{report.output}")
    return lines


def grade(root: Path) -> tuple[dict, list[str]]:
    """(results.json's data, lines for staff) for the submission under `root`; AutograderError when it cannot run."""
    settings = read_settings(root)
    student, extra = student_of(root)
    course_file = root / "source" / settings["course"] if settings["course"] else None
    try:
        problems = load_problems(tuple(settings["problems"]))
        course = load_config(course_file, problems) if course_file else CourseConfig()
        problems = load_problems(tuple(settings["problems"]), course)
    except GraderError as exc:
        raise AutograderError("The autograder is not set up correctly; " + NOT_YOUR_FAULT, str(exc)) from None
    config = RunConfig("grade", tuple(settings["problems"]), SandboxConfig(use_bwrap=True, limits=course.limits),
                       settings["secret"], course, before_due=settings["before_due"])
    try:
        require_bwrap()
        self_test(config.sandbox)
    except GraderError as exc:  # SandboxUnavailable: student code never runs unconfined, so nothing is graded
        report = nothing_earned(student, problems, config, kind="grader_error", status=CHECK_BROKEN,
                                why="not graded: the sandbox that runs your code could not start")
        return failure_results("Your submission was not graded: the sandbox that runs your code could not start "
                               "on Gradescope's machine; " + NOT_YOUR_FAULT, str(exc), report), [str(exc)]
    with tempfile.TemporaryDirectory(prefix="hw7-gradescope-") as scratch:
        path, notes = stage(root / "submission", Path(scratch), student)
        report = grade_submission(path, problems, config)
    report = replace(report, student=student, notes=tuple(notes) + report.notes)
    results = results_json(report, manual_elsewhere=True)
    results["extra_data"].update(extra)
    lines = staff_lines(report)
    if report.needs_staff:
        results["extra_data"]["autograder_error"] = "; ".join(report.staff_notes)[:2000] or "a check could not run"
    return results, lines


def write_results(root: Path, results: dict) -> Path:
    """results/results.json, written whole (a temporary file renamed), so that it is never half a file."""
    folder = root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / ".results.json.tmp"
    tmp.write_text(json.dumps(results, indent=1), encoding="utf-8")
    os.replace(tmp, folder / "results.json")
    return folder / "results.json"


def run(root: Path) -> int:
    """Grade and write results.json; on any failure, a results.json with 0 and the reason. Always 0."""
    try:
        results, lines = grade(root)
    except AutograderError as exc:
        results, lines = failure_results(exc.student, str(exc)), [str(exc)]
    except Exception as exc:  # a grader bug: the student still gets a result that says so, staff the traceback
        tb = traceback.format_exc()
        results = failure_results("The autograder crashed on this submission; " + NOT_YOUR_FAULT,
                                  f"{type(exc).__name__}: {exc}")
        lines = [tb]
    path = write_results(root, results)
    for line in lines:
        print(line)
    print(f"score {results.get('score', 0):g} / {results.get('max_score', 0):g} -> {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point for run_autograder (and setup.sh's --self-test)."""
    ap = argparse.ArgumentParser(prog="python -m grader.staff.autograder")
    ap.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    ap.add_argument("--self-test", action="store_true", help="only check that the sandbox starts here")
    args = ap.parse_args(argv)
    if args.self_test:
        try:
            require_bwrap()
            self_test(SandboxConfig(use_bwrap=True))
        except GraderError as exc:
            print(f"sandbox self-test failed: {exc}", file=sys.stderr)
            return 1
        print("sandbox self-test passed")
        return 0
    return run(Path(args.root))


if __name__ == "__main__":
    sys.exit(main())

"""Where `grader grade --out OUT` puts each file, so that a TA can hand back OUT/<student>/ as it is.

    OUT/<student>/results.json, report.html     handed back to the student (the answer contract's files)
    OUT/<student>/transcript.html               a chat submission only: the student's own chat, answers marked
    OUT/summary.html, OUT/grades.csv            the TA's overview and gradebook (the contract's files): not handed back
    OUT/_staff/                                 staff only, never handed back:
        manual.html, manual_scores.csv          the free responses with their rubrics, and the TA's scores
        batch.json                              the students of the last grading run
        <student>/report.json, staff.txt        the whole graded report, hidden checks' details, grader failures

No student folder can be `_staff`: submission folders starting with "_" are skipped, and student ids never
start with "_" (grader.load.student_id strips it).
"""
from __future__ import annotations

from pathlib import Path

STAFF = "_staff"
HANDED_BACK = ("results.json", "report.html")
TRANSCRIPT_PAGE = "transcript.html"  # handed back too, for a chat submission: it holds only the student's own chat
# The batch's own files at the top of OUT: a student's folder of the same name would be written over them (or
# they over it), so no submission may have one of these ids (compared without case: macOS and Windows disks).
BATCH_FILES = ("index.html", "summary.html", "grades.csv", "grades_canvas.csv", "manual.html", "manual_scores.csv")
# Staff files that an older grader wrote into student folders; removed there when a batch is graded again.
OLD_STAFF_FILES = ("report.json", "staff.txt")


def student_dir(out: Path, student: str) -> Path:
    """The folder handed back to `student`."""
    return out / student


def staff_dir(out: Path) -> Path:
    """The staff-only folder of a batch."""
    return out / STAFF


def staff_student_dir(out: Path, student: str) -> Path:
    """The staff-only files about one student."""
    return staff_dir(out) / student

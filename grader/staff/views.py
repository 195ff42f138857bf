"""The batch's TA views, written after its per-student files: LMS exports first, then the pages that link them."""
from __future__ import annotations

from pathlib import Path

from grader.model import Report
from grader.staff.classreport import write_class_pages
from grader.staff.roster import write_exports


def write_batch_views(reports: list[Report], out: Path) -> list[str]:
    """grades_canvas.csv (when the batch has a roster), summary.html and index.html; the lines to print."""
    lines = write_exports(reports, out)
    write_class_pages(reports, out, lines)
    return lines

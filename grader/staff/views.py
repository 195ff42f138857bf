"""The batch's TA views, written after its per-student files: LMS exports first, then the pages that link them."""
from __future__ import annotations

import importlib
import threading
from pathlib import Path

from grader.model import Report
from grader.staff.classreport import write_class_pages
from grader.staff.roster import CANVAS_CSV, write_exports

# What the pages after a batch import (the answer groups' text clustering, the class report's plots): about two
# seconds on a 2-core machine, paid at the end of the batch when the workers are done and one core is idle.
PAGE_LIBRARIES = ("scipy.sparse", "sklearn.feature_extraction.text", "sklearn.preprocessing", "sklearn.cluster",
                  "matplotlib.figure", "matplotlib.backends.backend_svg")


def warm_up() -> threading.Thread:
    """Start importing PAGE_LIBRARIES in a daemon thread, so that a batch does it while its workers grade."""
    def imports() -> None:
        for name in PAGE_LIBRARIES:
            try:
                importlib.import_module(name)
            except ImportError:  # the page that needs it says so when it imports it
                return

    thread = threading.Thread(target=imports, daemon=True, name="hw7-warm-pages")
    thread.start()
    return thread


def write_batch_views(reports: list[Report], out: Path, complete: bool = True) -> list[str]:
    """grades_canvas.csv (when the batch has a roster), summary.html and index.html; the lines to print.

    A batch cut short by a stop signal (`complete` False) gets no Canvas export: the students not graded yet
    would read as "no submission" with a 0, ready to import. An export from an earlier run is removed too.
    """
    if complete:
        lines = write_exports(reports, out)
    else:
        stale = (out / CANVAS_CSV).is_file()
        (out / CANVAS_CSV).unlink(missing_ok=True)
        lines = [f"the batch was stopped: no {CANVAS_CSV} written" + (" (the earlier one removed)" if stale else "")
                 + "; grade the whole batch again to write it"]
    write_class_pages(reports, out, lines)
    return lines

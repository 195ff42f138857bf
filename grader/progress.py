"""Live progress of a batch: a bar in a terminal, a line every few seconds in a log (CI).

Counts what a TA watches for while a thousand submissions run: how many are
done out of how many, the rate and time left, and how many failed to load,
broke a limit (a hang, a memory or fork flood, an output flood), or hit a
grader error.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from grader.model import Report

DIED_DURING_IMPORT = "the submission's process "  # how collect.ImportResult.describe starts for a dead worker
# How grader/sandbox.py words each limit it stops a worker for (a crash, say SIGSEGV, is not one).
LIMIT_REASONS = ("did not finish within", "printed more than", "ran out of memory", "started too many processes",
                 "used more than", "was killed (probably out of memory")


def limit_exceeded(report: Report) -> bool:
    """Whether a sandbox limit (time, memory, processes, CPU, output) stopped the submission while it was imported."""
    error = report.import_error or ""
    return error.startswith(DIED_DURING_IMPORT) and error[len(DIED_DURING_IMPORT):].startswith(LIMIT_REASONS)


@dataclass
class Counts:
    """What a batch has done so far."""

    total: int
    graded: int = 0
    skipped: int = 0
    unreadable: int = 0
    limits: int = 0
    errors: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def done(self) -> int:
        """Submissions finished (graded or skipped)."""
        return self.graded + self.skipped

    def add(self, report: Report) -> None:
        """Count one graded submission."""
        self.graded += 1
        self.unreadable += report.kind == "unreadable"
        self.limits += limit_exceeded(report)
        self.errors += report.needs_staff

    def rate(self) -> float:
        """Graded submissions per second since the start (skips are not work)."""
        return self.graded / max(time.monotonic() - self.started, 1e-9)

    def line(self) -> str:
        """One line for a log: done/total, rate, time left, and the counts."""
        left = self.total - self.done
        rate = self.rate()
        eta = f"{_duration(left / rate)} left" if rate > 0 and left else ("done" if not left else "time left unknown")
        return (f"graded {self.done}/{self.total} ({100 * self.done / max(self.total, 1):.0f}%), {rate:.2f}/s, {eta}; "
                f"{self.tally()}")

    def tally(self) -> str:
        """The counts a TA watches, in words."""
        return (f"skipped (already graded) {self.skipped}, failed to load {self.unreadable}, "
                f"limit exceeded {self.limits}, grader errors {self.errors}")


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Progress:
    """Shows a batch's Counts on `stream`: a tqdm bar on a terminal, a line every `every` seconds otherwise."""

    def __init__(self, total: int, stream=None, every: float = 5.0, bar: bool | None = None, each: bool = False):
        self.counts = Counts(total)
        self.stream = stream or sys.stderr
        self.every = every
        self.each = each  # in a log, a line per submission as it finishes (small batches)
        self._last = time.monotonic()
        use_bar = self.stream.isatty() if bar is None else bar
        self._bar = None
        if use_bar:
            from tqdm import tqdm

            self._bar = tqdm(total=total, file=self.stream, unit="sub", dynamic_ncols=True, smoothing=0.1)

    def skipped(self, student: str) -> None:
        """Count a submission reused from the gradebook."""
        self.counts.skipped += 1
        self._show(1, f"skipped {student}, already graded")

    def graded(self, report: Report) -> None:
        """Count one graded submission."""
        self.counts.add(report)
        self._show(1, f"graded {report.student}")

    def _show(self, n: int, what: str) -> None:
        if self._bar is None and self.each:
            print(f"{what} ({self.counts.done} of {self.counts.total})", file=self.stream, flush=True)
        elif self._bar is not None:
            c = self.counts
            self._bar.set_postfix_str(f"load failed {c.unreadable}, limits {c.limits}, grader errors {c.errors}, "
                                      f"skipped {c.skipped}", refresh=False)
            self._bar.update(n)
        elif time.monotonic() - self._last >= self.every:
            self._last = time.monotonic()
            print(self.counts.line(), file=self.stream, flush=True)

    def close(self) -> None:
        """Stop the bar (or print the last line)."""
        if self._bar is not None:
            self._bar.close()
        else:
            print(self.counts.line(), file=self.stream, flush=True)

"""The class report (OUT/summary.html) and the batch's front page (OUT/index.html), for a TA.

summary.html: the distribution of totals and of each part's score (SVG plots
drawn by matplotlib, inlined), mean, median and pass rate per part, the most
common wrong answers per part grouped by normalized answer, the submissions
that need a look (unreadable, over a limit, grader errors), the slowest
submissions by stage, and the per-student table sorted by total. Everything is
inline (CSS, SVG): no script, nothing fetched.
"""
from __future__ import annotations

import io
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from grader.model import CHECK_BROKEN, ERROR, NOT_ANSWERED, OPTIONAL, PASSED, PENDING, Report
from grader.report import STATUS_WORDS, part_columns, student_message
from grader.staff.similarity import PAGE as SIMILARITY_PAGE

TOP_GROUPS = 5  # wrong-answer groups shown per part
SLOWEST = 10  # submissions in the timing table
GROUP_STUDENTS = 8  # students named per group (the count says how many there are)
STAGES = ("load", "extract", "collect", "checks", "responses", "score")
# What the sandbox says when it stops a submission for breaking a limit (grader/sandbox.py's death reasons).
LIMIT_WORDS = re.compile(r"ran out of memory|too many processes|of CPU time|did not finish within|"
                         r"printed more than|was killed|ran out of time")
# Files of a batch folder the front page links when they exist: (path under OUT, what it is).
EXPORTS = (
    ("grades.csv", "one row per student, one column per part"),
    ("grades_canvas.csv", "the totals in Canvas's gradebook format, to import"),
    ("manual_scores.csv", "the TA's sheet of manual scores, to fill in"),
    ("_staff/manual_scores.csv", "the TA's sheet of manual scores, to fill in"),
    ("_staff/roster_matches.csv", "which roster row each submission matched, and by which column"),
)
PAGES = (
    ("summary.html", "Class report: distributions, common wrong answers, submissions to look at"),
    ("manual.html", "Free responses to score, part by part"),
    ("_staff/manual.html", "Free responses to score, part by part"),
    (SIMILARITY_PAGE.as_posix(), "Similarity report: pairs with the same code, free responses or wrong answers"),
)

_env = jinja2.Environment(loader=jinja2.PackageLoader("grader", "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class WrongGroup:
    """Students who gave one (normalized) wrong answer to a part, and the message the first of them got."""

    answer: str  # the normalized answer, or the message's first line when the part's checks read no answer
    by_answer: bool  # whether `answer` is the student's answer (else it is the reason the check gave)
    count: int
    students: tuple[str, ...]
    message: str
    hidden: bool  # whether students were not shown it (a hidden check; an after-due one before the due date)


@dataclass(frozen=True)
class PartStats:
    """One part across the batch."""

    key: str
    points: float
    kind: str
    graded: int  # students whose part has a score (not pending, not an untried extra-credit part)
    pending: int
    not_answered: int
    mean: float | None
    median: float | None
    pass_rate: float | None
    groups: tuple[WrongGroup, ...]
    plot: Markup


@dataclass(frozen=True)
class Trouble:
    """A submission that needs a TA's look, and why."""

    student: str
    what: str  # could not be loaded | broke a limit | grader error | import error
    detail: str


@dataclass(frozen=True)
class Timing:
    """One submission's time by stage."""

    student: str
    total: float
    stages: tuple[float, ...]  # in STAGES order (0 for a stage it did not reach)


def _parts_of(report: Report) -> dict:
    return {(p.problem, p.part): p for p in report.parts}


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3g}"


NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _reason_key(message: str) -> str:
    """A message with its numbers blanked: the same mistake on per-student random inputs reads the same."""
    return NUMBER.sub("#", " ".join(message.split()))[:500]


def wrong_groups(reports: list[Report], key: tuple[str, str]) -> tuple[WrongGroup, ...]:
    """The most common wrong answers to the part `key`, largest group first (ties by answer).

    Grouped by the normalized answer a check read; where none did (a function part), by the message
    with its numbers blanked, since each student's hidden inputs differ.
    """
    groups: dict[tuple[str, bool], list] = {}
    for r in reports:
        part = _parts_of(r).get(key)
        if part is None or part.status in (PASSED, PENDING, OPTIONAL, NOT_ANSWERED, CHECK_BROKEN):
            continue
        failing = [c for c in r.checks if (c.problem, c.part) == key and c.status not in (PASSED, PENDING)]
        if not failing:
            continue
        answered = next((c for c in failing if c.answer), None)
        first = answered or failing[0]
        group = (first.answer, True) if answered else (_reason_key(first.message or first.status), False)
        groups.setdefault(group, []).append((r.student, first, r.after_due_feedback))
    out = []
    for (label, by_answer), members in groups.items():
        _, check, after_due_feedback = members[0]
        shown = label if by_answer else (_first_line(check.message)[:200] or STATUS_WORDS.get(check.status, check.status))
        out.append(WrongGroup(shown, by_answer, len(members), tuple(s for s, _, _ in members[:GROUP_STUDENTS]),
                              check.message, student_message(check, after_due_feedback) != check.message))
    out.sort(key=lambda g: (-g.count, g.answer))
    return tuple(out[:TOP_GROUPS])


def part_stats(reports: list[Report]) -> list[PartStats]:
    """Mean, median, pass rate, wrong-answer groups and a score plot for every part of the batch."""
    stats = []
    for key in part_columns(reports):
        parts = [p for r in reports if (p := _parts_of(r).get(key)) is not None]
        scored = [p for p in parts if p.status not in (PENDING, OPTIONAL)]
        scores = [p.score for p in scored]
        points = max(p.points for p in parts)
        name = f"{key[0]}.{key[1]}"
        stats.append(PartStats(
            name, points, parts[0].kind, len(scored), sum(p.status == PENDING for p in parts),
            sum(p.status == NOT_ANSWERED for p in parts),
            statistics.fmean(scores) if scores else None, statistics.median(scores) if scores else None,
            sum(p.status == PASSED for p in scored) / len(scored) if scored else None,
            wrong_groups(reports, key), score_plot(scores, points, name, small=True)))
    return stats


def troubles(reports: list[Report]) -> list[Trouble]:
    """Submissions that failed to load, broke a limit, or hit a grader error, in batch order."""
    out = []
    for r in reports:
        broken = [c for c in r.checks if c.status == CHECK_BROKEN]
        if r.kind == "grader_error" or r.grader_failures or broken:
            failed = ", ".join(o.stage for o in r.grader_failures)
            detail = (f"the grader failed at the {failed} stage" if failed else
                      f"{len(broken)} check(s) could not run" if broken else "the grader crashed on it")
            out.append(Trouble(r.student, "grader error", detail + " (staff notes say why)"))
        elif r.load_error:
            out.append(Trouble(r.student, "could not be loaded", r.load_error))
        else:
            limits = [c for c in r.checks if c.status == ERROR and LIMIT_WORDS.search(c.message)]
            if r.import_error and LIMIT_WORDS.search(r.import_error):
                out.append(Trouble(r.student, "broke a limit", _first_line(r.import_error)))
            elif limits:
                out.append(Trouble(r.student, "broke a limit",
                                   f"{limits[0].problem}.{limits[0].part}: {_first_line(limits[0].message)}"
                                   + (f" (and {len(limits) - 1} more)" if len(limits) > 1 else "")))
            elif r.import_error:
                out.append(Trouble(r.student, "import error", _last_line(r.import_error)))
    return out


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else ""


def _last_line(text: str) -> str:
    """A traceback's last line: the exception and its message."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def timings(reports: list[Report], n: int = SLOWEST) -> list[Timing]:
    """The `n` slowest submissions, with their seconds at each stage."""
    out = []
    for r in reports:
        by = {o.stage: o.seconds for o in r.stages}
        out.append(Timing(r.student, sum(by.values()), tuple(by.get(s, 0.0) for s in STAGES)))
    out.sort(key=lambda t: (-t.total, t.student))
    return out[:n]


def score_plot(scores: list[float], points: float, title: str, small: bool = False) -> Markup:
    """A bar chart of how many students got each score, with the mean and median marked, as inline SVG."""
    # Imported here: `grader check` never draws, and matplotlib costs a noticeable fraction of a second.
    import matplotlib
    from matplotlib.figure import Figure

    size = (3.0, 1.6) if small else (7.5, 2.6)
    # Each figure its own salt, so that the clip-path ids of several SVGs in one page never collide.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": title, "font.size": 7 if small else 9}):
        fig = Figure(figsize=size)
        # Fixed margins, in inches, wide enough for the labels: matplotlib's constrained layout would fit them
        # itself, at a third of each plot's time (a class report has one plot per part).
        left, bottom, right, top = (0.5, 0.36, 0.08, 0.06) if small else (0.62, 0.42, 0.12, 0.08)
        fig.subplots_adjust(left=left / size[0], bottom=bottom / size[1], right=1 - right / size[0],
                            top=1 - top / size[1])
        ax = fig.add_subplot()
        counts: dict[float, int] = {}
        for s in scores:
            counts[round(s, 6)] = counts.get(round(s, 6), 0) + 1
        if small or len(counts) <= 30:
            width = max(points, 1) / (24 if small else 60)
            ax.bar(list(counts), list(counts.values()), width=width, color="#4a78b0")
        else:
            ax.hist(scores, bins=30, range=(0, max(points, 1)), color="#4a78b0")
        if scores:
            ax.axvline(statistics.fmean(scores), color="#b04a4a", linestyle="--", linewidth=1, label="mean")
            ax.axvline(statistics.median(scores), color="#333", linestyle=":", linewidth=1, label="median")
            ax.legend(loc="upper left", frameon=False, fontsize=6 if small else 8)
        ax.set_xlim(-0.05 * max(points, 1), max(points, 1) * 1.05)
        ax.set_xlabel("points" if small else f"total points (of {points:g})")
        ax.set_ylabel("students")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.spines[["top", "right"]].set_visible(False)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return Markup(_inline_svg(buf.getvalue(), title))


def _inline_svg(svg: str, title: str) -> str:
    """matplotlib's SVG file as an element for an HTML page: no XML prolog or metadata, sized by CSS."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'\s(width|height)="[^"]*pt"', "", svg, count=2)
    label = escape(f"score distribution: {title}")
    return svg.replace("<svg", f'<svg class="plot" role="img" aria-label="{label}"', 1)


def render_summary(reports: list[Report], similarity: str | None = None) -> str:
    """The class report: distributions, part statistics, common wrong answers, troubles, timings, students.

    `similarity` is the similarity page's address under OUT, linked when given.
    """
    columns = part_columns(reports)
    problems = list(dict.fromkeys(problem for problem, _ in columns))
    ranked = sorted(reports, key=lambda r: (-r.score, r.student))
    totals = [r.score for r in reports]
    max_total = max((r.max_score for r in reports), default=0.0)
    per_problem = {}
    for r in reports:
        for problem in problems:
            mine = [p for p in r.parts if p.problem == problem]
            per_problem[(r.student, problem)] = (
                (sum(p.score for p in mine), sum(p.points for p in mine if not p.extra_credit),
                 any(p.pending for p in mine)) if mine else None)
    return _env.get_template("summary.html.j2").render(
        reports=ranked, n=len(reports), problems=problems, per_problem=per_problem, words=STATUS_WORDS,
        mean=statistics.fmean(totals) if totals else None, median=statistics.median(totals) if totals else None,
        max_total=max_total, total_plot=score_plot(totals, max_total, "totals") if reports else Markup(""),
        parts=part_stats(reports), troubles=troubles(reports), timings=timings(reports), stages=STAGES, fmt=_fmt,
        pending=sum(1 for r in reports if r.pending_points), similarity=similarity)


def render_index(reports: list[Report], out: Path, notes: list[str] = ()) -> str:
    """OUT/index.html: the batch's pages and exports (those that exist), `notes` (the roster's), every student's report."""
    pages = [(path, what) for path, what in PAGES if (out / path).is_file() or path == "summary.html"]
    exports = [(path, what) for path, what in EXPORTS if (out / path).is_file()]
    return _env.get_template("index.html.j2").render(
        reports=sorted(reports, key=lambda r: r.student), pages=pages, exports=exports,
        canvas=(out / "grades_canvas.csv").is_file(), notes=list(notes))


def write_class_pages(reports: list[Report], out: Path, notes: list[str] = ()) -> None:
    """Write OUT/summary.html, then OUT/index.html (which links what the batch folder holds by then)."""
    # `grader grade` writes the similarity page before this; the summary links it while it is there.
    similarity = SIMILARITY_PAGE.as_posix() if (out / SIMILARITY_PAGE).is_file() else None
    (out / "summary.html").write_text(render_summary(reports, similarity), encoding="utf-8")
    (out / "index.html").write_text(render_index(reports, out, notes), encoding="utf-8")

"""Stage 3, checks: run the problems' claims with pytest, handing them the collected answers.

The grader calls `pytest.main` on each problem's `checks.py` with a plugin that
collects `@claim` functions (whatever their names), provides the `answers`,
`rng`, `seed`, `reveal` and `pass_note` fixtures, drops claims that the mode
does not run, and turns each outcome into a `CheckResult`. A claim passes by
returning None; one that raises something other than a student fault, or
returns anything but None (`return got == expected` is `False`, never a pass),
is a broken check: zero points, flagged for the staff.
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
import io
import contextlib
import time
import traceback
from dataclasses import dataclass

import numpy as np
import pytest

from grader.claims import Claim
from grader.errors import ConfigError, GraderError, NearMiss, Partial, StudentFault, did_you_mean
from grader.model import CHECK_BROKEN, FORMAT, NOT_ANSWERED, PARTIAL, PASSED, PENDING, WRONG, CheckResult, Metric
from grader.problem import Problem
from grader.types import short_repr

BROKEN_MESSAGE = ("This check could not run because of a problem on the grader's side; it scores 0 for now "
                  "and the course staff can see why.")
ANSWER_CAP = 200  # characters of a normalized answer kept for the class report
# A checks module may define `normalized_answer(part, value) -> str | None`: the form in which the class report
# groups students' wrong answers to a value part (e.g. a parsed expression printed one way).
NORMALIZER = "normalized_answer"


@dataclass(frozen=True)
class Seeds:
    """Where random inputs come from: public seeds for students, per-student seeds for grading."""

    secret: str
    student: str

    def seed(self, problem: str, claim: str) -> int:
        """The seed for one claim of one problem."""
        digest = hashlib.sha256(f"{self.secret}|{self.student}|{problem}|{claim}".encode()).digest()
        return int.from_bytes(digest[:8], "big") >> 1

    @classmethod
    def public(cls) -> "Seeds":
        """The seeds every student's `grader check` uses."""
        return cls("public", "public")


def claims_of(problem: Problem) -> list[tuple[str, Claim]]:
    """The (function name, Claim) pairs declared in a problem's checks module, in file order."""
    module = importlib.import_module(f"{problem.package}.checks")
    found = [(name, obj.__claim__) for name, obj in vars(module).items()
             if inspect.isfunction(obj) and isinstance(getattr(obj, "__claim__", None), Claim)]
    found.sort(key=lambda item: getattr(module, item[0]).__code__.co_firstlineno)
    return found


def claim_points(problem: Problem, c: Claim) -> float:
    """A claim's points in this course: as declared, scaled when the course config changed its part's points.

    A part declared with 0 points that the course gives points shares them equally among its claims.
    """
    part = problem.part(c.part)
    count = sum(1 for _, other in claims_of(problem) if other.part == c.part) if part.shared_points else 0
    return part.claim_points(c.points, count)


def validate(problem: Problem) -> None:
    """Refuse a problem whose claims name unknown parts or whose points do not add up."""
    claims = claims_of(problem)
    part_names = [p.name for p in problem.parts]
    for fn, c in claims:
        if c.part not in part_names:
            raise ConfigError(f"{problem.name}/checks.py: claim {fn} is about part {c.part!r}, which the problem "
                              f"does not declare (parts: {part_names}).{did_you_mean(c.part, part_names)}")
    for part in problem.parts:
        total = sum(claim_points(problem, c) for _, c in claims if c.part == part.name)
        if abs(total - part.points) > 1e-9:
            raise ConfigError(f"{problem.name}.{part.name}: the part is declared worth {part.points:g} points, "
                              f"but its claims add up to {total:g}; make them agree.")
        if not any(c.part == part.name for _, c in claims):
            raise ConfigError(f"{problem.name}.{part.name} has no claim; every part needs at least one.")


class ClaimReturnedValue(GraderError):
    """A claim returned something other than None: a bug in the check, never a pass."""

    def __init__(self, claim: str, value):
        text = repr(value)
        super().__init__(f"claim {claim} returned {text[:200]} (a {type(value).__name__}); a claim passes by "
                         "returning None and fails by raising a fault from grader.errors (Wrong, FormatError, "
                         "Partial, ...). To attach a message to a pass, call the pass_note fixture instead.")


def _status_of(exc: BaseException, near_miss: float = 0.0) -> tuple[str, float, str]:
    """(status, fraction of points, message) for what a claim raised; `near_miss` is the course's credit for one."""
    if isinstance(exc, NearMiss) and near_miss > 0:
        return PARTIAL, near_miss, exc.message
    if isinstance(exc, Partial):
        return PARTIAL, exc.fraction, exc.message
    if isinstance(exc, StudentFault):
        return exc.kind, 0.0, exc.message
    if isinstance(exc, AssertionError):
        return WRONG, 0.0, str(exc) or "the answer is not correct"
    return CHECK_BROKEN, 0.0, BROKEN_MESSAGE


class ClaimsPlugin:
    """The pytest plugin that runs claims against one submission's answers."""

    def __init__(self, answers, problems: tuple[Problem, ...], hidden: bool, seeds: Seeds, course=None,
                 reveal: bool = False):
        self._course = course
        self._reveal = reveal
        self._answers = answers
        self.by_package = {p.package: p for p in problems}
        self.parts = {(p.name, part.name): part for p in problems for part in p.parts}
        self._hidden = hidden
        self._seeds = seeds
        self.results: dict[str, CheckResult] = {}
        self.staff_notes: list[str] = []
        self._pass_messages: dict[str, str] = {}
        self._shown: dict[tuple[str, str], str] = {}  # (problem, part) -> its normalized answer, fetched once

    def _problem_of(self, item) -> Problem | None:
        module = getattr(item, "module", None)
        name = getattr(module, "__name__", "")
        return self.by_package.get(name.rsplit(".", 1)[0])

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makeitem(self, collector, name, obj):
        """Collect `@claim` functions whatever their names; nothing else in checks.py."""
        if inspect.isfunction(obj) and isinstance(getattr(obj, "__claim__", None), Claim):
            return [pytest.Function.from_parent(collector, name=name)]
        if name.startswith("test"):
            return []  # helper tests in a checks module are not claims
        return None

    def pytest_collection_modifyitems(self, session, config, items):
        """Keep the claims of the selected problems; graded-only ones (hidden, after_due) only when grading."""
        keep = []
        for item in items:
            c = getattr(getattr(item, "function", None), "__claim__", None)
            if c is None or self._problem_of(item) is None:
                continue
            if c.graded_only and not self._hidden:
                continue
            keep.append(item)
        items[:] = keep

    @pytest.fixture
    def answers(self):
        """The student's answers."""
        return self._answers

    @pytest.fixture
    def reveal(self) -> bool:
        """Whether messages may name accepted answers: only in a graded report handed back after the due date.

        In a student's `grader check` (and `grader grade --before-due`) a failed check says what is wrong and
        why, never the accepted value.
        """
        return self._reveal

    @pytest.fixture
    def pass_note(self, request):
        """A function the claim calls with a message to show when it passes (e.g. the time a speed run took)."""
        nodeid = request.node.nodeid

        def note(message: str) -> None:
            if type(message) is not str:
                raise ConfigError(f"pass_note takes a string, got {type(message).__name__}")
            self._pass_messages[nodeid] = message

        return note

    @pytest.fixture
    def seed(self, request) -> int:
        """This claim's seed: public for students, per student and claim when grading."""
        problem = self._problem_of(request.node)
        return self._seeds.seed(problem.name if problem else "", request.node.name)

    @pytest.fixture
    def rng(self, seed) -> np.random.Generator:
        """A numpy generator seeded with this claim's seed."""
        return np.random.default_rng(seed)

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        """Call a claim ourselves: a value it returns (anything but None) makes it a broken check, not a pass."""
        fn = pyfuncitem.obj
        if not isinstance(getattr(fn, "__claim__", None), Claim):
            return None
        kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        returned = fn(**kwargs)
        if returned is not None:
            raise ClaimReturnedValue(pyfuncitem.name, returned)
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        """Record a claim's outcome as a CheckResult (setup errors and crashes score zero)."""
        c: Claim = item.function.__claim__
        problem = self._problem_of(item)
        key = f"{problem.name}.{item.name}"
        if call.when == "call" or (call.when == "setup" and call.excinfo is not None):
            if call.excinfo is None:
                status, fraction, message = PASSED, 1.0, self._pass_messages.get(item.nodeid, "")
            else:
                exc = call.excinfo.value
                near = self._course.near_miss_credit(problem.name, c.part) if self._course is not None else 0.0
                status, fraction, message = _status_of(exc, near)
                if status == CHECK_BROKEN:
                    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
                    self.staff_notes.append(f"{key} ({call.when}) is broken:\n{tb[-3000:]}")
            part = self.parts[(problem.name, c.part)]
            if part.kind == "manual" and status not in (NOT_ANSWERED, FORMAT, CHECK_BROKEN):
                status, fraction = PENDING, 0.0
            points = claim_points(problem, c)
            # Claims report measurements and the answer they read through pytest's own `record_property`.
            metrics = tuple(v for k, v in item.user_properties if k == "metric" and isinstance(v, Metric))
            self.results[key] = CheckResult(problem.name, c.part, item.name, c.description, points,
                                            round(points * fraction, 6), status, message, c.visibility,
                                            call.duration, self._answer_of(item, problem, part, status), metrics)

    def _answer_of(self, item, problem: Problem, part, status: str) -> str:
        """The answer a wrong check saw, normalized, for the class report; '' when there is none to show."""
        recorded = [v for k, v in item.user_properties if k == "answer" and type(v) is str]
        if recorded:
            return recorded[-1][:ANSWER_CAP]
        if part.kind != "value" or status not in (WRONG, PARTIAL, FORMAT):
            return ""
        key = (problem.name, part.name)
        if key not in self._shown:
            self._shown[key] = self._normalized(item, part.name)
        return self._shown[key]

    def _normalized(self, item, part: str) -> str:
        """A value part's answer as the problem normalizes it (or collapsed text / a short repr), capped."""
        try:
            value = self._answers.value(part)
        except (StudentFault, GraderError):  # missing or no longer fetchable: the checks already say why
            return ""
        normalize = getattr(getattr(item, "module", None), NORMALIZER, None)
        shown = None
        if callable(normalize):
            try:
                shown = normalize(part, value)
            except StudentFault:  # the answer does not parse: shown as written
                shown = None
            except Exception as exc:  # a bug in the problem's normalizer costs the grouping, never a grade
                self.staff_notes.append(f"{item.module.__name__}.{NORMALIZER}({part!r}) raised "
                                        f"{type(exc).__name__}: {exc}")
                shown = None
        if type(shown) is not str:
            shown = " ".join(value.split()) if type(value) is str else short_repr(value, ANSWER_CAP)
        return shown[:ANSWER_CAP]


def run_claims(answers, problems: tuple[Problem, ...], hidden: bool, seeds: Seeds, course=None,
               reveal: bool = False) -> tuple[tuple, tuple]:
    """Run every claim of `problems`; return (CheckResults in declaration order, staff notes).

    A claim that pytest never ran (a collection error, say) still gets a result:
    zero points, marked as a broken check. Never full credit by default.
    """
    plugin = ClaimsPlugin(answers, problems, hidden, seeds, course, reveal)
    files = [str(p.checks_path) for p in problems]
    args = files + ["-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-o", "addopts=", "-o", "python_files=checks.py",
                    "--no-header",
                    # A test function that returns a value is an error, never a pass (our own call of a claim
                    # raises ClaimReturnedValue; this covers anything pytest calls itself).
                    "-W", "error::pytest.PytestReturnNotNoneWarning",
                    # hypothesis's plugin costs ~0.9 s per run and no claim uses it.
                    "-p", "no:hypothesispytest"]
    sink = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        code = pytest.main(args, plugins=[plugin])
    notes = list(plugin.staff_notes)
    if code not in (0, 1, 5):
        notes.append(f"pytest exited with {code!r} after {time.perf_counter() - start:.1f}s:\n{sink.getvalue()[-3000:]}")
    results = []
    for problem in problems:
        for fn, c in claims_of(problem):
            if c.graded_only and not hidden:
                continue
            key = f"{problem.name}.{fn}"
            if key in plugin.results:
                results.append(plugin.results[key])
            else:
                results.append(CheckResult(problem.name, c.part, fn, c.description, claim_points(problem, c), 0.0, CHECK_BROKEN,
                                           BROKEN_MESSAGE, c.visibility))
                notes.append(f"{key} did not run (pytest exit {code!r}); see the pytest output above")
    return tuple(results), tuple(notes)

"""Stage 3, checks: run the problems' claims with pytest, handing them the collected answers.

The grader runs each problem's `checks.py` (and, when grading, its
`graded_checks.py`) in a pytest session with a plugin that collects `@claim`
functions (whatever their names), provides the `answers`, `rng`, `seed`,
`reveal` and `pass_note` fixtures, drops claims that the mode does not run, and
turns each outcome into a `CheckResult`. A claim passes by returning None; one
that raises something other than a student fault, or returns anything but None
(`return got == expected` is `False`, never a pass), is a broken check: zero
points, flagged for the staff. A session is collected once and can run the
claims for many submissions in turn (`ClaimSession`).
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import inspect
import io
import time
import traceback
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from _pytest.runner import runtestprotocol

from grader.claims import Claim
from grader.errors import ConfigError, GraderError, NearMiss, Partial, StudentFault, did_you_mean
from grader.model import CHECK_BROKEN, FORMAT, NOT_ANSWERED, PARTIAL, PASSED, PENDING, WRONG, CheckResult, Metric
from grader.problem import GRADED_MODULE, Problem
from grader.seal import package_manifest
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


@dataclass(frozen=True)
class SeedTable:
    """Seeds computed ahead, one per (problem, claim): what a batch sends to a worker instead of the secret."""

    seeds: tuple[tuple[str, str, int], ...]  # ((problem, claim function, seed), ...)

    def seed(self, problem: str, claim: str) -> int:
        """The seed of one claim; a KeyError (a broken check, never credit) for a claim the table lacks."""
        for p, c, value in self.seeds:
            if (p, c) == (problem, claim):
                return value
        raise KeyError(f"no seed was sent for {problem}.{claim}")

    @classmethod
    def of(cls, seeds: "Seeds", problems: tuple[Problem, ...]) -> "SeedTable":
        """Every claim's seed of `problems` under `seeds`."""
        return cls(tuple((p.name, fn, seeds.seed(p.name, fn)) for p in problems for fn, _ in claims_of(p)))


def _claims_in(module) -> list[tuple[str, Claim]]:
    found = [(name, obj.__claim__) for name, obj in vars(module).items()
             if inspect.isfunction(obj) and isinstance(getattr(obj, "__claim__", None), Claim)]
    found.sort(key=lambda item: getattr(module, item[0]).__code__.co_firstlineno)
    return found


def claims_of(problem: Problem, graded: bool = True) -> list[tuple[str, Claim]]:
    """The (function name, Claim) pairs of a problem: checks.py in file order, then graded_checks.py if it exists.

    graded_checks.py holds the hidden and after-due claims, apart from the public ones, so that a
    student package can leave it out whole; a package has none.
    """
    found = _claims_in(importlib.import_module(f"{problem.package}.checks"))
    if graded and problem.graded_checks_path.is_file():
        found += _claims_in(importlib.import_module(f"{problem.package}.{GRADED_MODULE}"))
    return found


def graded_only_points(problem: Problem) -> dict[str, tuple[float, int]]:
    """{part: (points, how many claims)} of the claims that run only when grading, as declared (before scaling).

    From graded_checks.py in the course's repository; in a student package, which has no such file,
    from the totals `grader assign` wrote beside the sealed data (points and counts only, no names).
    """
    if problem.graded_checks_path.is_file():
        out: dict[str, tuple[float, int]] = {}
        for _, c in claims_of(problem):
            if c.graded_only:
                points, count = out.get(c.part, (0.0, 0))
                out[c.part] = (points + c.points, count + 1)
        return out
    manifest = package_manifest(problem.package)
    return {str(k): (float(v[0]), int(v[1])) for k, v in (manifest or {}).get("graded_points", {}).items()}


def _claim_count(problem: Problem, part: str) -> int:
    """How many claims the part has, the graded-only ones a student package lacks included."""
    count = sum(1 for _, other in claims_of(problem) if other.part == part)
    if not problem.graded_checks_path.is_file():
        count += graded_only_points(problem).get(part, (0.0, 0))[1]
    return count


def claim_points(problem: Problem, c: Claim) -> float:
    """A claim's points in this course: as declared, scaled when the course config changed its part's points.

    A part declared with 0 points that the course gives points shares them equally among its claims.
    """
    part = problem.part(c.part)
    count = _claim_count(problem, c.part) if part.shared_points else 0
    return part.claim_points(c.points, count)


def validate(problem: Problem) -> None:
    """Refuse a problem whose claims name unknown parts or whose points do not add up."""
    claims = claims_of(problem)
    part_names = [p.name for p in problem.parts]
    for fn, c in claims:
        if c.part not in part_names:
            raise ConfigError(f"{problem.name}/checks.py: claim {fn} is about part {c.part!r}, which the problem "
                              f"does not declare (parts: {part_names}).{did_you_mean(c.part, part_names)}")
    # A student package has only the public claims: the graded ones count by their totals.
    graded = graded_only_points(problem) if not problem.graded_checks_path.is_file() else {}
    for part in problem.parts:
        total = sum(claim_points(problem, c) for _, c in claims if c.part == part.name)
        if part.name in graded:
            points, count = graded[part.name]
            total += part.claim_points(points / count, _claim_count(problem, part.name)) * count
        if abs(total - part.points) > 1e-9:
            raise ConfigError(f"{problem.name}.{part.name}: the part is declared worth {part.points:g} points, "
                              f"but its claims add up to {total:g}; make them agree.")
        if not any(c.part == part.name for _, c in claims) and part.name not in graded:
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
    """The pytest plugin that runs claims against one submission's answers at a time.

    Collection depends only on the problems and the mode; the answers, seeds, course and
    reveal flag are bound per submission (`bind`), so one collected session serves many.
    """

    def __init__(self, problems: tuple[Problem, ...], hidden: bool):
        self.by_package = {p.package: p for p in problems}
        self.parts = {(p.name, part.name): part for p in problems for part in p.parts}
        self._hidden = hidden
        self.collect_errors: list[str] = []
        self.bind(None, Seeds.public())

    def bind(self, answers, seeds: Seeds, course=None, reveal: bool = False) -> None:
        """Grade the next submission: its answers and seeds; fresh results and notes."""
        self._answers = answers
        self._seeds = seeds
        self._course = course
        self._reveal = reveal
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

    def pytest_collectreport(self, report):
        """Remember what failed to collect (an import error in a checks module): no claim of it may pass."""
        if report.failed:
            self.collect_errors.append(f"{report.nodeid}: {report.longreprtext[-3000:]}")

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
        """Record a claim's outcome as a CheckResult (setup errors and crashes score zero); pytest's report, lean."""
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
        return _lean_report(item, call)

    def _answer_of(self, item, problem: Problem, part, status: str) -> str:
        """The answer a wrong check saw, normalized, for the class report; '' when there is none to show."""
        recorded = [v for k, v in item.user_properties if k == "answer" and type(v) is str]
        if recorded:
            return recorded[-1][:ANSWER_CAP]
        if part.kind != "value" or status not in (WRONG, PARTIAL, FORMAT):
            return ""
        key = (problem.name, part.name)
        if key not in self._shown:
            self._shown[key] = self._normalized(item, problem, part.name)
        return self._shown[key]

    def _normalized(self, item, problem: Problem, part: str) -> str:
        """A value part's answer as the problem normalizes it (or collapsed text / a short repr), capped."""
        try:
            value = self._answers.value(part)
        except (StudentFault, GraderError):  # missing or no longer fetchable: the checks already say why
            return ""
        # The normalizer lives in the public checks.py, whichever module the claim is in (graded_checks.py too).
        module = importlib.import_module(f"{problem.package}.checks") if problem.package else item.module
        normalize = getattr(module, NORMALIZER, None)
        shown = None
        if callable(normalize):
            try:
                shown = normalize(part, value)
            except StudentFault:  # the answer does not parse: shown as written
                shown = None
            except Exception as exc:  # a bug in the problem's normalizer costs the grouping, never a grade
                self.staff_notes.append(f"{module.__name__}.{NORMALIZER}({part!r}) raised "
                                        f"{type(exc).__name__}: {exc}")
                shown = None
        if type(shown) is not str:
            shown = " ".join(value.split()) if type(value) is str else short_repr(value, ANSWER_CAP)
        return shown[:ANSWER_CAP]


def _lean_report(item, call) -> pytest.TestReport:
    """pytest's report of one phase of a claim, without the rendered traceback nobody reads.

    The CheckResult above is what counts. pytest's own report of a failure renders the
    failing source through its AST: some 60 ms per failed claim, more than the claim.
    """
    if call.excinfo is None:
        outcome, longrepr = "passed", None
    elif call.excinfo.errisinstance(pytest.skip.Exception):
        outcome, longrepr = "skipped", (str(item.path), item.location[1] or 0, call.excinfo.exconly())
    else:
        outcome, longrepr = "failed", call.excinfo.exconly()
    return pytest.TestReport(item.nodeid, item.location, {}, outcome, longrepr, call.when, (), call.duration,
                             call.start, call.stop)


# What every claim session passes to pytest: only the checks modules, no plugin that claims do not use, no
# output capture at the file-descriptor level (a long-lived session must not swallow the grader's own
# output between submissions; what claims print goes to a buffer instead).
PYTEST_ARGS = ("-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-o", "addopts=", "-o",
               f"python_files=checks.py {GRADED_MODULE}.py", "--no-header", "--capture=no",
               # A test function that returns a value is an error, never a pass (our own call of a claim
               # raises ClaimReturnedValue; this covers anything pytest calls itself).
               "-W", "error::pytest.PytestReturnNotNoneWarning",
               # hypothesis's plugin costs ~0.9 s per session and no claim uses it.
               "-p", "no:hypothesispytest")


def claim_files(problems: tuple[Problem, ...], hidden: bool) -> list[str]:
    """The checks modules pytest collects: checks.py, and graded_checks.py when grading (a student's check runs none)."""
    files = [str(p.checks_path) for p in problems]
    if hidden:
        files += [str(p.graded_checks_path) for p in problems if p.graded_checks_path.is_file()]
    return files


def warm_up(problems: tuple[Problem, ...]) -> list[str]:
    """Run each checks module's optional `warm_up()`: the grader's work that needs no answer; what failed, in words.

    A problem's checks may define `warm_up()` to do ahead what its claims would do first (derive a
    reference, build a parser), so that it happens while the sandbox starts rather than after. A warm-up
    that fails changes nothing: the claims do the same work again, and fail there as broken checks.
    """
    failed = []
    for problem in problems:
        hook = getattr(importlib.import_module(f"{problem.package}.checks"), "warm_up", None)
        if callable(hook):
            try:
                hook()
            except Exception as exc:  # reported by the claims that need it; said here for the staff too
                failed.append(f"{problem.name}: warm_up failed ({type(exc).__name__}: {exc})")
    return failed


class ClaimSession:
    """One pytest session that collects the claims of `problems` once, then runs them for submission after submission.

    `pytest.main` per submission pays for configuration, plugin registration and
    collection every time (about 60 ms; more than the claims of a small problem).
    Here those happen once; each submission runs the collected items through
    pytest's own run protocol (setup, call, teardown, with fixtures rebuilt for
    every item), so outcomes are those of a fresh `pytest.main`.
    """

    def __init__(self, problems: tuple[Problem, ...], hidden: bool):
        from _pytest.config import _prepareconfig  # the same entry pytest.main uses; no public equivalent

        self.problems = problems
        self.hidden = hidden
        self.plugin = ClaimsPlugin(problems, hidden)
        self._sink = io.StringIO()  # pytest's terminal writer keeps the stream it was configured with
        self.items: list = []
        self.internal_error: str | None = None
        with contextlib.redirect_stdout(self._sink), contextlib.redirect_stderr(self._sink):
            self.config = _prepareconfig(claim_files(problems, hidden) + list(PYTEST_ARGS), plugins=[self.plugin])
            self.session = pytest.Session.from_config(self.config)
            self.session.exitstatus = pytest.ExitCode.OK
            try:
                self.config._do_configure()
                self.config.hook.pytest_sessionstart(session=self.session)
                self.config.hook.pytest_collection(session=self.session)
            except Exception:  # pytest itself failed to collect: every claim will be reported broken
                self.internal_error = traceback.format_exc()[-3000:]
            else:
                self.items = list(self.session.items)
        self.warm_up_errors = warm_up(problems)
        self._closed = False
        self.broken = False  # pytest itself failed during a run: its state is suspect, use a new session

    def run(self, answers, seeds: Seeds, course=None, reveal: bool = False) -> tuple[tuple, tuple]:
        """Run every collected claim on `answers`; (CheckResults in declaration order, staff notes)."""
        self.plugin.bind(answers, seeds, course, reveal)
        notes: list[str] = []
        start = time.perf_counter()
        if self.internal_error or self.plugin.collect_errors:
            # pytest.main stops before running anything when collection failed; so does the session.
            notes.append(f"pytest could not collect the claims after {time.perf_counter() - start:.1f}s:\n"
                         + (self.internal_error or "\n".join(self.plugin.collect_errors)))
        else:
            sink = io.StringIO()
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), warnings.catch_warnings():
                # pytest.main applies its -W filters around each test (this protocol runs below that layer):
                # other warnings are only recorded for a summary nobody reads; a returned value is an error.
                warnings.simplefilter("ignore")
                warnings.filterwarnings("error", category=pytest.PytestReturnNotNoneWarning)
                try:
                    for i, item in enumerate(self.items):
                        nextitem = self.items[i + 1] if i + 1 < len(self.items) else None
                        # What the claim recorded (metrics, the answer it read) belongs to one submission only.
                        item.user_properties.clear()
                        runtestprotocol(item, log=False, nextitem=nextitem)
                except Exception:  # pytest's own machinery failed (an INTERNALERROR in pytest.main): claims not run
                    self.broken = True
                    notes.append(f"pytest failed while running the claims:\n{traceback.format_exc()[-3000:]}")
            for item in self.items:
                item._report_sections.clear()  # captured logs of this submission: nothing may pile up over a batch
                item.user_properties.clear()
        notes = list(self.plugin.staff_notes) + list(self.warm_up_errors) + notes
        results = []
        for problem in self.problems:
            for fn, c in claims_of(problem, graded=self.hidden):
                if c.graded_only and not self.hidden:
                    continue
                key = f"{problem.name}.{fn}"
                if key in self.plugin.results:
                    results.append(self.plugin.results[key])
                else:
                    results.append(CheckResult(problem.name, c.part, fn, c.description, claim_points(problem, c), 0.0,
                                               CHECK_BROKEN, BROKEN_MESSAGE, c.visibility))
                    notes.append(f"{key} did not run; see the pytest output above")
        self.plugin.bind(None, Seeds.public())  # keep nothing of this submission alive
        return tuple(results), tuple(notes)

    def close(self) -> None:
        """End the pytest session (unconfigure its plugins)."""
        if self._closed:
            return
        self._closed = True
        with contextlib.redirect_stdout(self._sink), contextlib.redirect_stderr(self._sink):
            try:
                self.config.hook.pytest_sessionfinish(session=self.session, exitstatus=self.session.exitstatus)
            finally:
                self.config._ensure_unconfigure()

    def __enter__(self) -> "ClaimSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_claims(answers, problems: tuple[Problem, ...], hidden: bool, seeds: Seeds, course=None,
               reveal: bool = False, session: ClaimSession | None = None) -> tuple[tuple, tuple]:
    """Run every claim of `problems`; return (CheckResults in declaration order, staff notes).

    With `session` (collected for the same problems and mode) the claims run in it;
    otherwise in a session of their own. A claim that pytest never ran (a collection
    error, say) still gets a result: zero points, marked as a broken check. Never
    full credit by default.
    """
    if session is not None:
        if session.problems != problems or session.hidden != hidden:
            raise ValueError("the claim session was collected for other problems or another mode")
        return session.run(answers, seeds, course, reveal)
    with ClaimSession(problems, hidden) as own:
        return own.run(answers, seeds, course, reveal)

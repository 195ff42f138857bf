"""Command line: `grader check` for students, `grader grade` and `grader manual` for TAs and CI."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from grader import github
from grader.config import CourseConfig, load_config
from grader.errors import GraderError, SandboxUnavailable, did_you_mean
from grader.manual import SHEET, apply_manual, check_no_old_sheet, read_manual_scores, sheet_groups, sheet_path
from grader.model import OPTIONAL, PASSED, PENDING
from grader.outdir import STAFF, staff_dir
from grader.pipeline import GradingSession, RunConfig, StopRequest, load_problems
from grader.problem import discover, listing, select
from grader.report import STATUS_WORDS, console_table, render_html, write_outputs
from grader.seal import in_student_package
from grader.transcripts.marks import transcript_path, write_transcript
from grader.sandbox import SandboxConfig, bwrap_path, gpu_self_test, require_bwrap, self_test
from grader.store import load_reports

LIST_UP_TO = 50  # a bigger batch prints no line per student: grades.csv and summary.html have them
LIST_NOT_GRADED = 20  # names of students a stopped batch did not reach
LOUD_WARNING = ("WARNING: --no-sandbox: student code will run as YOUR user with access to your files and network. "
                "Use this only for code you trust.")


def default_submission() -> Path:
    """`submissions/mine` when it exists, else the current folder."""
    mine = Path("submissions/mine")
    return mine if mine.is_dir() else Path(".")


def staff_only(command: str) -> int:
    """Refuse a TA's command in a student package (its modules are not there), saying what to run instead."""
    print(f"grader: `grader {command}` is for course staff, in the course's repository; this student package has "
          "the public checks only. Here, run `grader check` (or `make check`).", file=sys.stderr)
    return 2


def cmd_check(args) -> int:
    """A student's run of the public checks on their own submission."""
    path = Path(args.path) if args.path else default_submission()
    if not path.exists():
        print(f"grader: {path} does not exist. Give the folder (or .zip, or answers.py) to check.", file=sys.stderr)
        return 2
    if args.path is None and path == Path(".") and not any(path.glob("answers.py")) and not any(path.glob("*.ipynb")):
        print("grader: no submission to check. Copy the template first:\n"
              "    cp -r submissions/template submissions/mine\n"
              "then fill in submissions/mine/answers.py and run `make check` again.", file=sys.stderr)
        return 2
    use_bwrap = bwrap_path() is not None and not args.no_sandbox
    with GradingSession() as session:
        if use_bwrap:
            # The sandbox's zygote imports numpy (and torch) on one core while this process imports the
            # checks on the other: most of a check's time is these start-ups, and they overlap. `grader.entry`
            # starts it before even this module is imported; else it starts here.
            early = getattr(args, "early", None)
            if early is not None:
                session.adopt(SandboxConfig(use_bwrap=True), *early)
            else:
                session.prepare(select(discover(), args.problem or None), RunConfig("check"))
            try:
                self_test(SandboxConfig(use_bwrap=True))
            except SandboxUnavailable as exc:
                print(f"note: {exc}\nnote: running your code in a plain subprocess instead.", file=sys.stderr)
                use_bwrap = False
        course = course_config(args)
        problems = load_problems(tuple(args.problem or ()), course)
        config = RunConfig("check", tuple(args.problem or ()), SandboxConfig(use_bwrap=use_bwrap, limits=course.limits),
                           "public", course)
        report = session.grade(path, problems, config)
    print(console_table(report))
    if github.under_actions():
        github.publish(report, path)  # the job summary and annotations; the exit status below fails the job
    if args.html:
        Path(args.html).parent.mkdir(parents=True, exist_ok=True)  # `--html reports/mine.html` into a new folder
        Path(args.html).write_text(render_html(report), encoding="utf-8")
        print(f"HTML report: {args.html}")
        marked = write_transcript(report, transcript_path(Path(args.html)), STATUS_WORDS)
        if marked is not None:
            print(f"Your chat, marked: {marked}")
    # Only required public checks fail the run: an optional part, attempted or not, is extra credit.
    extra = {(p.problem, p.part) for p in report.parts if p.extra_credit}
    failed = [c for c in report.checks if c.visibility == "public" and c.status not in (PASSED, PENDING, OPTIONAL)
              and (c.problem, c.part) not in extra]
    if failed:
        print(f"\n{len(failed)} public check(s) did not pass. Hidden checks run when your TA grades.")
        return 1
    print("\nPublic checks passed. Hidden checks run when your TA grades; manual parts are read by a TA.")
    return 0


def cmd_grade(args) -> int:
    """Grade every submission in one or more folders, as one batch, and write the contract's files.

    SIGINT or SIGTERM stops it cleanly: every sandbox is killed within moments, the submissions graded so
    far are written, and the exit status is the shell's for the signal (130 for SIGINT, 143 for SIGTERM).
    """
    if in_student_package():
        print("grader: this is a student package: it has the public checks only, so it cannot grade. "
              "Grade in the course's repository; here, run `grader check` (or `make check`).", file=sys.stderr)
        return 2
    with StopRequest() as stop:
        try:
            return _grade_batch(args, stop)
        except SandboxUnavailable:
            if not stop.requested:
                raise
            # The self-test's sandbox was killed by the stop request: not a broken sandbox.
            print(f"stopped by {stop.name} before any submission was graded; nothing written", file=sys.stderr)
            return stop.exit_status


def _grade_batch(args, stop: StopRequest) -> int:
    # Imported here, not at the top: the LMS exports and class pages are staff-only modules, left out of the
    # student package, and none of the batch machinery is any use to `grader check`, which would pay for it.
    from grader.batch import Batch, BatchOptions
    from grader.sources import batch_sources
    from grader.staff.roster import keep_roster, kept_roster, read_roster
    from grader.staff.views import write_batch_views

    course = course_config(args)  # a bad config stops here, before any student is graded
    check_no_old_sheet(Path(args.out))  # so does a TA's sheet left where an older grader put it
    roster = read_roster(Path(args.roster), args.canvas_assignment) if args.roster else None  # so does a bad roster
    if args.per_problem_dirs and args.problem:
        print("grader: --per-problem-dirs grades each folder on the problem it is named after; "
              "leave out --problem", file=sys.stderr)
        return 2
    sources = batch_sources([Path(d) for d in args.dirs], args.per_problem_dirs,
                            tuple(p.name for p in load_problems()))
    if args.no_sandbox:
        print(LOUD_WARNING, file=sys.stderr)
    else:
        require_bwrap()
        self_test(SandboxConfig(use_bwrap=True))
    secret = os.environ.get(course.secret_env)
    if not secret:
        print(f"note: {course.secret_env} is not set; random inputs use a default course secret "
              "(set it so students cannot predict hidden inputs).", file=sys.stderr)
        secret = "hw7-default-secret"
    sandbox = SandboxConfig(use_bwrap=not args.no_sandbox, limits=course.limits, gpu=args.gpu)
    if args.gpu and not args.scheduler:
        # Timed GPU parts graded without a working GPU would fail every student for our fault: refuse instead.
        # (On a cluster the GPU is a worker's: parts that find no GPU worker wait for one instead.)
        print(f"GPU in the sandbox: {gpu_self_test(sandbox)}", file=sys.stderr)
    config = RunConfig("grade", tuple(args.problem or ()), sandbox, secret, course, before_due=args.before_due)
    if not sources:
        print(f"no submissions found in {', '.join(args.dirs)} (expected folders or .zip files)", file=sys.stderr)
        return 2
    if stop.requested:
        print(f"stopped by {stop.name} before any submission was graded; nothing written", file=sys.stderr)
        return stop.exit_status
    out = Path(args.out)
    options = BatchOptions(scheduler=args.scheduler, jobs=args.jobs, force=args.force,
                           command=" ".join(["grader", *sys.argv[1:]]) if sys.argv[1:] else "grader grade",
                           template=Path(args.template) if args.template else None)
    result = Batch(sources, config, out, options, stop=stop).run()
    reports = result.reports
    if result.stopped and not reports:
        print(f"stopped by {stop.name} before any submission was graded; nothing written", file=sys.stderr)
        return stop.exit_status
    if roster is not None:
        keep_roster(Path(args.roster), roster, out)
    elif kept_roster(out) is not None:
        print(f"using the roster an earlier run kept in {out}/_staff/ (give --roster to replace it)")
    for line in write_batch_views(reports, out, complete=not result.stopped):  # summary.html, index.html, exports
        print(line)
    if len(reports) <= LIST_UP_TO:
        for r in reports:
            flag = " (pending manual: %g)" % r.pending_points if r.pending_points else ""
            print(f"{r.student:<32} {r.score:>6g} / {r.max_score:<6g}{flag}")
    skipped = f"; {result.skipped} skipped, already graded with the same submission, checks and config " \
              "(--force regrades them)" if result.skipped else ""
    print(f"graded {result.graded} submission(s) in {result.seconds:.1f}s on {result.engine}{skipped} -> {out}/ "
          f"(index.html, summary.html, grades.csv; hand back {out}/<student>/; {out}/{STAFF}/ is for staff only)")
    if args.before_due:
        print("graded before the due date: the reports leave out after-due-date feedback; grade again without "
              "--before-due after the deadline to include it")
    if result.stopped:
        left = result.not_graded
        names = ", ".join(left[:LIST_NOT_GRADED]) + (f" and {len(left) - LIST_NOT_GRADED} more"
                                                      if len(left) > LIST_NOT_GRADED else "")
        print(f"stopped by {stop.name}: wrote the {len(reports)} submission(s) graded so far to {out}/"
              + (f"; not graded: {names}; run the same command again to grade the rest" if left else ""),
              file=sys.stderr)
        return stop.exit_status
    status = 0 if result.sheet_ok and result.similarity_ok else 2
    if result.needs_gpu:
        print(f"{len(result.needs_gpu)} submission(s) have parts timed on a GPU and no GPU worker took them: "
              "start a worker with `--resources GPU=1` and run again (only those are regraded)", file=sys.stderr)
        status = 2
    if result.broken:
        more = f" and {len(result.broken) - LIST_NOT_GRADED} more" if len(result.broken) > LIST_NOT_GRADED else ""
        print(f"the grader itself failed on: {', '.join(result.broken[:LIST_NOT_GRADED])}{more} (checks that could "
              f"not run scored 0; see {staff_dir(out)}/<student>/staff.txt; the next run grades them again)",
              file=sys.stderr)
        status = 2
    return status


def course_config(args) -> CourseConfig:
    """The course config named by --config (the default course otherwise), with --timeout applied."""
    course = load_config(Path(args.config) if args.config else None, load_problems())
    return course.with_timeout(args.timeout)


def cmd_manual(args) -> int:
    """Apply the TA's sheet of manual scores to a graded batch and rewrite its results; runs no student code."""
    if in_student_package():
        return staff_only("manual")
    from grader.batch import through_groups  # batch machinery: not imported by `grader check`
    from grader.gradebook import Gradebook, OutLock
    from grader.staff.groups import answer_groups, key_points_of  # staff-only, as below
    from grader.staff.views import write_batch_views  # staff-only, not in the student package

    out = Path(args.out)
    if not args.scores:
        check_no_old_sheet(out)
    sheet = Path(args.scores) if args.scores else sheet_path(out)
    reports = load_reports(out)
    scores = read_manual_scores(sheet, reports)  # the whole sheet is checked before anything is written
    # Grouped as graded (the checks' hints are in those reports), with the sheet's group numbers kept.
    groups = answer_groups(reports, key_points_of(load_problems()), sheet_groups(sheet))
    reports = [apply_manual(r, scores) for r in reports]
    with OutLock(out, "grader manual"):  # never beside a `grader grade` writing the same folder
        book = Gradebook.of(out)
        try:
            book.record_ta_scores(scores, "grader manual")
        finally:
            book.close()
        write_outputs(reports, out, groups)
        views = write_batch_views(reports, out)
    for line in views:
        print(line)
    for r in reports:
        print(f"{r.student:<32} {r.score:>6g} / {r.max_score:<6g} (manual points pending: {r.pending_points:g})")
    print(f"applied {len(scores)} TA score(s) from {sheet}{through_groups(scores)} -> {out}/ "
          "(results.json, report.html, summary.html, grades.csv)")
    return 0


def cmd_assign(args) -> int:
    """Build the student package (public checks only, sealed; no answer in it) in DIST."""
    if in_student_package():
        print("grader: this is a student package already; build one from the course's repository.", file=sys.stderr)
        return 2
    from grader.staff.assign import build_package  # staff-only: a student package does not have it
    built = build_package(Path(args.dist), tuple(args.problem or ()), force=args.force, make_zip=args.zip)
    print(built.describe())
    return 0


def cmd_history(args) -> int:
    """Show each grading of one student recorded in OUT's gradebook, and what changed between them."""
    if in_student_package():
        return staff_only("history")
    from grader.gradebook import DATABASE, Gradebook, format_history  # not imported by `grader check`

    out = Path(args.out)
    path = staff_dir(out) / DATABASE
    if not path.is_file():
        raise GraderError(f"expected a gradebook at {path}, got no such file. Run `grader grade SUBMISSIONS "
                          f"--out {out}` first.")
    book = Gradebook(path)
    try:
        entries, ta = book.history(args.student)
        if not entries and not ta:
            raise GraderError(f"expected a student graded into {out}, got {args.student!r}."
                              + did_you_mean(args.student, book.students()))
    finally:
        book.close()
    print(format_history(args.student, entries, ta))
    return 0


def cmd_export(args) -> int:
    """Build the Gradescope autograder zip (staff-only: it holds the hidden checks and the course secret)."""
    if in_student_package():
        print("grader: this is a student package: it has the public checks only; build the autograder zip from "
              "the course's repository.", file=sys.stderr)
        return 2
    from grader.staff import gradescope  # staff-only, not in the student package

    course = course_config(args)
    problems = load_problems(tuple(args.problem or ()), course)  # a broken problem or config stops here
    secret = os.environ.get(course.secret_env)
    if not secret:
        print(f"grader: {course.secret_env} is not set. The autograder zip carries the course secret (it seeds "
              f"every student's hidden inputs): export {course.secret_env}='something only staff know' and run "
              "this again.", file=sys.stderr)
        return 2
    names = gradescope.build_zip(Path(args.zip), secret, tuple(args.problem or ()),
                                 Path(args.config) if args.config else None, before_due=not args.after_due)
    manual = [(f"{p.name}.{part.name}", part.points) for p in problems for part in p.parts if part.kind == "manual"]
    auto = sum(part.points for p in problems for part in p.parts if part.kind != "manual" and not part.optional)
    extra = sum(part.points for p in problems for part in p.parts if part.kind != "manual" and part.optional)
    print(f"wrote {args.zip}: {len(names)} files, {len(problems)} problem(s). Upload it on the assignment's Configure "
          "Autograder page (Ubuntu 22.04 base image). It holds the hidden checks and the course secret: keep it "
          "among staff.")
    print(f"The autograder scores {auto:g} points" + (f" (plus {extra:g} extra credit)" if extra else "")
          + ". Free responses are scored in Gradescope: add one manually "
          "graded question for each of these parts:")
    for key, points in manual:
        print(f"  {key:<48} {points:g} points")
    return 0


def cmd_problems(args) -> int:
    """List the problems, their parts and points."""
    print("\n".join(listing(load_problems())))
    return 0


def _course_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="the course config (course.toml: limits, points, partial credit)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds a submission may take to import (overrides the config's limits.timeout_s)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser."""
    ap = argparse.ArgumentParser(prog="grader", description="HW7 autograder")
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="run the public checks on your own submission")
    c.add_argument("path", nargs="?", help="submission folder or .zip (default: submissions/mine or .)")
    c.add_argument("--problem", action="append", help="only this problem (repeatable)")
    c.add_argument("--html", help="also write an HTML report to this file")
    c.add_argument("--no-sandbox", action="store_true", help="run without bubblewrap even where it exists")
    _course_options(c)
    c.set_defaults(func=cmd_check)
    g = sub.add_parser("grade", help="grade every submission in one or more folders, as one batch (TA, CI)")
    g.add_argument("dirs", nargs="+", metavar="DIR", help="folder holding one folder or .zip per student")
    g.add_argument("--per-problem-dirs", action="store_true",
                   help="each DIR is named after a problem: grade its submissions on that problem only")
    g.add_argument("--roster", help="a Canvas gradebook export or a Gradescope roster (CSV): writes grades_canvas.csv")
    g.add_argument("--canvas-assignment", help='the Canvas column to write, e.g. "HW7 (123456)" '
                                               "(default: the roster's HW7 column, else a new HW7)")
    g.add_argument("--out", required=True, help="where to write results (created)")
    g.add_argument("--problem", action="append", help="only this problem (repeatable)")
    g.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: cores)")
    g.add_argument("--no-sandbox", action="store_true", help="run student code unconfined (warned)")
    g.add_argument("--gpu", action="store_true", help="pass the GPU's device nodes into the sandbox")
    g.add_argument("--scheduler", help="grade on the Dask cluster at this address (tcp://HOST:PORT) instead of "
                                       "an embedded local cluster")
    g.add_argument("--force", action="store_true",
                   help="regrade every submission, even those the gradebook holds with the same hashes")
    g.add_argument("--before-due", action="store_true",
                   help="grading before the deadline: reports leave out after-due-date feedback and accepted answers")
    g.add_argument("--template", help="the code handed out to students, left out of the similarity report "
                                      "(default: submissions/template/answers.py)")
    _course_options(g)
    g.set_defaults(func=cmd_grade)
    m = sub.add_parser("manual", help="apply a TA's scores for the manual parts to a graded batch")
    m.add_argument("out", help="the --out folder of `grader grade`")
    m.add_argument("--scores", help=f"the TA's sheet (default: OUT/{STAFF}/{SHEET})")
    m.set_defaults(func=cmd_manual)
    a = sub.add_parser("assign", help="build the student package: public checks only, sealed, no answer (staff)")
    a.add_argument("dist", help="the folder to build it in (must be empty or missing, unless --force)")
    a.add_argument("--problem", action="append", help="only this problem (repeatable)")
    a.add_argument("--zip", action="store_true", help="also write DIST.zip (for an LMS)")
    a.add_argument("--force", action="store_true", help="replace what DIST holds (a .git folder in it is kept)")
    a.set_defaults(func=cmd_assign)
    h = sub.add_parser("history", help="each grading of one student in OUT's gradebook, and what changed")
    h.add_argument("student", help="the student's id (their folder name in OUT)")
    h.add_argument("--out", required=True, help="the --out folder of `grader grade`")
    h.set_defaults(func=cmd_history)
    e = sub.add_parser("export", help="build a course export: the Gradescope autograder zip")
    e.add_argument("target", choices=["gradescope"], help="what to build")
    e.add_argument("zip", help="the zip file to write")
    e.add_argument("--problem", action="append", help="only this problem (repeatable)")
    e.add_argument("--after-due", action="store_true",
                   help="messages may name accepted answers (for regrading after the due date)")
    _course_options(e)
    e.set_defaults(func=cmd_export)
    pr = sub.add_parser("problems", help="list problems and parts")
    pr.set_defaults(func=cmd_problems)
    return ap


def main(argv: list[str] | None = None, early=None) -> int:
    """Run the `grader` command; `early` is (problems, zygote launcher) started by `grader.entry` for a check."""
    args = build_parser().parse_args(argv)
    args.early = early
    try:
        return args.func(args)
    except GraderError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C where no stop request is installed (`grader check`, say): no traceback
        print("grader: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""`grader check` under GitHub Actions: a job summary, annotations for failed parts, and where answers are defined.

When `GITHUB_ACTIONS=true`, `grader check` also writes a Markdown table (one row per
part: status and points, with the "public checks only" wording) to the file named by
`$GITHUB_STEP_SUMMARY`, and prints one workflow command per failed part
(`::error file=submissions/mine/answers.py,line=12,title=...::message`), so that the
workflow itself stays a few lines. The line is where the grader knows it: where the
answer's name is defined (found by parsing, never running, the submission), or the
line an import error points at, also inside a notebook cell.

The job fails only as `grader check` exits: 1 when a required public check fails. An
optional (extra-credit) part that fails gets a warning, never an error.
"""
from __future__ import annotations

import ast
import html
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from grader.model import OPTIONAL, PASSED, PENDING, Report
from grader.report import STATUS_WORDS, student_message, total_line

MAX_MESSAGE = 4000  # characters of one annotation's message (GitHub shows the first lines)
MAX_SOURCE = 20 * 1024 * 1024  # a submission file larger than this is not read for line numbers

ICONS = {"passed": "✅", "partial": "🟡", "pending": "📝", "optional": "➖"}
PUBLIC_ONLY = ("These are the **public checks only**: passing them does not mean full marks. Hidden checks, "
               "with other inputs, run when your TA grades, and free responses are read by a TA.")


def under_actions(env: dict | None = None) -> bool:
    """Whether this runs as a GitHub Actions step (`GITHUB_ACTIONS=true`)."""
    return (os.environ if env is None else env).get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as the runner reads it (%, CR and LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (file, title), escaped: also ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass(frozen=True)
class Annotation:
    """One workflow annotation: its level (error, warning, notice), title, message and place."""

    level: str
    title: str
    message: str
    file: str | None = None
    line: int | None = None

    def command(self) -> str:
        """The `::error file=...,line=...,title=...::message` line the runner turns into an annotation."""
        props = []
        if self.file:
            props.append(f"file={escape_property(self.file)}")
            if self.line:
                props.append(f"line={self.line}")
        props.append(f"title={escape_property(self.title)}")
        message = self.message if len(self.message) <= MAX_MESSAGE else self.message[:MAX_MESSAGE] + "…"
        return f"::{self.level} {','.join(props)}::{escape_data(message)}"


# ------------------------------------------------------------------------------------ where answers are

@dataclass(frozen=True)
class SourceMap:
    """Where a submission's answers and cells are, as lines of the file a reviewer sees.

    `file` is the answers file as the workflow's workspace names it (submissions/mine/answers.py).
    `definitions` maps an answer name to the line defining it; `cells` maps a notebook cell's label
    ("hw.ipynb, cell 3") to the file line where that cell's source starts.
    """

    file: str | None = None
    definitions: dict = field(default_factory=dict)
    cells: dict = field(default_factory=dict)

    def line_of(self, name: str) -> int | None:
        """The line that defines the answer `name`, if the grader could find one."""
        return self.definitions.get(name)

    def line_at(self, label: str, line: int) -> int | None:
        """The file line of line `line` of the code labelled `label` (answers.py, or a notebook cell)."""
        if label in self.cells:
            return self.cells[label] + line - 1
        if self.file and not self.cells and label in ("answers.py", Path(self.file).name):
            return line  # the worker runs answers.py under that name, whatever the file was called
        return None


def _shown_path(path: Path, workspace: Path) -> str:
    """`path` relative to the workspace when it is inside it (as GitHub names files), else as given."""
    try:
        return path.resolve().relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _defined_names(source: str, offset: int = 0) -> dict:
    """{name: line} for the top-level assignments, functions and classes of `source` (parsed, never run)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    found = {}
    for node in tree.body:
        targets = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            targets = [node.name]
        elif isinstance(node, ast.Assign):
            targets = [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
            targets = [node.target.id]
        line = getattr(node, "lineno", None)
        for name in targets:
            found[name] = line + offset  # the last definition is the one the import keeps
    return found


def _notebook_lines(raw: str, name: str) -> tuple[dict, dict]:
    """({answer: line}, {cell label: line}) for a notebook as Jupyter writes it (one source line per JSON line).

    The lines are found in the file's text: each cell's `"cell_type"` key starts a cell, its `"source"`
    key the code. When the text does not look like that (a minified notebook), no line is given.
    """
    try:
        cells = json.loads(raw).get("cells", [])
    except (json.JSONDecodeError, AttributeError):
        return {}, {}
    lines = raw.splitlines()
    starts = [i for i, text in enumerate(lines) if re.match(r'\s*"cell_type"\s*:', text)]
    if len(starts) != len(cells):
        return {}, {}
    definitions, where = {}, {}
    for number, (cell, start) in enumerate(zip(cells, starts), start=1):
        if cell.get("cell_type") != "code":
            continue
        end = starts[number] if number < len(starts) else len(lines)
        key = next((i for i in range(start, end) if re.match(r'\s*"source"\s*:', lines[i])), None)
        if key is None:
            continue
        # "source": [ then one line per element; or "source": "one line" on the key's own line.
        first = key + 2 if lines[key].rstrip().endswith("[") else key + 1
        label = f"{name}, cell {number}"
        where[label] = first
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        definitions.update(_defined_names(source, first - 1))
    return definitions, where


def source_map(submission: Path, workspace: Path | None = None) -> SourceMap:
    """Where the answers of the submission at `submission` (a folder, answers.py or a notebook) are defined."""
    workspace = workspace or Path(os.environ.get("GITHUB_WORKSPACE") or ".")
    folder = submission if submission.is_dir() else submission.parent
    if submission.is_file() and submission.suffix in (".py", ".ipynb", ".md"):
        candidates = [submission]
    else:
        candidates = [folder / "answers.py", *sorted(folder.glob("*.ipynb")), folder / "transcript.md"]
    for path in candidates:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_SOURCE:
            continue
        shown = _shown_path(path, workspace)
        try:
            raw = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            return SourceMap(shown)
        if path.suffix == ".py":
            return SourceMap(shown, _defined_names(raw))
        if path.suffix == ".ipynb":
            definitions, cells = _notebook_lines(raw, path.name)
            return SourceMap(shown, definitions, cells)
        return SourceMap(shown)
    return SourceMap()


# ------------------------------------------------------------------------------------ annotations

TRACEBACK_LINE = re.compile(r'File "([^"]+)", line (\d+)')


def _shown_message(report: Report, check) -> str:
    """What the student may read of a check, or its status in words when it says nothing."""
    return student_message(check, report.after_due_feedback) or STATUS_WORDS.get(check.status, check.status)


def failed_checks(report: Report) -> list:
    """The public checks that did not pass (pending and optional ones are not failures)."""
    return [c for c in report.checks if c.visibility == "public" and c.status not in (PASSED, PENDING, OPTIONAL)]


def annotations(report: Report, where: SourceMap) -> list[Annotation]:
    """One annotation per failed part, and one for a submission that could not be loaded or imported."""
    out = []
    if report.load_error:
        out.append(Annotation("error", "The submission could not be loaded", report.load_error, where.file))
    if report.import_error:
        line = None
        for label, number in TRACEBACK_LINE.findall(report.import_error):
            line = where.line_at(label, int(number)) or line  # the innermost frame in the submission wins
        out.append(Annotation("error", "Your code raised an error while being imported", report.import_error,
                              where.file, line))
    extra = {(p.problem, p.part) for p in report.parts if p.extra_credit}
    by_part: dict = {}
    for c in failed_checks(report):
        by_part.setdefault((c.problem, c.part), []).append(c)
    parts = {(p.problem, p.part): p for p in report.parts}
    for key, checks in by_part.items():
        part = parts.get(key)
        status = STATUS_WORDS.get(part.status if part else checks[0].status, checks[0].status)
        points = f" ({part.score:g}/{part.points:g})" if part else ""
        optional = key in extra
        title = f"{key[0]}.{key[1]}: {status}{points}" + (" (optional, extra credit)" if optional else "")
        message = "\n".join(f"{c.description}: {_shown_message(report, c)}" for c in checks)
        out.append(Annotation("warning" if optional else "error", title, message, where.file,
                              where.line_of(key[1])))
    return out


# ------------------------------------------------------------------------------------ job summary

def _cell(text: str) -> str:
    """Text for a Markdown table cell: pipes escaped, one line."""
    return html.escape(text.replace("|", "\\|").replace("\n", " "), quote=False)


def _points(part) -> str:
    if part.status == OPTIONAL:
        return f"{part.points:g} extra"
    if part.pending:
        return f"{part.points:g} (TA)"
    return f"{part.score:g}/{part.points:g}" + (" extra" if part.extra_credit else "")


def job_summary(report: Report, shown: str) -> str:
    """The step summary: a heading, the total, the public-checks-only wording, a table of parts, the failures."""
    lines = [f"## HW7 public checks: `{_cell(shown)}`", "", total_line(report), "", PUBLIC_ONLY, ""]
    if report.load_error:
        lines += [f"**The submission could not be loaded:** {_cell(report.load_error)}", ""]
    if report.import_error:
        lines += ["**Your code raised an error while being imported** (see below).", ""]
    lines += ["| Part | Status | Points |", "| --- | --- | --- |"]
    for p in report.parts:
        status = STATUS_WORDS.get(p.status, p.status)
        icon = ICONS.get(p.status, "❌")
        lines.append(f"| `{p.problem}.{p.part}` | {icon} {_cell(status)} | {_points(p)} |")
    details = []
    if report.import_error:
        details.append(("Import error", report.import_error))
    for c in failed_checks(report):
        details.append((f"{c.problem}.{c.part}: {c.description}", _shown_message(report, c)))
    if details:
        lines += ["", "### What did not pass", ""]
        for title, text in details:
            lines += [f"<details><summary>{html.escape(title)}</summary>", "",
                      f"<pre>{html.escape(text)}</pre>", "", "</details>"]
    if not report.sandboxed:
        lines += ["", "_Ran without the bubblewrap sandbox._"]
    return "\n".join(lines) + "\n"


def publish(report: Report, submission: Path, env: dict | None = None, out=None) -> list[Annotation]:
    """Under Actions: append the job summary to $GITHUB_STEP_SUMMARY and print the annotations to `out`."""
    env = os.environ if env is None else env
    out = out or sys.stdout
    where = source_map(submission, Path(env.get("GITHUB_WORKSPACE") or "."))
    notes = annotations(report, where)
    summary_path = env.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        shown = _shown_path(submission, Path(env.get("GITHUB_WORKSPACE") or "."))
        with open(summary_path, "a", encoding="utf-8") as fh:
            fh.write(job_summary(report, shown))
    for note in notes:
        print(note.command(), file=out)
    return notes

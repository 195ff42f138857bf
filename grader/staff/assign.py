"""`grader assign DIST`: the student package, with the public checks only and no answer in it.

The package is a folder (and, with `--zip`, DIST.zip) that a course hands out, or pushes as
a starter repository: a student README, a Makefile (`make install`, `make check`), a
pyproject.toml, the problem statements, `submissions/template/`, the grader runtime, and of
each problem only what its public checks need:

- its declaration (`__init__.py`) with every rubric cut out;
- `checks.py` (public claims only: hidden and after-due claims live in graded_checks.py,
  which is left out whole) and the problem's modules it imports, found by reading the
  imports (a module that imports `reference/`, `seals.py` or `graded_checks.py` stops the
  build: the public checks must read sealed data instead);
- the data files those modules name (a grammar), and `sealed.json`: the sealed data that
  the problem's `seals()` computes, as digests and values (grader.seal), with the points
  of the graded-only claims per part (their totals, no names).

Never in it: `reference/`, `tests/`, example submissions, rubrics, the answer contract,
course config, hidden or after-due claims, seals.py. tests/integration/test_assign.py
scans a built package for every answer, rubric, reference line and hidden claim name.
"""
from __future__ import annotations

import ast
import hashlib
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import traceback
import zipfile
from dataclasses import dataclass
from pathlib import Path

import jinja2

from grader.errors import GraderError
from grader.problem import GRADED_MODULE, Problem, discover, listing, select
from grader.run_checks import _claims_in, claims_of, graded_only_points, validate
from grader.seal import SEALED_FILE, SEALS_MODULE, has_seals, seal_file

ROOT = Path(__file__).resolve().parents[2]  # the course's repository
PYTHON = "3.11"
STAFF_ONLY_MODULES = (SEALS_MODULE, GRADED_MODULE)
# Source folders of the course's repository: DIST may not be one of them or inside one (--force would empty it).
SOURCE_FOLDERS = ("grader", "problems", "reference", "submissions", "tests", "docs", "bench", ".git")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # every zip member's time: the same package gives the same zip

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "package")),
                          undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True,
                          lstrip_blocks=True)


class AssignError(GraderError):
    """The student package cannot be built as asked (a non-empty DIST, problems that fail to load, a leak)."""


@dataclass(frozen=True)
class Built:
    """What `build_package` wrote: the folder, its files, the zip, and the parts checked only for form."""

    dist: Path
    problems: tuple[str, ...]
    files: tuple[str, ...]
    zip_path: Path | None
    form_only: tuple[str, ...]

    def describe(self) -> str:
        """What a course needs to know after a build, for the terminal."""
        lines = [f"built the student package in {self.dist}/ ({len(self.files)} files; problems: "
                 f"{', '.join(self.problems)})"]
        if self.zip_path is not None:
            lines.append(f"and {self.zip_path} (for an LMS)")
        if self.form_only:
            lines.append("checked only for form before grading (named in its README): " + ", ".join(self.form_only))
        lines.append(f"try it: cd {self.dist} && make install && cp -r submissions/template submissions/mine "
                     f"&& make check")
        return "\n".join(lines)


# ------------------------------------------------------------------------------------ preconditions

def prepare_dist(dist: Path, force: bool) -> None:
    """Make DIST ready: refuse a non-empty one without --force, and any folder of the repository's own sources."""
    target = dist.resolve()
    root = ROOT.resolve()
    if target == root or target in root.parents:
        raise AssignError(f"{dist} is the course's repository (or holds it); give an empty folder for the package, "
                          f"e.g. dist/hw7")
    for name in SOURCE_FOLDERS:
        if target == root / name or (root / name) in target.parents:
            raise AssignError(f"{dist} is inside the repository's {name}/; give a folder outside it, e.g. dist/hw7")
    if target.exists() and not target.is_dir():
        raise AssignError(f"{dist} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()):
        if not force:
            held = sorted(p.name for p in target.iterdir())[:5]
            raise AssignError(f"{dist} is not empty (it holds {', '.join(held)}{', ...' if len(held) == 5 else ''}); "
                              f"give an empty folder, or pass --force to replace what it holds (a .git folder in it "
                              f"is kept)")
        for entry in target.iterdir():
            if entry.name == ".git":
                continue  # DIST may be a clone of the starter repository: rebuild it in place
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    target.mkdir(parents=True, exist_ok=True)


def loaded_problems(names: tuple[str, ...]) -> tuple[Problem, ...]:
    """Every problem of the working tree, loaded and validated; the selected ones. AssignError when any fails."""
    try:
        problems = discover()
    except Exception as exc:  # any failure to import a problem: stop the build and say which and why
        raise AssignError("the problems of this working tree do not load, so no package was built:\n"
                          + _short_traceback(exc)) from exc
    for p in problems:
        try:
            validate(p)
        except Exception as exc:  # a claim module that fails to import, or points that do not add up
            raise AssignError(f"problem {p.name} does not load, so no package was built:\n"
                              + _short_traceback(exc)) from exc
    chosen = select(problems, list(names) or None)
    for p in chosen:
        check_split(p)
    return chosen


def check_split(problem: Problem) -> None:
    """Refuse a problem whose checks.py holds a graded-only claim, or whose graded_checks.py holds a public one.

    The package ships checks.py and leaves graded_checks.py out whole: a hidden claim in the first would reach
    students (its name at least), a public one in the second would be missing from their checks.
    """
    public = {fn for fn, _ in _claims_in(importlib.import_module(f"{problem.package}.checks"))}
    for fn, c in claims_of(problem):
        if c.graded_only and fn in public:
            raise AssignError(f"problems/{problem.name}/checks.py: claim {fn} is {c.visibility}, and checks.py goes "
                              f"into the student package; move it to {GRADED_MODULE}.py, which stays with the staff.")
        if not c.graded_only and fn not in public:
            raise AssignError(f"problems/{problem.name}/{GRADED_MODULE}.py: claim {fn} is public, but "
                              f"{GRADED_MODULE}.py stays out of the student package; move it to checks.py.")


def _short_traceback(exc: BaseException) -> str:
    """The last frames and the error, enough to find the broken file."""
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    text = "".join(lines[-4:])
    return "\n".join("    " + line for line in text.rstrip().splitlines())


# ------------------------------------------------------------------------------------ what a problem ships

def _imports(tree: ast.AST, package: str) -> list[str]:
    """The absolute module names a module imports (function bodies too); `from X import y` gives X and X.y."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.append(module)
            out += [f"{module}.{a.name}" for a in node.names]
    return out


def _module_file(name: str) -> Path | None:
    """The file of a module of the repository's `problems` package, if `name` is one."""
    if not (name == "problems" or name.startswith("problems.")):
        return None
    path = ROOT.joinpath(*name.split("."))
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def shipped_modules(problem: Problem) -> list[Path]:
    """The problem's modules a student package needs: its declaration, checks.py, transcript.py, and what they import.

    AssignError when one of them imports reference/, seals.py or graded_checks.py: a public check
    that needs the reference must read sealed data (grader.seal) or move to graded_checks.py.
    """
    assert problem.root is not None
    roots = [problem.root / "__init__.py", problem.checks_path]
    if (problem.root / "transcript.py").is_file():
        roots.append(problem.root / "transcript.py")
    seen: dict[Path, None] = {}
    todo = list(roots)
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen[path] = None
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for imported in _imports(tree, package):
            top = imported.split(".")[0]
            where = path.relative_to(ROOT)
            if top == "reference":
                raise AssignError(f"{where} imports {imported}: the student package holds no reference. A public "
                                  f"check compares with sealed data (grader.seal, from the problem's seals.py); "
                                  f"a check that needs the reference itself belongs in {GRADED_MODULE}.py.")
            if imported.split(".")[-1] in STAFF_ONLY_MODULES and imported.startswith("problems."):
                raise AssignError(f"{where} imports {imported}, which is staff-only and left out of the package; "
                                  f"read sealed data with grader.seal.sealed(__package__) instead.")
            file = _module_file(imported)
            if file is not None and file not in seen:
                todo.append(file)
                # A module's packages are imported before it: ship their __init__.py too.
                for parent in file.relative_to(ROOT).parents:
                    init = ROOT / parent / "__init__.py"
                    if len(parent.parts) > 1 and init.is_file() and init not in seen:  # problems/ ships anyway
                        todo.append(init)
    return sorted(seen)


def _strings(paths: list[Path]) -> set[str]:
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and type(node.value) is str:
                found.add(node.value)
    return found


def data_files(problem: Problem, modules: list[Path]) -> list[Path]:
    """The problem's non-Python files that ship: its statement, and the files its shipped modules name (a grammar)."""
    assert problem.root is not None
    named = _strings(modules)
    out = []
    for path in sorted(problem.root.iterdir()):
        if not path.is_file() or path.suffix in (".py", ".pyc") or path.name == SEALED_FILE:
            continue
        if path.name == "statement.md" or path.name in named:
            out.append(path)
    return out


# Part(...) arguments for the staff only: the rubric, and the key points a TA's grading page looks for in answers.
STAFF_KEYWORDS = ("rubric", "key_points")


def strip_rubrics(source: str) -> str:
    """A problem declaration without its rubrics: every `rubric=...` and `key_points=...` argument cut out.

    The rest of the text stays as written. Offsets in the syntax tree are UTF-8 bytes, so the cutting is too.
    """
    data = source.encode("utf-8")
    line_starts = [0]
    for line in data.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))

    def offset(lineno: int, col: int) -> int:
        return line_starts[lineno - 1] + col

    cuts = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        items = sorted([*node.args, *node.keywords], key=lambda n: (n.lineno, n.col_offset))
        for i, item in enumerate(items):
            if isinstance(item, ast.keyword) and item.arg in STAFF_KEYWORDS:
                end = offset(item.end_lineno, item.end_col_offset)
                if i > 0:  # from the end of the argument before it: its comma goes too
                    start = offset(items[i - 1].end_lineno, items[i - 1].end_col_offset)
                else:
                    start = offset(item.lineno, item.col_offset)
                    rest = re.match(rb"\s*,?\s*", data[end:])
                    end += rest.end() if rest else 0
                cuts.append((start, end))
    for start, end in sorted(cuts, reverse=True):
        data = data[:start] + data[end:]
    stripped = data.decode("utf-8")
    left = [k for n in ast.walk(ast.parse(stripped)) if isinstance(n, ast.keyword) and (k := n.arg) in STAFF_KEYWORDS]
    if left:
        raise AssignError(f"{left[0]}= could not be cut out of a problem declaration")
    return stripped


def form_only_parts(problem: Problem) -> list[str]:
    """The non-manual parts worth points whose public checks pay nothing (they gate the form; graded checks pay)."""
    public: dict[str, float] = {}
    for _, c in claims_of(problem):
        if not c.graded_only:
            public[c.part] = public.get(c.part, 0.0) + c.points
    return [f"{problem.name}.{p.name}" for p in problem.parts
            if p.kind != "manual" and p.points > 0 and public.get(p.name, 0.0) == 0]


def template_for(problems: tuple[Problem, ...], source: str) -> str:
    """The answers template with only the sections (`# --- name ---`) of the packaged problems."""
    names = {p.name for p in problems}
    out, keep = [], True
    for line in source.splitlines(keepends=True):
        m = re.match(r"#\s*-+\s*(\w+)\s*-+\s*$", line)
        if m:
            keep = m.group(1) in names
        if keep:
            out.append(line)
    return "".join(out)


# ------------------------------------------------------------------------------------ the package's own files

def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _requirement_name(req: str) -> str:
    return re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].strip().lower().replace("-", "_")


def _top_imports(paths) -> set[str]:
    names = set()
    for path in paths:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
    return names


def dependencies(shipped: list[Path], problems: tuple[Problem, ...]) -> list[str]:
    """The project's dependencies that the package needs: those its files import (torch too where code may use it)."""
    deps = list(_project().get("dependencies", []))
    project_imports = _top_imports(p for folder in ("grader", "problems", "reference")
                                   for p in (ROOT / folder).rglob("*.py"))
    runtime = [p for p in shipped if p.suffix == ".py" and p.is_relative_to(ROOT / "grader")]
    package_imports = _top_imports(p for p in shipped if p.suffix == ".py" and p not in runtime)
    # The runtime imports torch only for problems that declare they need it (tensors cross the sandbox's wire);
    # those problems' own code, and the student's, import it in the sandbox.
    package_imports |= _top_imports(runtime) - {"torch"}
    if any(p.needs_torch for p in problems):
        package_imports.add("torch")
    # Only a dependency that the project imports and the package does not is dropped (sympy, for the reference).
    return [d for d in deps
            if not (_requirement_name(d) in project_imports and _requirement_name(d) not in package_imports)]


def readme(problems: tuple[Problem, ...], form_only: list[str], torch: str | None) -> str:
    """The student README, from the problem declarations (the same lines as `grader problems`)."""
    info = [{"name": p.name, "title": p.title, "points": f"{p.points:g}",
             "extra": f"{p.extra_points:g}" if p.extra_points else ""} for p in problems]
    manual = [f"{p.name}.{part.name}" for p in problems for part in p.parts if part.kind == "manual"]
    optional = [f"{p.name}.{part.name}" for p in problems for part in p.parts if part.optional]
    return _env.get_template("README.md.j2").render(problems=info, listing=listing(problems), manual=manual,
                                                    form_only=form_only, optional=optional, torch=torch)


def _write(dist: Path, rel: str, text: str | bytes, written: list[str]) -> None:
    path = dist / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    written.append(rel)


def _copy(dist: Path, src: Path, written: list[str]) -> None:
    _write(dist, src.relative_to(ROOT).as_posix(), src.read_bytes(), written)


# Staff tools of the runtime that a student's check never uses: the secrets scanner (it quotes answers in its
# examples), the Gradescope autograder (its zip carries the hidden checks), rosters and LMS exports, the
# class report (which would pull matplotlib into the package's dependencies), the TA's answer groups and the
# similarity report (scikit-learn), and this builder with its templates.
STAFF_RUNTIME = ("grader/secrets.py", "grader/staff/gradescope.py", "grader/staff/autograder.py",
                 "grader/staff/roster.py", "grader/staff/classreport.py", "grader/staff/views.py",
                 "grader/staff/groups.py", "grader/staff/similarity.py", "grader/staff/assign.py")
STAFF_RUNTIME_DIRS = ("grader/staff/package/",)


def runtime_files() -> list[Path]:
    """The grader runtime `grader check` needs: the grader package, its templates, no caches, no staff tools."""
    return sorted(p for p in (ROOT / "grader").rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
                  and (rel := p.relative_to(ROOT).as_posix()) not in STAFF_RUNTIME
                  and not rel.startswith(STAFF_RUNTIME_DIRS))


# ------------------------------------------------------------------------------------ the build

def build_package(dist: Path, names: tuple[str, ...] = (), *, force: bool = False, make_zip: bool = False,
                  verify: bool = True) -> Built:
    """Build the student package in `dist` (and dist.zip); see the module's docstring for what it holds."""
    problems = loaded_problems(names)  # before touching DIST: a broken tree leaves it as it was
    plans = []
    for problem in problems:
        modules = shipped_modules(problem)
        plans.append((problem, modules, data_files(problem, modules)))
    prepare_dist(dist, force)
    written: list[str] = []
    shipped: list[Path] = []
    for path in runtime_files():
        _copy(dist, path, written)
        shipped.append(path)
    _copy(dist, ROOT / "problems" / "__init__.py", written)
    form_only: list[str] = []
    for problem, modules, files in plans:
        for path in modules:
            if path.parent == problem.root and path.name == "__init__.py":
                declaration = strip_rubrics(path.read_text(encoding="utf-8"))
                _write(dist, path.relative_to(ROOT).as_posix(), declaration, written)
            else:
                _copy(dist, path, written)
            shipped.append(path)
        for path in files:
            _copy(dist, path, written)
            shipped.append(path)
        graded = {"graded_points": graded_only_points(problem)}
        if has_seals(problem.package):
            sealed = seal_file(problem.package, graded)
        else:
            sealed = {"format": 1, "problem": problem.name, "key": "", "entries": {}, **graded}
        rel = (problem.root / SEALED_FILE).relative_to(ROOT).as_posix()
        _write(dist, rel, json.dumps(sealed, indent=1, sort_keys=True) + "\n", written)
        form_only += form_only_parts(problem)
    template = ROOT / "submissions" / "template"
    for path in sorted(template.rglob("*")):
        if path.is_file():
            rel = path.relative_to(ROOT).as_posix()
            if path.name == "answers.py":
                _write(dist, rel, template_for(problems, path.read_text(encoding="utf-8")), written)
            else:
                _copy(dist, path, written)
    deps = dependencies(shipped, problems)
    torch = next((d for d in deps if _requirement_name(d) == "torch"), None)
    _write(dist, "README.md", readme(problems, form_only, torch), written)
    _write(dist, "Makefile", _env.get_template("Makefile.j2").render(torch=torch), written)
    _write(dist, "pyproject.toml", _env.get_template("pyproject.toml.j2").render(
        version=_project().get("version", "0"), python=PYTHON, dependencies=deps), written)
    _write(dist, ".gitignore", _env.get_template("gitignore.j2").render(), written)
    workflow = _env.get_template("hw7-check.yml.j2").render(python=PYTHON)
    _write(dist, ".github/workflows/hw7-check.yml", workflow, written)
    _write(dist, ".hw7-package.json", json.dumps(_manifest(dist, problems, written), indent=1) + "\n", written)
    if verify:
        verify_package(dist)
    zip_path = write_zip(dist) if make_zip else None
    return Built(dist, tuple(p.name for p in problems), tuple(sorted(written)), zip_path, tuple(form_only))


def _manifest(dist: Path, problems: tuple[Problem, ...], written: list[str]) -> dict:
    """What was built from what: the problems, the repository's commit, and each file's SHA-256."""
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {"built_by": "grader assign", "problems": [p.name for p in problems], "commit": commit,
            "files": {rel: hashlib.sha256((dist / rel).read_bytes()).hexdigest() for rel in sorted(written)}}


def verify_package(dist: Path) -> None:
    """Load the package's problems with its own grader, the course's repository out of reach; AssignError if not."""
    code = ("import sys; from grader.pipeline import load_problems; ps = load_problems(); "
            "bad = sorted(m for m in sys.modules if m == 'reference' or m.startswith('reference.') "
            "or m.endswith(('.seals', '.graded_checks'))); "
            "print(len(ps)); sys.exit(3 if bad else 0)")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = str(dist.resolve())
    proc = subprocess.run([sys.executable, "-B", "-c", code], cwd=str(dist), env=env, capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0:
        raise AssignError(f"the package in {dist} was written, but its own grader does not load its problems "
                          f"(exit {proc.returncode}):\n{(proc.stderr or proc.stdout)[-2000:]}")


def write_zip(dist: Path) -> Path:
    """DIST.zip beside DIST: its files under one folder named like DIST, in a fixed order and with fixed times."""
    target = dist.resolve()
    zip_path = target.with_name(target.name + ".zip")
    files = sorted(p for p in target.rglob("*") if p.is_file() and ".git" not in p.relative_to(target).parts[:1])
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            info = zipfile.ZipInfo(f"{target.name}/{path.relative_to(target).as_posix()}", ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o644 << 16)
            zf.writestr(info, path.read_bytes())
    return zip_path


"""Stage 1, load: a submission folder or .zip becomes a `Submission`.

Nothing here runs student code. The loader only reads files, with caps on
sizes and counts, and refuses zip members or symlinks that leave the folder.
"""
from __future__ import annotations

import json
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

from grader.errors import SubmissionError
from grader.model import Submission
from grader.transcripts.formats import find_transcript, read_transcript

MAX_SOURCE_BYTES = 2 * 1024 * 1024  # answers.py or transcript.md
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024  # notebooks carry outputs and images
MAX_TOTAL_BYTES = 100 * 1024 * 1024  # the whole folder or unzipped archive
MAX_FILES = 1000

# Cell magics whose body is still Python (the magic only times or captures it).
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun"}

SAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")


def student_id(path: Path) -> str:
    """The student's id: the folder (or zip) name, made safe for file names."""
    name = path.name[:-4] if path.suffix.lower() == ".zip" else path.name
    return SAFE_ID.sub("_", name).strip("._") or "submission"


def strip_magics(source: str) -> tuple[str, list[str]]:
    """Drop IPython magics and shell lines from a cell; return the code and what was dropped."""
    lines = source.splitlines()
    dropped: list[str] = []
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].strip()[2:].split()[0] if lines[0].strip()[2:] else ""
        dropped.append(lines[0].strip())
        if magic not in PYTHON_CELL_MAGICS:
            return "", [f"{lines[0].strip()} (whole cell)"]
        lines = lines[1:]
    kept = []
    for line in lines:
        s = line.lstrip()
        if s.startswith(("%", "!")):
            dropped.append(s)
            # Keep the indentation valid: a magic inside a block becomes `pass`.
            kept.append(line[: len(line) - len(s)] + "pass" if line != s else "")
        else:
            kept.append(line)
    return "\n".join(kept), dropped


def notebook_cells(path: Path) -> tuple[tuple, tuple]:
    """The code cells of a notebook as (label, source) pairs, and notes about dropped magics."""
    import nbformat  # only needed for notebooks

    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise SubmissionError(f"{path.name} is {path.stat().st_size // 1024} KiB; notebooks may be at most "
                              f"{MAX_NOTEBOOK_BYTES // 1024 // 1024} MiB (clear the outputs and resubmit)")
    try:
        nb = nbformat.read(str(path), as_version=4)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SubmissionError(f"{path.name} is not a valid notebook: its JSON cannot be read ({exc})") from exc
    except nbformat.reader.NotJSONError as exc:
        raise SubmissionError(f"{path.name} is not a valid notebook: it is not JSON") from exc
    except (nbformat.ValidationError, KeyError, AttributeError, TypeError) as exc:
        raise SubmissionError(f"{path.name} is not a valid notebook: {str(exc).splitlines()[0][:200]}") from exc
    cells, notes = [], []
    code_index = 0
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        code_index += 1
        source, dropped = strip_magics(cell.get("source", ""))
        if dropped:
            notes.append(f"cell {code_index}: ignored IPython magic {', '.join(d[:60] for d in dropped)}")
        cells.append((f"{path.name}, cell {code_index}", source))
    return tuple(cells), tuple(notes)


def _check_tree(root: Path) -> None:
    """Refuse symlinks that leave `root`, too many files, and too many bytes."""
    total, count = 0, 0
    real_root = root.resolve()
    for p in root.rglob("*"):
        count += 1
        if count > MAX_FILES:
            raise SubmissionError(f"the submission holds more than {MAX_FILES} files")
        if p.is_symlink():
            target = p.resolve()
            if real_root not in target.parents and target != real_root:
                raise SubmissionError(f"{p.relative_to(root)} is a link to a path outside the submission")
            continue
        if p.is_file():
            total += p.stat().st_size
            if total > MAX_TOTAL_BYTES:
                raise SubmissionError(f"the submission is larger than {MAX_TOTAL_BYTES // 1024 // 1024} MiB")


def extract_zip(archive: Path, dest: Path) -> Path:
    """Unpack `archive` into `dest` safely; return the folder holding the submission."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise SubmissionError(f"{archive.name} is not a valid zip archive") from exc
    with zf:
        members = zf.infolist()
        if len(members) > MAX_FILES:
            raise SubmissionError(f"{archive.name} holds {len(members)} files; at most {MAX_FILES} are allowed")
        if sum(m.file_size for m in members) > MAX_TOTAL_BYTES:
            raise SubmissionError(f"{archive.name} unpacks to more than {MAX_TOTAL_BYTES // 1024 // 1024} MiB")
        for m in members:
            name = PurePosixPath(m.filename)
            if name.is_absolute() or ".." in name.parts or m.filename.startswith(("/", "\\")) or ":" in name.parts[0]:
                raise SubmissionError(f"{archive.name}: member {m.filename!r} would be written outside the submission")
            if stat.S_ISLNK(m.external_attr >> 16):
                raise SubmissionError(f"{archive.name}: member {m.filename!r} is a symbolic link; links are not accepted")
        dest.mkdir(parents=True, exist_ok=True)
        for m in members:
            target = dest / m.filename
            if m.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(m) as src, open(target, "wb") as out:
                # Copy with a running cap: a header may lie about the size.
                written = 0
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > MAX_TOTAL_BYTES:
                        raise SubmissionError(f"{archive.name}: {m.filename} unpacks to more than allowed")
                    out.write(chunk)
    entries = [p for p in dest.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return dest


def _read_text(path: Path) -> str:
    if path.stat().st_size > MAX_SOURCE_BYTES:
        raise SubmissionError(f"{path.name} is {path.stat().st_size // 1024} KiB; at most {MAX_SOURCE_BYTES // 1024} KiB is allowed")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{path.name} is not UTF-8 text (byte {exc.start})") from exc


def load_folder(folder: Path, student: str) -> Submission:
    """Read one submission folder (already unzipped) into a `Submission`."""
    if not folder.is_dir():
        raise SubmissionError(f"{folder} is not a folder")
    _check_tree(folder)
    module = folder / "answers.py"
    notebooks = sorted(p for p in folder.glob("*.ipynb") if not p.is_symlink())
    transcript = find_transcript(folder)  # transcript.md, .json, .html or conversations.json
    notes: list[str] = []
    if module.is_file() and not module.is_symlink():
        if notebooks or transcript is not None:
            notes.append("found answers.py beside other answer files; graded answers.py only")
        return Submission(student, folder, "module", (("answers.py", _read_text(module)),), notes=tuple(notes))
    if notebooks:
        if len(notebooks) > 1:
            raise SubmissionError("found several notebooks (" + ", ".join(p.name for p in notebooks)
                                  + "); a submission holds exactly one")
        cells, nb_notes = notebook_cells(notebooks[0])
        return Submission(student, folder, "notebook", cells, notes=nb_notes)
    if transcript is not None:
        text, chat = read_transcript(transcript)  # a SubmissionError naming the formats read when it is none of them
        return Submission(student, folder, "transcript", text=text, chat=chat, notes=tuple(notes))
    found = sorted(p.name for p in folder.iterdir())[:10]
    raise SubmissionError("no answers found: expected answers.py, one *.ipynb notebook or a chat transcript "
                          "(transcript.md, transcript.json, conversations.json or transcript.html); "
                          f"the folder holds {found or 'nothing'}")


SINGLE_FILES = {".py": "answers.py", ".md": "transcript.md", ".txt": "transcript.txt", ".json": "transcript.json",
                ".html": "transcript.html", ".htm": "transcript.html"}


def load(path: Path, scratch: Path) -> Submission:
    """Load a submission folder, .zip, or single answer file; archives and files are staged under `scratch`."""
    student = student_id(path)
    if path.is_file() and path.suffix.lower() == ".zip":
        folder = extract_zip(path, scratch / student)
        return load_folder(folder, student)
    if path.is_file() and path.suffix.lower() in (*SINGLE_FILES, ".ipynb"):
        # A student pointing at one file: grade it alone, under the name the contract gives it.
        student = student_id(path.resolve().parent)
        folder = scratch / student
        folder.mkdir(parents=True, exist_ok=True)
        (folder / SINGLE_FILES.get(path.suffix.lower(), path.name)).write_bytes(path.read_bytes()[: MAX_NOTEBOOK_BYTES + 1])
        return load_folder(folder, student)
    if path.is_symlink():
        raise SubmissionError(f"{path.name} is a symbolic link; submit a folder or a .zip")
    return load_folder(path, student)

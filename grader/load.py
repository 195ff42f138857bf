"""Stage 1, load: a submission folder or .zip becomes a `Submission`.

Nothing here runs student code. The loader only reads files, with caps on
sizes and counts. Zip members that would land outside the folder, zip members
that are links, and links in a folder that point outside it are skipped (never
written, never followed): the rest is graded and the report names what was
skipped.
"""
from __future__ import annotations

import json
import os
import re
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from grader.errors import SubmissionError
from grader.model import Submission
from grader.types import short_repr
from grader.transcripts.formats import find_transcript, read_transcript

MAX_SOURCE_BYTES = 2 * 1024 * 1024  # answers.py or transcript.md
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024  # notebooks carry outputs and images
MAX_TOTAL_BYTES = 100 * 1024 * 1024  # the whole folder or unzipped archive
MAX_FILES = 1000

# Cell magics whose body is still Python (the magic only times or captures it).
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun"}

SAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")
MAX_LISTED = 10  # skipped names listed in a note; the rest are counted

Skipped = tuple[str, str]  # (a member's or file's name, why it was skipped)


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
    """The code cells of a notebook as (label, source) pairs, and notes about dropped magics.

    A label names the cell by its position among all the notebook's cells ("hw.ipynb, cell 3").
    """
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
    # Cells are numbered as Jupyter shows them: every cell, markdown and raw included, from 1.
    for number, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        source, dropped = strip_magics(cell.get("source", ""))
        if dropped:
            notes.append(f"cell {number}: ignored IPython magic {', '.join(d[:60] for d in dropped)}")
        cells.append((f"{path.name}, cell {number}", source))
    return tuple(cells), tuple(notes)


def _check_tree(root: Path) -> list[Skipped]:
    """Refuse too many files and too many bytes; return the links that leave `root` (skipped, never followed)."""
    total, count = 0, 0
    skipped: list[Skipped] = []
    real_root = root.resolve()
    for p in root.rglob("*"):  # does not descend into linked folders
        count += 1
        if count > MAX_FILES:
            raise SubmissionError(f"the submission holds more than {MAX_FILES} files")
        if p.is_symlink():
            target = p.resolve()
            if real_root not in target.parents and target != real_root:
                skipped.append((str(p.relative_to(root)), f"a link to {os.readlink(p)!r}, outside the submission"))
            continue
        if p.is_file():
            total += p.stat().st_size
            if total > MAX_TOTAL_BYTES:
                raise SubmissionError(f"the submission is larger than {MAX_TOTAL_BYTES // 1024 // 1024} MiB")
    return skipped


def _escapes(name: str) -> bool:
    """Whether a zip member's name would land outside the folder it is unpacked into."""
    path = PurePosixPath(name)
    return (path.is_absolute() or ".." in path.parts or name.startswith(("/", "\\"))
            or (bool(path.parts) and ":" in path.parts[0]))  # C:/... on Windows


def extract_zip(archive: Path, dest: Path) -> tuple[Path, list[Skipped]]:
    """Unpack `archive` into `dest` safely; (the folder holding the submission, the members skipped and why).

    A member whose name leaves `dest` (absolute, `..`) or that is a symbolic link is never written; the
    rest is. The count and size caps refuse the whole archive.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise SubmissionError(f"{archive.name} is not a valid zip archive") from exc
    skipped: list[Skipped] = []
    with zf:
        members = zf.infolist()
        if len(members) > MAX_FILES:
            raise SubmissionError(f"{archive.name} holds {len(members)} files; at most {MAX_FILES} are allowed")
        if sum(m.file_size for m in members) > MAX_TOTAL_BYTES:
            raise SubmissionError(f"{archive.name} unpacks to more than {MAX_TOTAL_BYTES // 1024 // 1024} MiB")
        dest.mkdir(parents=True, exist_ok=True)
        real_dest = dest.resolve()
        written = 0
        for m in members:
            if _escapes(m.filename):
                skipped.append((m.filename, "its path would land outside the submission folder"))
                continue
            if stat.S_ISLNK(m.external_attr >> 16):
                # The link's target is the member's content. Links are never unpacked: one pointing
                # inside could be followed by a later member's path out of the folder.
                target = zf.read(m)[:200].decode("utf-8", errors="replace") if m.file_size <= 4096 else "?"
                where = "outside the submission" if _escapes(target) else "links are not unpacked"
                skipped.append((m.filename, f"a symbolic link to {target!r} ({where})"))
                continue
            target = dest / m.filename
            if real_dest not in target.resolve().parents and target.resolve() != real_dest:
                skipped.append((m.filename, "its path would land outside the submission folder"))
                continue
            try:
                if m.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(m) as src, open(target, "wb") as out:
                    # Copy with a running cap over the whole archive: a header may lie about the size.
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > MAX_TOTAL_BYTES:
                            raise SubmissionError(f"{archive.name}: {m.filename} unpacks to more than allowed "
                                                  f"({MAX_TOTAL_BYTES // 1024 // 1024} MiB in all)")
                        out.write(chunk)
            except OSError as exc:  # a file and a folder of the same name, say: that member only
                skipped.append((m.filename, f"it could not be unpacked ({exc.strerror or exc})"))
            except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
                skipped.append((m.filename, f"it is damaged in the archive ({exc})"))
    entries = [p for p in dest.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0], skipped
    return dest, skipped


def _listed(names: list[str]) -> str:
    """Names for a note: quoted, capped, at most MAX_LISTED and then a count."""
    shown = ", ".join(short_repr(n, 80) for n in names[:MAX_LISTED])
    return shown + (f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else "")


def skipped_notes(archive: str | None, skipped: list[Skipped]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(notes for the student, notes for staff) naming what the loader skipped."""
    if not skipped:
        return (), ()
    names = [n for n, _ in skipped]
    if archive is not None:
        student = (f"{archive}: skipped {len(names)} member{'s' if len(names) != 1 else ''} that would be written "
                   f"outside the submission folder or {'are links' if len(names) != 1 else 'is a link'}: "
                   f"{_listed(names)}. Nothing of them was unpacked; the rest was graded.")
    else:
        student = (f"skipped {_listed(names)}: {'links' if len(names) != 1 else 'a link'} to a path outside the "
                   f"submission, not followed; the rest was graded.")
    where = f"zip member of {archive}" if archive is not None else "file"
    staff = tuple(f"load: skipped {where} {short_repr(n, 200)}: {why}" for n, why in skipped)
    return (student,), staff


def _read_text(path: Path) -> str:
    if path.stat().st_size > MAX_SOURCE_BYTES:
        raise SubmissionError(f"{path.name} is {path.stat().st_size // 1024} KiB; at most {MAX_SOURCE_BYTES // 1024} KiB is allowed")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{path.name} is not UTF-8 text (byte {exc.start})") from exc


def load_folder(folder: Path, student: str, unzipped: tuple[str, list[Skipped]] | None = None) -> Submission:
    """Read one submission folder into a `Submission`; `unzipped` is (archive name, members skipped) for a zip."""
    if not folder.is_dir():
        raise SubmissionError(f"{folder} is not a folder")
    links = _check_tree(folder)
    zip_notes, zip_staff = skipped_notes(unzipped[0], unzipped[1]) if unzipped else ((), ())
    link_notes, link_staff = skipped_notes(None, links)
    notes, staff = [*zip_notes, *link_notes], zip_staff + link_staff
    module = folder / "answers.py"
    notebooks = sorted(p for p in folder.glob("*.ipynb") if not p.is_symlink())
    transcript = find_transcript(folder)  # transcript.md, .json, .html or conversations.json
    if module.is_file() and not module.is_symlink():
        if notebooks or transcript is not None:
            notes.append("found answers.py beside other answer files; graded answers.py only")
        return Submission(student, folder, "module", (("answers.py", _read_text(module)),), notes=tuple(notes),
                          staff_notes=staff)
    if notebooks:
        if len(notebooks) > 1:
            raise SubmissionError("found several notebooks (" + ", ".join(p.name for p in notebooks)
                                  + "); a submission holds exactly one")
        cells, nb_notes = notebook_cells(notebooks[0])
        return Submission(student, folder, "notebook", cells, notes=tuple(notes) + nb_notes, staff_notes=staff)
    if transcript is not None:
        text, chat = read_transcript(transcript)  # a SubmissionError naming the formats read when it is none of them
        return Submission(student, folder, "transcript", text=text, chat=chat, notes=tuple(notes), staff_notes=staff)
    found = sorted(p.name for p in folder.iterdir())[:10]
    raise SubmissionError("no answers found: expected answers.py, one *.ipynb notebook or a chat transcript "
                          "(transcript.md, transcript.json, conversations.json or transcript.html); "
                          f"the folder holds {found or 'nothing'}" + "".join(f"; {n}" for n in notes))


SINGLE_FILES = {".py": "answers.py", ".md": "transcript.md", ".txt": "transcript.txt", ".json": "transcript.json",
                ".html": "transcript.html", ".htm": "transcript.html"}


def load(path: Path, scratch: Path) -> Submission:
    """Load a submission folder, .zip, or single answer file; archives and files are staged under `scratch`."""
    student = student_id(path)
    if path.is_file() and path.suffix.lower() == ".zip":
        folder, skipped = extract_zip(path, scratch / student)
        return load_folder(folder, student, (path.name, skipped))
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

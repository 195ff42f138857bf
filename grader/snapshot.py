"""A submission as bytes: read once in the grader's process, hashed, sent to a worker, unpacked there.

A batch grades what it hashed. The folder (or .zip) is read into memory in
one consistent pass (read again until two passes agree, so a file being
replaced mid-read is never graded half old, half new); the hash of those
bytes is what the gradebook records, and the same bytes travel to the Dask
worker as task data, so a worker needs no shared disk. Nothing here
interprets the files: the loader (grader/load.py) still applies every cap
and refusal on the worker's copy, so a snapshot only stops reading a little
past the loader's caps (the loader then gives its usual message).
"""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.errors import GraderError
from grader.load import MAX_FILES, MAX_TOTAL_BYTES

READS = 4  # passes over a changing folder before giving up on a consistent snapshot


@dataclass(frozen=True)
class Entry:
    """One file, folder or symbolic link of a submission folder, relative to it."""

    path: str  # POSIX relative path
    kind: str  # file | dir | link
    data: bytes = b""  # a file's bytes, or a link's target (as written, not resolved)


@dataclass(frozen=True)
class Snapshot:
    """The bytes of one submission: a folder's entries, or a .zip's bytes."""

    name: str  # the folder's or the archive's name (the student id comes from it, as for a path)
    kind: str  # folder | zip
    entries: tuple[Entry, ...] = ()
    archive: bytes = b""
    truncated: bool = False  # reading stopped past the loader's caps (the loader will refuse it)

    @property
    def digest(self) -> str:
        """The sha256 of the content (names, kinds and bytes), as hex; the same for the same files."""
        h = hashlib.sha256(f"hw7-snapshot-1|{self.kind}|".encode())
        if self.kind == "zip":
            h.update(self.archive)
        for e in self.entries:
            h.update(f"{len(e.path)}|{e.path}|{e.kind}|{len(e.data)}|".encode())
            h.update(e.data)
        return h.hexdigest()

    @property
    def size(self) -> int:
        """Bytes held."""
        return len(self.archive) + sum(len(e.data) for e in self.entries)

    def materialize(self, where: Path) -> Path:
        """Write the submission under `where` (a fresh folder) and return the path to grade."""
        target = where / self.name
        if self.kind == "zip":
            target.write_bytes(self.archive)
            return target
        target.mkdir()
        for e in self.entries:
            rel = PurePosixPath(e.path)
            if rel.is_absolute() or ".." in rel.parts:  # never written by `take`; refused rather than trusted
                raise GraderError(f"snapshot of {self.name}: entry {e.path!r} would leave the submission")
            dest = target.joinpath(*rel.parts)
            if e.kind == "dir":
                dest.mkdir(parents=True, exist_ok=True)
            elif e.kind == "link":
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(e.data.decode("utf-8", "surrogateescape"), dest)  # the loader judges where it points
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(e.data)
        return target


def _read_folder(folder: Path) -> tuple[tuple[Entry, ...], bool]:
    """One pass over `folder`: its entries in sorted order, and whether reading stopped at the caps."""
    entries, total = [], 0
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames.sort()
        base = Path(dirpath)
        names = sorted(dirnames + filenames)
        for name in names:
            p = base / name
            rel = p.relative_to(folder).as_posix()
            try:
                st = os.lstat(p)
            except FileNotFoundError:
                continue  # removed while we read: the next pass decides
            if len(entries) > MAX_FILES or total > MAX_TOTAL_BYTES:
                return tuple(sorted(entries, key=lambda e: e.path)), True
            if stat.S_ISLNK(st.st_mode):
                entries.append(Entry(rel, "link", os.readlink(p).encode("utf-8", "surrogateescape")))
            elif stat.S_ISDIR(st.st_mode):
                entries.append(Entry(rel, "dir"))
            elif stat.S_ISREG(st.st_mode):
                try:
                    with open(p, "rb") as fh:
                        data = fh.read(MAX_TOTAL_BYTES + 1 - total)
                except FileNotFoundError:
                    continue
                total += len(data)
                entries.append(Entry(rel, "file", data))
            # sockets, fifos and devices are not part of a submission: left out, as the loader ignores them
    return tuple(sorted(entries, key=lambda e: e.path)), False


def take(path: Path) -> Snapshot:
    """A consistent snapshot of the submission folder or .zip at `path`; GraderError when it keeps changing."""
    if path.is_file():
        for _ in range(READS):
            before = path.stat()
            data = path.read_bytes()[: MAX_TOTAL_BYTES * 2]
            after = path.stat()
            if (before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size) and len(data) == after.st_size:
                return Snapshot(path.name, "zip", archive=data)
        raise GraderError(f"{path} changed every time it was read; grade it again once it is complete")
    previous = None
    for _ in range(READS):
        entries, truncated = _read_folder(path)
        if entries == previous:
            return Snapshot(path.name, "folder", entries, truncated=truncated)
        previous = entries
    raise GraderError(f"{path} changed every time it was read ({READS} passes); grade it again once it is complete")

"""Sealed reference data: what a public check compares with, without the answer being there to read.

A public claim never reads `reference/` itself. It asks `sealed(__package__)` for the
problem's sealed data, which comes from one of two places:

- in the course's repository, from the problem's staff-only module `seals.py`, whose
  `seals()` returns `{name: Seal}`; each value is computed on first use (it may import
  `reference/`);
- in a student package, from `sealed.json`, which `grader assign` wrote from the same
  `seals()`: atomic answers as keyed hashes, values instead of formulas, and no entry
  that exists only in the course's repository (`Live`).

Both trees answer every question the same way, so a public check gives the same verdict
in both. The kinds of seal:

- `Digest(accepted)`: atomic answers (normalized by the check before comparing); only an
  HMAC-SHA256 of each, under a key stored beside them, reaches the package. The point is
  that no answer is written out in plain text, not that it cannot be guessed.
  `revealed()` gives the accepted value back in the course's repository only (for graded
  reports after the due date), never in a package.
- `Plain(value)`: data that is no answer, such as expected outputs for public inputs.
- `Arrays({name: array})`: numbers, such as a gradient's values at fixed public points.
- `Live(value)`: only in the course's repository (the reference trainer, to time it);
  `live()` is None in a package, and the check says less.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import importlib.util
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from grader.errors import ConfigError, did_you_mean

SEALS_MODULE = "seals"  # problems/<p>/seals.py: staff-only, never in a student package
SEALED_FILE = "sealed.json"  # problems/<p>/sealed.json: written by `grader assign` into the package
FORMAT = 1
COURSE_KEY = b"hw7: digests compared inside the course's repository"  # never leaves the process there


def _value(v):
    """A seal's value: computed now when it was given as a function (seals are computed on first use)."""
    return v() if callable(v) else v


@dataclass(frozen=True)
class Digest:
    """Atomic accepted answers (already normalized): kept in a package as keyed hashes only."""

    accepted: Any  # a tuple of accepted values, or a function giving it
    reveal: bool = True  # whether a graded report after the due date may name it (course repository only)


@dataclass(frozen=True)
class Plain:
    """Plain data that is no answer (expected outputs for public inputs), kept as it is."""

    value: Any


@dataclass(frozen=True)
class Arrays:
    """Numeric arrays by name (values at fixed public points, never a formula), kept bit for bit."""

    arrays: Any  # {name: np.ndarray}, or a function giving it


@dataclass(frozen=True)
class Live:
    """Something only the course's repository has (the reference trainer): absent from a package."""

    value: Any


SEAL_KINDS = (Digest, Plain, Arrays, Live)


def canonical(value) -> str:
    """The one text of a plain value that its digest is taken of: JSON, keys sorted, tuples as lists."""
    def plain(v):
        if type(v) in (str, int, bool) or v is None:
            return v
        if type(v) is float:
            if v != v or v in (float("inf"), float("-inf")):
                raise ConfigError(f"a sealed value must be finite, got {v!r}")
            return v
        if type(v) in (list, tuple):
            return [plain(x) for x in v]
        if type(v) is dict and all(type(k) is str for k in v):
            return {k: plain(x) for k, x in v.items()}
        raise ConfigError(f"a sealed value must be plain data (str, int, float, bool, None, list, dict), "
                          f"got {type(v).__name__}")
    return json.dumps(plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(key: bytes, value) -> str:
    """The keyed hash of a plain value, as hex."""
    return hmac.new(key, canonical(value).encode("utf-8"), hashlib.sha256).hexdigest()


def encode_array(a: np.ndarray) -> dict:
    """An array as JSON: dtype, shape and its bytes (little-endian, base64), so that it comes back bit for bit."""
    a = np.ascontiguousarray(a)
    if a.dtype.kind not in "biuf":
        raise ConfigError(f"a sealed array must be numeric, got dtype {a.dtype}")
    le = a.astype(a.dtype.newbyteorder("<"), copy=False)
    return {"dtype": le.dtype.str, "shape": list(a.shape), "data": base64.b64encode(le.tobytes()).decode("ascii")}


def decode_array(d: dict) -> np.ndarray:
    """An array written by `encode_array`, read-only."""
    dtype = np.dtype(d["dtype"])
    if dtype.kind not in "biuf":
        raise ConfigError(f"sealed data holds an array of dtype {dtype}; only numbers are read")
    a = np.frombuffer(base64.b64decode(d["data"]), dtype=dtype).reshape([int(x) for x in d["shape"]])
    a = a.astype(dtype.newbyteorder("="))
    a.setflags(write=False)
    return a


def _frozen(arrays: dict) -> dict:
    out = {}
    for name, a in arrays.items():
        a = np.array(a)
        a.setflags(write=False)
        out[str(name)] = a
    return out


class Sealed:
    """One problem's sealed data, as the public checks read it (the same answers in both trees)."""

    def __init__(self, problem: str, entries: dict, key: bytes, in_package: bool):
        self.problem = problem
        self._entries = entries  # name -> Seal (course repository) or JSON entry (package)
        self._key = key
        self.in_package = in_package
        self._cache: dict = {}

    def _entry(self, name: str, kind: type):
        if name not in self._entries:
            if self.in_package and kind is Live:
                return None
            raise ConfigError(f"{self.problem}: no sealed entry {name!r}; its entries are {sorted(self._entries)}."
                              + did_you_mean(name, self._entries))
        entry = self._entries[name]
        found = entry.get("kind") if self.in_package else type(entry).__name__.lower()
        if found != kind.__name__.lower():
            raise ConfigError(f"{self.problem}: sealed entry {name!r} is a {found}, not a {kind.__name__.lower()}")
        return entry

    def _digests(self, name: str) -> frozenset:
        if name not in self._cache:
            entry = self._entry(name, Digest)
            if self.in_package:
                self._cache[name] = frozenset(entry["digests"])
            else:
                self._cache[name] = frozenset(digest(self._key, v) for v in _value(entry.accepted))
        return self._cache[name]

    def matches(self, name: str, value) -> bool:
        """Whether `value` (normalized as the check normalizes answers) is an accepted value of `name`."""
        try:
            mine = digest(self._key, value)
        except ConfigError:
            return False  # not plain data: it cannot be an accepted answer
        return mine in self._digests(name)

    def revealed(self, name: str):
        """The accepted values of `name`, in the course's repository when the seal allows; None in a package."""
        entry = self._entry(name, Digest)
        if self.in_package or not entry.reveal:
            return None
        return tuple(_value(entry.accepted))

    def plain(self, name: str):
        """The plain data sealed as `name`."""
        entry = self._entry(name, Plain)
        if name not in self._cache:
            self._cache[name] = entry["value"] if self.in_package else json.loads(canonical(_value(entry.value)))
        return self._cache[name]

    def arrays(self, name: str) -> dict:
        """The arrays sealed as `name`, by their names (read-only)."""
        entry = self._entry(name, Arrays)
        if name not in self._cache:
            if self.in_package:
                self._cache[name] = {k: decode_array(v) for k, v in entry["arrays"].items()}
            else:
                self._cache[name] = _frozen(_value(entry.arrays))
        return self._cache[name]

    def live(self, name: str):
        """What only the course's repository has (None in a student package)."""
        entry = self._entry(name, Live)
        if entry is None:
            return None
        if name not in self._cache:
            self._cache[name] = _value(entry.value)
        return self._cache[name]


def _root_of(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ConfigError(f"no problem package {package!r}")
    return Path(spec.origin).parent


def has_seals(package: str) -> bool:
    """Whether the problem has sealed data (a seals.py module, or sealed.json in a package)."""
    root = _root_of(package)
    return (root / SEALED_FILE).is_file() or (root / f"{SEALS_MODULE}.py").is_file()


def seals_of(package: str) -> dict:
    """The problem's `seals()` from its staff-only seals.py, each checked to be a Seal."""
    module = importlib.import_module(f"{package}.{SEALS_MODULE}")
    fn = getattr(module, "seals", None)
    if not callable(fn):
        raise ConfigError(f"{package}.{SEALS_MODULE}: expected a function seals() -> {{name: Seal}}, got none")
    entries = fn()
    if type(entries) is not dict:
        raise ConfigError(f"{package}.{SEALS_MODULE}.seals(): expected a dict, got {type(entries).__name__}")
    for name, seal in entries.items():
        if type(name) is not str or not isinstance(seal, SEAL_KINDS):
            raise ConfigError(f"{package}.{SEALS_MODULE}.seals()[{name!r}]: expected Digest, Plain, Arrays or Live, "
                              f"got {type(seal).__name__}")
    return entries


@lru_cache(maxsize=None)
def sealed(package: str) -> Sealed:
    """The sealed data of the problem package `package` (e.g. "problems.seq2seq_translation")."""
    root = _root_of(package)
    name = package.rsplit(".", 1)[-1]
    path = root / SEALED_FILE
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ConfigError(f"{path}: sealed data of format {data.get('format')!r}; this grader reads {FORMAT}. "
                              "Rebuild the package with `grader assign`.")
        return Sealed(name, dict(data["entries"]), bytes.fromhex(data["key"]), in_package=True)
    if not (root / f"{SEALS_MODULE}.py").is_file():
        raise ConfigError(f"{package}: its public checks read sealed data, but there is neither {SEALS_MODULE}.py "
                          f"nor {SEALED_FILE} in {root}")
    return Sealed(name, seals_of(package), COURSE_KEY, in_package=False)


def package_manifest(package: str) -> dict | None:
    """The sealed.json of a problem in a student package (its "graded_points" too); None in the course's repository."""
    path = _root_of(package) / SEALED_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def in_student_package(root_package: str = "problems") -> bool:
    """Whether the problems were built by `grader assign` (sealed.json beside their checks): a student package."""
    spec = importlib.util.find_spec(root_package)
    if spec is None or not spec.submodule_search_locations:
        return False
    return any(any(Path(folder).glob(f"*/{SEALED_FILE}")) for folder in spec.submodule_search_locations)


def seal_file(package: str, extra: dict | None = None) -> dict:
    """The contents of a package's sealed.json: every seal but `Live` ones, digests keyed by the contents.

    The key is derived from the sealed values themselves, so that building twice gives the same file
    (a starter repository rebuilt from the same answers does not change); it is stored in the file.
    """
    entries = seals_of(package)
    material = hashlib.sha256()
    computed = {}
    for name in sorted(entries):
        seal = entries[name]
        if isinstance(seal, Live):
            continue
        if isinstance(seal, Digest):
            value = tuple(_value(seal.accepted))
            if not value:
                raise ConfigError(f"{package}.{SEALS_MODULE}: Digest {name!r} accepts nothing")
            material.update(f"{name}={canonical(list(value))}".encode())
        elif isinstance(seal, Plain):
            value = _value(seal.value)
            material.update(f"{name}={canonical(value)}".encode())
        else:
            value = {k: encode_array(np.asarray(a)) for k, a in _value(seal.arrays).items()}
            material.update(f"{name}={canonical(value)}".encode())
        computed[name] = (seal, value)
    key = hashlib.sha256(b"hw7-seal-key|" + package.encode() + b"|" + material.digest()).digest()
    out = {}
    for name, (seal, value) in computed.items():
        if isinstance(seal, Digest):
            out[name] = {"kind": "digest", "digests": sorted({digest(key, v) for v in value})}
        elif isinstance(seal, Plain):
            out[name] = {"kind": "plain", "value": json.loads(canonical(value))}
        else:
            out[name] = {"kind": "arrays", "arrays": value}
    return {"format": FORMAT, "problem": package.rsplit(".", 1)[-1], "key": key.hex(), "entries": out, **(extra or {})}

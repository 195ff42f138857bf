"""The course config (`course.toml`): limits, points, partial-credit rules and the secret's name.

Read with `tomllib` and checked whole before any student is graded: an
unknown key, a wrong type or a part that does not exist is a `ConfigError`
naming the key, what was expected and, where one is close, a suggestion.
Every key is optional; `CourseConfig()` is the default course, which gives
the points of docs/grading-policy.md.

    [limits]
    timeout_s = 60        # wall time to import a submission (and to fetch one value)
    cpu_s = 600           # CPU seconds over a worker's life
    memory_mib = 4096
    processes = 256       # processes and threads
    output_mib = 8        # what a submission may print; the rest is discarded, grading goes on

    [secret]
    env = "HW7_GRADER_SECRET"   # the environment variable holding the course secret

    [points]              # a part's points; its checks are scaled to fit
    "pca_autoencoder.grad_W1" = 3
    "pca_autoencoder.derivations" = 2   # a part declared with 0 points: shared equally by its checks

    [partial_credit]      # near misses (a factor, a sign, a transpose) earn this fraction; default 0
    "pca_autoencoder.grad_W1" = { near_miss = 0.5 }
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from grader.errors import ConfigError, did_you_mean
from grader.problem import Problem
from grader.sandbox import Limits

MiB = 1 << 20
DEFAULT_SECRET_ENV = "HW7_GRADER_SECRET"

# key -> (expected TOML type(s), what it means in words, Limits field, factor from the TOML unit to the field's)
LIMIT_KEYS = {
    "timeout_s": ((int, float), "a number of seconds", "import_s", 1),
    "cpu_s": ((int,), "a whole number of seconds", "cpu_s", 1),
    "memory_mib": ((int,), "a whole number of MiB", "memory_bytes", MiB),
    "processes": ((int,), "a whole number", "pids", 1),
    "output_mib": ((int, float), "a number of MiB", "output_bytes", MiB),
}
TABLES = ("limits", "secret", "points", "partial_credit")
PARTIAL_KEYS = ("near_miss",)


@dataclass(frozen=True)
class CourseConfig:
    """A course's grading knobs, validated; the defaults reproduce the documented points and limits."""

    limits: Limits = Limits()
    secret_env: str = DEFAULT_SECRET_ENV
    points: tuple[tuple[str, float], ...] = ()  # (("problem.part", points), ...)
    near_miss: tuple[tuple[str, float], ...] = ()  # (("problem.part", fraction of the claim's points), ...)
    source: str = "the default course config"

    def near_miss_credit(self, problem: str, part: str) -> float:
        """The fraction of a check's points that a near miss earns in this part (0 by default)."""
        return dict(self.near_miss).get(f"{problem}.{part}", 0.0)

    def with_timeout(self, seconds: float | None) -> "CourseConfig":
        """This config with the import wall time set from the command line's --timeout, when given."""
        if seconds is None:
            return self
        if not seconds > 0:
            raise ConfigError(f"--timeout: expected a positive number of seconds, got {seconds:g}")
        return replace(self, limits=replace(self.limits, import_s=float(seconds)))

    def apply(self, problems: tuple[Problem, ...]) -> tuple[Problem, ...]:
        """The problems with this course's points: each overridden part's checks are scaled to its new total."""
        points = dict(self.points)
        out = []
        for problem in problems:
            parts = []
            for part in problem.parts:
                key = f"{problem.name}.{part.name}"
                if key in points and points[key] != part.points:
                    if part.points == 0:
                        # A part declared with 0 points (checks that only report, such as derivation steps):
                        # the course's points are shared equally by its claims.
                        part = replace(part, points=points[key], shared_points=points[key])
                    elif part.shared_points:
                        part = replace(part, points=points[key], shared_points=points[key])
                    else:
                        part = replace(part, points=points[key],
                                       claim_scale=part.claim_scale * points[key] / part.points)
                parts.append(part)
            out.append(replace(problem, parts=tuple(parts)))
        return tuple(out)


def _type_words(types: tuple) -> str:
    return " or ".join({int: "an integer", float: "a number", str: "a string", dict: "a table", bool: "true or false"}[t]
                       for t in types)


def _got(value) -> str:
    return f"{type(value).__name__} {value!r}" if not isinstance(value, dict) else "a table"


def _expect(source: str, key: str, value, types: tuple, words: str = "") -> None:
    # bool is an int in Python, never in a config: `timeout_s = true` is a mistake.
    if type(value) not in types:
        raise ConfigError(f"{source}: {key}: expected {words or _type_words(types)}, got {_got(value)}")


def _part_key(source: str, table: str, key: str, known: list[str]) -> str:
    if key not in known:
        raise ConfigError(f"{source}: [{table}] {key!r}: expected a part written problem.part, one of those "
                          f"`grader problems` lists.{did_you_mean(key, known)}")
    return key


def parse_config(data: dict, problems: tuple[Problem, ...], source: str = "course config") -> CourseConfig:
    """A CourseConfig from TOML data, checked against the problems' parts; ConfigError naming any bad key."""
    for table in data:
        if table not in TABLES:
            raise ConfigError(f"{source}: unknown table [{table}]; expected one of {', '.join(TABLES)}."
                              + did_you_mean(table, TABLES))
        _expect(source, f"[{table}]", data[table], (dict,))
    limits = Limits()
    for key, value in data.get("limits", {}).items():
        if key not in LIMIT_KEYS:
            raise ConfigError(f"{source}: [limits] unknown key {key!r}; expected one of {', '.join(LIMIT_KEYS)}."
                              + did_you_mean(key, LIMIT_KEYS))
        types, words, field_name, factor = LIMIT_KEYS[key]
        _expect(source, f"[limits] {key}", value, types, words)
        if not value > 0:
            raise ConfigError(f"{source}: [limits] {key}: expected {words} above 0, got {value!r}")
        converted = value * factor
        limits = replace(limits, **{field_name: int(converted) if field_name != "import_s" else float(converted)})
    secret = data.get("secret", {})
    for key in secret:
        if key != "env":
            raise ConfigError(f"{source}: [secret] unknown key {key!r}; expected 'env'." + did_you_mean(key, ["env"]))
    secret_env = secret.get("env", DEFAULT_SECRET_ENV)
    _expect(source, "[secret] env", secret_env, (str,), "the name of an environment variable (a string)")
    if not secret_env.replace("_", "").isalnum() or secret_env[0].isdigit():
        raise ConfigError(f"{source}: [secret] env: expected a variable name such as {DEFAULT_SECRET_ENV!r}, "
                          f"got {secret_env!r}")
    parts = {f"{p.name}.{part.name}": part for p in problems for part in p.parts}
    known = list(parts)
    points = []
    for key, value in data.get("points", {}).items():
        _part_key(source, "points", key, known)
        _expect(source, f"[points] {key}", value, (int, float), "a number of points")
        if value < 0:
            raise ConfigError(f"{source}: [points] {key}: expected 0 or more points, got {value!r}")
        points.append((key, float(value)))
    near = []
    for key, rule in data.get("partial_credit", {}).items():
        _part_key(source, "partial_credit", key, known)
        _expect(source, f"[partial_credit] {key}", rule, (dict,), "a table such as { near_miss = 0.5 }")
        for rkey, value in rule.items():
            if rkey not in PARTIAL_KEYS:
                raise ConfigError(f"{source}: [partial_credit] {key}: unknown rule {rkey!r}; expected one of "
                                  f"{', '.join(PARTIAL_KEYS)}." + did_you_mean(rkey, PARTIAL_KEYS))
            _expect(source, f"[partial_credit] {key}.{rkey}", value, (int, float), "a fraction from 0 to 1")
            if not 0 <= value <= 1:
                raise ConfigError(f"{source}: [partial_credit] {key}.{rkey}: expected a fraction from 0 to 1, "
                                  f"got {value!r}")
            near.append((key, float(value)))
    return CourseConfig(limits, secret_env, tuple(points), tuple(near), source)


def load_config(path: Path | None, problems: tuple[Problem, ...]) -> CourseConfig:
    """The course config in `path` (the default course when None); ConfigError when it cannot be used."""
    if path is None:
        return CourseConfig()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"--config: expected a course.toml file, got {path}, which does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return parse_config(data, problems, str(path))

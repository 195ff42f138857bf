"""The course config: defaults, what each key changes, and points scaled to a course's totals."""
from pathlib import Path

import pytest

from grader.config import CourseConfig, load_config, parse_config
from grader.errors import ConfigError, NearMiss, Wrong
from grader.model import PARTIAL, WRONG
from grader.pipeline import load_problems
from grader.run_checks import _status_of, claim_points, claims_of
from grader.sandbox import Limits

PROBLEMS = load_problems()


def parse(data: dict) -> CourseConfig:
    return parse_config(data, PROBLEMS, "course.toml")


def test_the_default_config_is_the_documented_course():
    assert parse({}) == CourseConfig(source="course.toml")
    assert CourseConfig().limits == Limits()
    assert CourseConfig().secret_env == "HW7_GRADER_SECRET"
    assert [p.points for p in CourseConfig().apply(PROBLEMS)] == [p.points for p in PROBLEMS]


def test_limits_are_read_in_the_units_they_are_written_in():
    c = parse({"limits": {"timeout_s": 10, "cpu_s": 120, "memory_mib": 512, "processes": 64, "output_mib": 1.5}})
    assert c.limits == Limits(import_s=10.0, cpu_s=120, memory_bytes=512 << 20, pids=64, output_bytes=int(1.5 * (1 << 20)))


def test_timeout_on_the_command_line_overrides_the_config():
    c = parse({"limits": {"timeout_s": 10}})
    assert c.with_timeout(None).limits.import_s == 10.0
    assert c.with_timeout(3).limits.import_s == 3.0
    with pytest.raises(ConfigError, match="--timeout: expected a positive number of seconds, got 0"):
        c.with_timeout(0)


def test_points_of_a_part_scale_its_checks_and_the_total():
    c = parse({"points": {"pca_autoencoder.first_order_conditions": 8}})
    problems = c.apply(load_problems(("pca_autoencoder",)))
    part = problems[0].part("first_order_conditions")
    assert part.points == 8 and part.claim_scale == 2.0
    claims = [cl for _, cl in claims_of(problems[0]) if cl.part == "first_order_conditions"]
    assert sum(claim_points(problems[0], cl) for cl in claims) == 8
    assert problems[0].points == PROBLEMS[0].points + 4


def test_the_course_secret_variable_can_be_renamed():
    assert parse({"secret": {"env": "CS182_SECRET"}}).secret_env == "CS182_SECRET"


def test_near_misses_earn_nothing_unless_the_course_says_so():
    exc = NearMiss("off by a factor of 2")
    assert _status_of(exc)[:2] == (WRONG, 0.0)
    c = parse({"partial_credit": {"pca_autoencoder.grad_W1": {"near_miss": 0.5}}})
    assert c.near_miss_credit("pca_autoencoder", "grad_W1") == 0.5
    assert c.near_miss_credit("pca_autoencoder", "grad_W2") == 0.0
    assert _status_of(exc, c.near_miss_credit("pca_autoencoder", "grad_W1"))[:2] == (PARTIAL, 0.5)
    # A plain wrong answer never earns near-miss credit.
    assert _status_of(Wrong("no"), 0.5)[:2] == (WRONG, 0.0)


def test_a_config_file_is_read_with_tomllib(tmp_path: Path):
    path = tmp_path / "course.toml"
    path.write_text('[limits]\ntimeout_s = 12.5\n\n[partial_credit]\n"pca_autoencoder.grad_W2" = { near_miss = 0.25 }\n')
    c = load_config(path, PROBLEMS)
    assert c.limits.import_s == 12.5 and c.near_miss == (("pca_autoencoder.grad_W2", 0.25),)
    assert load_config(None, PROBLEMS) == CourseConfig()

"""A bad course config → the exact message staff read (key, expected type, suggestion)."""
from pathlib import Path

import pytest

from grader.config import load_config, parse_config
from grader.errors import ConfigError
from grader.pipeline import load_problems

PROBLEMS = load_problems()

TABLE = [
    ("unknown table", {"limit": {}},
     "course.toml: unknown table [limit]; expected one of limits, secret, points, partial_credit. Did you mean 'limits'?"),
    ("a table given as a value", {"limits": 5}, "course.toml: [limits]: expected a table, got int 5"),
    ("unknown limit", {"limits": {"timeout": 10}},
     "course.toml: [limits] unknown key 'timeout'; expected one of timeout_s, cpu_s, memory_mib, processes, "
     "output_mib. Did you mean 'timeout_s'?"),
    ("a string for a number", {"limits": {"timeout_s": "10"}},
     "course.toml: [limits] timeout_s: expected a number of seconds, got str '10'"),
    ("a bool for a number", {"limits": {"cpu_s": True}},
     "course.toml: [limits] cpu_s: expected a whole number of seconds, got bool True"),
    ("a float for a whole number", {"limits": {"memory_mib": 1.5}},
     "course.toml: [limits] memory_mib: expected a whole number of MiB, got float 1.5"),
    ("zero", {"limits": {"processes": 0}}, "course.toml: [limits] processes: expected a whole number above 0, got 0"),
    ("secret key typo", {"secret": {"name": "X"}}, "course.toml: [secret] unknown key 'name'; expected 'env'."),
    ("secret not a name", {"secret": {"env": "my secret"}},
     "course.toml: [secret] env: expected a variable name such as 'HW7_GRADER_SECRET', got 'my secret'"),
    ("unknown part", {"points": {"pca_autoencoder.grad_w1": 3}},
     "course.toml: [points] 'pca_autoencoder.grad_w1': expected a part written problem.part, one of those "
     "`grader problems` lists. Did you mean 'pca_autoencoder.grad_W1'?"),
    ("negative points", {"points": {"pca_autoencoder.grad_W1": -1}},
     "course.toml: [points] pca_autoencoder.grad_W1: expected 0 or more points, got -1"),
    ("points as text", {"points": {"pca_autoencoder.grad_W1": "3"}},
     "course.toml: [points] pca_autoencoder.grad_W1: expected a number of points, got str '3'"),
    ("a rule that is not a table", {"partial_credit": {"pca_autoencoder.grad_W1": 0.5}},
     "course.toml: [partial_credit] pca_autoencoder.grad_W1: expected a table such as { near_miss = 0.5 }, got float 0.5"),
    ("unknown rule", {"partial_credit": {"pca_autoencoder.grad_W1": {"near_misses": 0.5}}},
     "course.toml: [partial_credit] pca_autoencoder.grad_W1: unknown rule 'near_misses'; expected one of near_miss. "
     "Did you mean 'near_miss'?"),
    ("a fraction above 1", {"partial_credit": {"pca_autoencoder.grad_W1": {"near_miss": 2}}},
     "course.toml: [partial_credit] pca_autoencoder.grad_W1.near_miss: expected a fraction from 0 to 1, got 2"),
]


@pytest.mark.parametrize("data,message", [t[1:] for t in TABLE], ids=[t[0] for t in TABLE])
def test_bad_config_message(data, message):
    with pytest.raises(ConfigError) as info:
        parse_config(data, PROBLEMS, "course.toml")
    assert str(info.value) == message


def test_a_missing_or_broken_file(tmp_path: Path):
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.toml", PROBLEMS)
    assert str(info.value) == f"--config: expected a course.toml file, got {tmp_path / 'nope.toml'}, which does not exist"
    bad = tmp_path / "bad.toml"
    bad.write_text("[limits\n")
    with pytest.raises(ConfigError, match=r"bad.toml: not valid TOML \("):
        load_config(bad, PROBLEMS)

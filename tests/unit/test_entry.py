"""The console script and `grader.entry.main`: only the script may end the process."""
import tomllib
from pathlib import Path

from grader import entry

ROOT = Path(__file__).resolve().parents[2]


def test_the_console_script_is_run_not_main():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"grader": "grader.entry:run"}
    package = (ROOT / "grader/staff/package/pyproject.toml.j2").read_text()
    assert 'grader = "grader.entry:run"' in package


def test_main_returns_its_status_for_a_check_that_cannot_start(capsys):
    # A check of a folder that does not exist fails fast; main must hand the status back, not end pytest.
    code = entry.main(["check", "/nonexistent/submission", "--no-sandbox"])
    assert isinstance(code, int) and code != 0

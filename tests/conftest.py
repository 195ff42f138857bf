"""Shared test settings: what needs bubblewrap or a browser, and failing instead of skipping in CI."""
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "submissions" / "examples"
IN_CI = os.environ.get("CI") == "true"


def need(tool: str, why: str):
    """Skip when `tool` is missing on a developer's machine; fail in CI, where it must be installed."""
    if shutil.which(tool) is None:
        if IN_CI:
            pytest.fail(f"{tool} is required in CI ({why}) but is not installed")
        pytest.skip(f"{tool} not installed ({why})")


@pytest.fixture
def bwrap():
    """Require bubblewrap."""
    need("bwrap", "the sandbox")


@pytest.fixture
def root() -> Path:
    """The project root."""
    return ROOT


GRADESCOPE_SCHEMA = Path(__file__).with_name("gradescope_results.schema.json")


def check_gradescope_results(results: dict) -> None:
    """Fail unless `results` is a results.json that Gradescope's specification allows (tests/gradescope_results.schema.json)."""
    import json

    import jsonschema

    jsonschema.validate(results, json.loads(GRADESCOPE_SCHEMA.read_text()))

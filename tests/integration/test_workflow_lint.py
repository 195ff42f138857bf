"""The linter the workflow test relies on finds real mistakes (so that its silence means something)."""
from tests.tools.actionlint import lint


def test_actionlint_reports_an_undefined_context(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n")
    good = tmp_path / "good.yml"
    good.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n")
    assert lint(good).returncode == 0
    proc = lint(bad)
    assert proc.returncode == 1 and "nope" in proc.stdout

"""The pieces of `grader assign` that need no build: rubric cutting, the template, imports, DIST's checks."""
import ast

import pytest

from grader.staff import assign
from grader.staff.assign import AssignError, prepare_dist, strip_rubrics, template_for


DECLARATION = '''"""A problem."""
from grader.problem import KeyPoint, Part, Problem

PROBLEM = Problem(
    name="p",
    title="T",
    parts=(
        Part("a", points=1, answer="int"),
        Part("essay", points=4, answer="free response", kind="manual",
             rubric=("Full credit: names the eigenvectors of XXᵀ. "
                     "Half credit: only the idea.")),
        Part("b", rubric="inline", points=2, answer="str", key_points=(KeyPoint("the idea", r"idea"),)),
        Part(rubric="first", name="c", points=1, answer="str"),
    ),
)
'''


def test_rubrics_are_cut_and_the_rest_stays_as_written():
    out = strip_rubrics(DECLARATION)
    assert "rubric" not in out and "eigenvectors" not in out and "inline" not in out and "first" not in out
    assert "key_points" not in out and "the idea" not in out
    assert 'Part("essay", points=4, answer="free response", kind="manual"),' in out
    assert 'Part("b", points=2, answer="str"),' in out
    assert 'Part(name="c", points=1, answer="str"),' in out
    assert out.startswith('"""A problem."""\nfrom grader.problem import KeyPoint, Part, Problem\n')
    namespace = {}
    exec(compile(out, "decl", "exec"), namespace)  # our own declaration, cut: it still builds
    assert [p.rubric for p in namespace["PROBLEM"].parts] == ["", "", "", ""]


class FakeProblem:
    def __init__(self, name):
        self.name = name


def test_the_template_keeps_the_header_and_the_packaged_problems_only():
    source = ('"""HW7 answers."""\n\n# --- one -----\nx = 1\n\n# --- two -----\ny = 2\n# --- three ---\nz = 3\n')
    out = template_for((FakeProblem("one"), FakeProblem("three")), source)
    assert out == '"""HW7 answers."""\n\n# --- one -----\nx = 1\n\n# --- three ---\nz = 3\n'


def test_imports_resolve_relative_and_from_imports():
    tree = ast.parse("from . import matexpr\nfrom .equivalence import values\nimport numpy as np\n"
                     "def f():\n    from reference.resnet import data\n")
    found = assign._imports(tree, "problems.pca")
    assert {"problems.pca.matexpr", "problems.pca.equivalence", "problems.pca.equivalence.values", "numpy",
            "reference.resnet", "reference.resnet.data"} <= set(found)


def test_dist_must_be_empty_unless_forced_and_force_keeps_git(tmp_path):
    dist = tmp_path / "dist"
    (dist / ".git").mkdir(parents=True)
    (dist / ".git" / "HEAD").write_text("ref")
    (dist / "old.txt").write_text("old")
    (dist / "old").mkdir()
    with pytest.raises(AssignError, match=r"is not empty \(it holds \.git, old, old\.txt\).*--force"):
        prepare_dist(dist, force=False)
    assert (dist / "old.txt").exists()
    prepare_dist(dist, force=True)
    assert sorted(p.name for p in dist.iterdir()) == [".git"] and (dist / ".git" / "HEAD").read_text() == "ref"
    prepare_dist(tmp_path / "new" / "dist", force=False)
    assert (tmp_path / "new" / "dist").is_dir()


def test_dist_may_not_be_the_repository_or_one_of_its_source_folders():
    for where in (assign.ROOT, assign.ROOT.parent, assign.ROOT / "problems", assign.ROOT / "reference" / "x"):
        with pytest.raises(AssignError, match="repository"):
            prepare_dist(where, force=True)


def test_dist_may_not_be_a_file(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(AssignError, match="not a folder"):
        prepare_dist(tmp_path / "f", force=True)

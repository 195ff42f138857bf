"""A manual part's public claims judge its form only: what an answer says never changes what `grader check` tells.

A note that depended on the content ("the answer does not mention X") would list the rubric's
points to every student before the due date. So for each manual part of every problem, the
correct example's answer and a filler text of the same number of words must get the same
outcome, word for word, from every public claim of the part.
"""
import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

from grader.errors import StudentFault
from grader.pipeline import load_problems
from grader.run_checks import claims_of
from grader.types import count_words
from tests.fakes import FakeAnswers

EXAMPLES = Path(__file__).resolve().parents[2] / "submissions" / "examples"
FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split()


def example_answers(problem: str) -> dict[str, str]:
    """The string-valued names of a problem's first correct example answers.py, read without running it."""
    folder = sorted(p for p in (EXAMPLES / problem).iterdir() if p.name.startswith("correct"))[0]
    tree = ast.parse((folder / "answers.py").read_text(encoding="utf-8"))
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            out.update({t.id: node.value.value for t in node.targets if isinstance(t, ast.Name)})
    return out


def filler(words: int) -> str:
    """`words` words that say nothing about any homework."""
    return " ".join(FILLER[i % len(FILLER)] for i in range(words)) + "."


def outcome(fn, answers: FakeAnswers) -> str:
    """What the claim tells for these answers: 'passed', or its fault's kind and message."""
    params = inspect.signature(fn).parameters
    kwargs = {name: value for name, value in (("reveal", False), ("rng", np.random.default_rng(0))) if name in params}
    try:
        fn(answers, **kwargs)
    except StudentFault as fault:
        return f"{fault.kind}: {fault.message}"
    return "passed"


CASES = [(problem.name, part.name, name, c)
         for problem in load_problems() for part in problem.parts if part.kind == "manual"
         for name, c in claims_of(problem, graded=False) if c.part == part.name and c.visibility == "public"]


def test_every_manual_part_has_a_public_claim_here():
    """The property below is checked for every manual part (five in HW7), not for none."""
    manual = {(p.name, part.name) for p in load_problems() for part in p.parts if part.kind == "manual"}
    assert manual and {(problem, part) for problem, part, _, _ in CASES} == manual


@pytest.mark.parametrize("problem,part,name,c", CASES, ids=[f"{p}.{n}" for p, _, n, _ in CASES])
def test_content_does_not_change_the_public_message(problem, part, name, c):
    correct = example_answers(problem)[part]
    words = count_words(correct)
    fn = getattr(__import__(f"problems.{problem}.checks", fromlist=[name]), name)
    for text in (correct, " ".join(correct.split()[:3])):  # a full answer, and a short one that draws a note
        n = count_words(text)
        assert outcome(fn, FakeAnswers({part: text})) == outcome(fn, FakeAnswers({part: filler(n)})), (
            f"{problem}.{name} tells a {n}-word answer something that depends on what it says")
    assert words > 3  # the full answer is not itself a short one

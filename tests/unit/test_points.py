"""Points only for right answers: form-only claims pay 0, atomic parts are all or nothing, near misses per course.

These run the real problems' claims through the claims plugin (run_claims) on in-process fake answers, with the
default course and with a course config that credits near misses.
"""
from __future__ import annotations

import numpy as np
import pytest

from grader.config import CourseConfig, parse_config
from grader.problem import discover
from grader.run_checks import Seeds, claims_of, run_claims
from grader.score import score
from tests.fakes import FakeAnswers

PROBLEMS = {p.name: p for p in discover()}
NEAR_MISS_HALF = {"partial_credit": {"pca_autoencoder.grad_W1": {"near_miss": 0.5},
                                     "pca_autoencoder.grad_W2": {"near_miss": 0.5}}}

RIGHT_GRADIENTS = {"grad_W1": "2*W2.T*(W2*W1 - I)*X*X.T", "grad_W2": "2*(W2*W1 - I)*X*X.T*W1.T"}


def part_scores(problem: str, values: dict, course: CourseConfig | None = None) -> dict:
    """{part: (score, status)} of grading `values` (hidden and after-due claims included)."""
    problems = (PROBLEMS[problem],) if course is None else course.apply((PROBLEMS[problem],))
    results, notes = run_claims(FakeAnswers(values), problems, hidden=True, seeds=Seeds("s", "alice"), course=course,
                                reveal=True)
    assert not notes, notes
    return {p.part: (p.score, p.status) for p in score(problems, results)}


def test_every_claim_that_checks_only_the_form_is_worth_nothing():
    """Claims described as a type, shape or syntax check pay 0; each part's total is still its documented one."""
    gates = {(p.name, c.part, fn) for p in PROBLEMS.values() for fn, c in claims_of(p) if c.points == 0}
    assert {("pca_autoencoder", "grad_W1", "grad_w1_is_shaped_like_w1"),
            ("pca_autoencoder", "grad_W2", "grad_w2_is_shaped_like_w2"),
            ("pca_autoencoder", "pca_weights", "pca_weights_returns_matrices_of_the_right_shapes"),
            ("regularized_autoencoder", "num_linear_layers", "layer_count_is_an_int"),
            ("regularized_autoencoder", "loss_function", "loss_is_one_of_the_three"),
            ("regularized_autoencoder", "needed_to_optimize_exactly", "choices_are_a_list_of_strings"),
            ("regularized_autoencoder", "orthonormal_bias", "verdict_is_a_yes_or_a_no"),
            ("resnet_blog", "baseline", "baseline_is_a_readable_time_and_accuracy"),
            ("resnet_blog", "final", "final_is_a_readable_time_and_accuracy")} <= gates
    totals = {(p.name, part.name): part.points for p in PROBLEMS.values() for part in p.parts}
    assert totals[("pca_autoencoder", "grad_W1")] == 3 and totals[("pca_autoencoder", "pca_weights")] == 4
    assert totals[("regularized_autoencoder", "num_linear_layers")] == 1
    assert totals[("regularized_autoencoder", "build_model")] == 3 and totals[("resnet_blog", "baseline")] == 3


@pytest.mark.parametrize("grad_W1, default, half", [
    ("2*W2.T*(W2*W1 - I)*X*X.T", 3, 3),
    ("-W2.T*(W2*W1 - I)*X*X.T", 0, 1.5),  # off by a factor and a sign
    ("2*X*X.T*(W1.T*W2.T - I)*W2", 0, 1.5),  # a transpose
    ("W2.T", 0, 0),  # the shape of W1, nothing more: not a near miss
    ("2*W2.T*(W2*W1 - I)*X.T*X", 0, 0),  # XᵀX: a format error
])
def test_near_misses_earn_nothing_by_default_and_what_the_course_says_otherwise(grad_W1, default, half):
    values = dict(RIGHT_GRADIENTS, grad_W1=grad_W1)
    assert part_scores("pca_autoencoder", values)["grad_W1"][0] == default
    course = parse_config(NEAR_MISS_HALF, tuple(PROBLEMS.values()))
    got, status = part_scores("pca_autoencoder", values, course)["grad_W1"]
    assert got == half
    assert status == ("passed" if half == 3 else "partial" if half else status)


def test_a_near_miss_keeps_its_diagnosis_in_both_settings():
    values = dict(RIGHT_GRADIENTS, grad_W1="W2.T*(W2*W1 - I)*X*X.T")
    for course in (None, parse_config(NEAR_MISS_HALF, tuple(PROBLEMS.values()))):
        problems = (PROBLEMS["pca_autoencoder"],)
        results, _ = run_claims(FakeAnswers(values), problems, hidden=True, seeds=Seeds.public(), course=course)
        paying = next(r for r in results if r.claim == "grad_w1_equals_the_true_gradient")
        assert paying.message.startswith("off by a factor of 1/2: yours equals 1/2 × ∂L/∂W1")


def test_near_miss_credit_is_per_part():
    """Credit for grad_W1's near misses says nothing about grad_W2's."""
    course = parse_config({"partial_credit": {"pca_autoencoder.grad_W1": {"near_miss": 0.5}}}, tuple(PROBLEMS.values()))
    values = {"grad_W1": "W2.T*(W2*W1 - I)*X*X.T", "grad_W2": "(W2*W1 - I)*X*X.T*W1.T"}
    scores = part_scores("pca_autoencoder", values, course)
    assert scores["grad_W1"][0] == 1.5 and scores["grad_W2"][0] == 0


def test_look_alike_short_answers_earn_nothing_and_right_ones_earn_their_points():
    """One grading run per line of values (each run grades every part of the problem)."""
    lookalikes = {"num_linear_layers": "2", "loss_function": ["nn.MSELoss"],
                  "needed_to_optimize_exactly": "Weight Decay, SGD optimizer", "orthonormal_bias": True}
    more = {"num_linear_layers": 2.0, "loss_function": "Huber",
            "needed_to_optimize_exactly": ("Weight Decay", "SGD optimizer"), "orthonormal_bias": "maybe"}
    right = {"num_linear_layers": 2, "loss_function": "nn.MSELoss",
             "needed_to_optimize_exactly": ["Weight Decay", "SGD optimizer"], "orthonormal_bias": "yes"}
    for values, want in ((lookalikes, (0, "format")), (more, (0, "format"))):
        scores = part_scores("regularized_autoencoder", values)
        assert {part: scores[part] for part in values} == {part: want for part in values}
    scores = part_scores("regularized_autoencoder", right)
    assert {part: scores[part] for part in right} == {"num_linear_layers": (1, "passed"), "loss_function": (1, "passed"),
                                                      "needed_to_optimize_exactly": (5, "passed"),
                                                      "orthonormal_bias": (1, "passed")}


def test_wrong_short_answers_earn_nothing_but_select_all_options_count_one_by_one():
    scores = part_scores("regularized_autoencoder", {"loss_function": "nn.L1Loss", "orthonormal_bias": "no",
                                                     "num_linear_layers": 3,
                                                     "needed_to_optimize_exactly": ["Weight Decay"]})
    assert scores["loss_function"][0] == scores["orthonormal_bias"][0] == scores["num_linear_layers"][0] == 0
    assert scores["needed_to_optimize_exactly"] == (4, "partial")  # each option on its own


def test_a_resnet_fact_earns_only_for_its_right_halves():
    scores = part_scores("resnet_blog", {"baseline": {"time_s": 34, "accuracy": 0.9},  # both wrong: nothing
                                         "final": {"time_s": 34, "accuracy": 0.94}})  # time wrong: accuracy's point
    assert scores["baseline"][0] == 0 and scores["final"][0] == 1
    scores = part_scores("resnet_blog", {"baseline": {"time_s": "soon", "accuracy": "high"},
                                         "final": {"time_s": 26, "accuracy": 0.94}})
    assert scores["baseline"] == (0, "format") and scores["final"] == (3, "passed")


def test_a_swapped_model_earns_nothing():
    from torch import nn

    def build_model(m, k):
        """Linear(k, m) then Linear(m, k): the layer sizes are there, in the wrong order."""
        return nn.Sequential(nn.Linear(k, m, bias=False), nn.Linear(m, k, bias=False))

    assert part_scores("regularized_autoencoder", {"build_model": build_model})["build_model"] == (0, "wrong")


@pytest.mark.parametrize("pca_weights", [
    lambda X, k: (np.zeros((k, X.shape[0])), np.zeros((X.shape[0], k))),  # a critical point of any data
    lambda X, k: (np.eye(X.shape[0])[:k], np.eye(X.shape[0])[:, :k]),  # tied and orthonormal, not eigenvectors
])
def test_pca_weights_that_only_look_like_a_solution_earn_nothing(pca_weights):
    assert part_scores("pca_autoencoder", {"pca_weights": pca_weights})["pca_weights"][0] == 0

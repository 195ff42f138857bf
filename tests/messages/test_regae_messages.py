"""What a student reads for each kind of regularized_autoencoder answer: answer -> exact message."""
from __future__ import annotations

import numpy as np
import pytest
from torch import nn

from grader.errors import FormatError, Partial, StudentFault, Wrong
from problems.regularized_autoencoder import checks
from problems.regularized_autoencoder.data import TrainCase
from reference import regularized_autoencoder as ref
from tests.unit.regae_fakes import FakeAnswers

OPTIONS = "'weight decay', 'dropout', 'layer norm', 'batch norm', 'sgd optimizer'"

SHORT = [
    # (claim, answer name, answer, fault type, exact message); None: the claim passes.
    (checks.layer_count_matches_the_model_of_6, "num_linear_layers", 2, None, None),
    (checks.layer_count_matches_the_model_of_6, "num_linear_layers", "Two", None, None),
    (checks.layer_count_matches_the_model_of_6, "num_linear_layers", 3, Wrong,
     "the number of linear layers is not right\ngot: 3"),
    (checks.layer_count_matches_the_model_of_6, "num_linear_layers", "a few", FormatError,
     "num_linear_layers: expected a whole number such as 1 or 2, got a string ('a few')"),
    (checks.loss_matches_the_reconstruction_term, "loss_function", "torch.nn.MSELoss()", None, None),
    (checks.loss_matches_the_reconstruction_term, "loss_function", "nn.L1Loss", Wrong,
     "that loss does not give the reconstruction term of (6)\ngot: nn.L1Loss"),
    (checks.loss_matches_the_reconstruction_term, "loss_function", "Huber", Wrong,
     "loss_function should name one of nn.L1Loss, nn.MSELoss, nn.CrossEntropyLoss\ngot: 'Huber'"),
    (checks.each_option_is_chosen_exactly_when_needed, "needed_to_optimize_exactly", "Weight Decay and SGD optimizer",
     None, None),
    (checks.each_option_is_chosen_exactly_when_needed, "needed_to_optimize_exactly", ["Weight Decay", "Dropout"],
     Partial, "3 of 5 options right; wrong on: 'dropout' (chosen, but not needed); "
              "'sgd optimizer' (needed, but not chosen)."),
    (checks.each_option_is_chosen_exactly_when_needed, "needed_to_optimize_exactly", ["weight_decay", "Adam"],
     Partial, "4 of 5 options right; wrong on: 'sgd optimizer' (needed, but not chosen).\n"
              "Not one of the five options (ignored): 'Adam'."),
    (checks.each_option_is_chosen_exactly_when_needed, "needed_to_optimize_exactly",
     ["Dropout", "Layer Norm", "Batch Norm"], Wrong,
     "0 of 5 options right; wrong on: 'weight decay' (needed, but not chosen); 'dropout' (chosen, but not needed); "
     "'layer norm' (chosen, but not needed); 'batch norm' (chosen, but not needed); "
     "'sgd optimizer' (needed, but not chosen)."),
    (checks.each_option_is_chosen_exactly_when_needed, "needed_to_optimize_exactly", 5, FormatError,
     f"needed_to_optimize_exactly: expected a list of strings out of {OPTIONS}; got an int (5)"),
    (checks.verdict_on_the_inductive_bias_is_right, "orthonormal_bias", "Yes, it does.", None, None),
    (checks.verdict_on_the_inductive_bias_is_right, "orthonormal_bias", "no", Wrong,
     "the answer is not right\ngot: no"),
    (checks.verdict_on_the_inductive_bias_is_right, "orthonormal_bias", "maybe", FormatError,
     "orthonormal_bias: expected 'yes' or 'no', got a string ('maybe')"),
    (checks.argument_is_given, "orthonormal_argument", "  ", FormatError,
     "orthonormal_argument: the text is empty (it has no words)"),
    (checks.argument_is_given, "orthonormal_argument", "...", FormatError,
     "orthonormal_argument: the text is empty (it has no words)"),
    (checks.argument_is_given, "orthonormal_argument", "Yes.", None, None),
    (checks.argument_is_given, "orthonormal_argument", 3, FormatError,
     "orthonormal_argument: expected a string, got an int (3)"),
]


def outcome(claim, answers, **kwargs):
    """(fault type, message) of running a claim; (None, None) when it passes."""
    try:
        claim(answers, **kwargs)
    except StudentFault as fault:
        return type(fault), fault.message
    return None, None


@pytest.mark.parametrize("claim, name, answer, kind, message", SHORT,
                         ids=[f"{row[1]}={row[2]!r}" for row in SHORT])
def test_short_answer_messages(claim, name, answer, kind, message):
    assert outcome(claim, FakeAnswers({name: answer})) == (kind, message)


def test_partial_credit_counts_options():
    with pytest.raises(Partial) as err:
        checks.each_option_is_chosen_exactly_when_needed(FakeAnswers({"needed_to_optimize_exactly": ["SGD"]}))
    assert err.value.fraction == pytest.approx(4 / 5)


def test_build_model_message():
    answers = FakeAnswers({"build_model": lambda m, k: nn.Sequential(nn.Linear(m, k), nn.ReLU(),
                                                                       nn.Linear(k, m, bias=False))})
    assert outcome(checks.build_model_is_two_bias_free_linear_layers, answers) == (Wrong, (
        "build_model(7, 3) should be exactly two nn.Linear layers without bias, 7->3 then 3->7; what differs: "
        "0: Linear(7->3, bias) has a bias; (6) has none: use bias=False; "
        "1: ReLU is an extra module that (6) does not have.\n"
        "got: [0: Linear(7->3, bias), 1: ReLU, 2: Linear(3->7)]"))


# X X^T / n = diag(4, 2, 1, 0.5, 0.25, 0.1) exactly: the numbers in the messages are round.
N = 12
X = (np.sqrt([4.0, 2.0, 1.0, 0.5, 0.25, 0.1])[:, None] * np.sqrt(N) * np.eye(6, N)).astype(np.float32)
CASE = TrainCase(X, 2, 0.4)
HEADER = "train(X, k=2, lam=0.4) with X of shape (6, 12):\n"
EXPECTED_SV = ("Singular values of W2: expected [0.949, 0.894] = sqrt(1 - lam/s_i) with s_i = [4.000, 2.000] "
               "the top-2 eigenvalues of X X^T / n; ")

TRAIN = [
    (6.0, HEADER + EXPECTED_SV + "got [0.632, 0.000] (off by up to 0.894 > 0.02).\n"
     "These singular values are closest to those of the minimizer of (6) for lam_eff = 2.4, 6 times the lam = 0.4 "
     "you were given. That is the classic mistake (lam x 6): nn.MSELoss() averages over the m = 6 coordinates as "
     "well as over the samples, so with weight_decay=2*lam training minimizes (6) divided by m, i.e. with lam*m in "
     "place of lam. Use weight_decay=2*lam/m with nn.MSELoss(), or sum the squared error over the coordinates "
     "(average over the samples) with weight_decay=2*lam.\n"
     "Objective (6) at your (W1, W2): 5.61; the optimum is 3.33 (relative gap 6.85e-01, tolerance 0.001)."),
    (0.5, HEADER + EXPECTED_SV + "got [0.975, 0.949] (off by up to 0.054 > 0.02).\n"
     "These singular values are closest to those of the minimizer of (6) for lam_eff = 0.2, 1/2 times the lam = 0.4 "
     "you were given. That is the classic mistake (lam x 1/2): weight_decay=w adds w*W to the gradient, which is the "
     "gradient of (w/2)*||W||_F^2, so weight_decay=lam penalizes only (lam/2)*||W||_F^2. With the squared error "
     "summed over the coordinates and averaged over the samples, use weight_decay=2*lam.\n"
     "Objective (6) at your (W1, W2): 3.36; the optimum is 3.33 (relative gap 9.01e-03, tolerance 0.001)."),
]


@pytest.mark.parametrize("factor, message", TRAIN, ids=["lam_times_m", "lam_over_2"])
def test_train_scaling_messages(factor, message):
    def train(X, k, lam):
        """The closed-form minimizer for the wrongly scaled lam."""
        best = ref.minimizer(X, k, lam * factor)
        return best.W1, best.W2

    assert outcome(checks.check_training, FakeAnswers({"train": train}), case=CASE) == (Partial, message)


def test_train_passes_silently_at_the_minimizer():
    def train(X, k, lam):
        """The closed-form minimizer itself."""
        best = ref.minimizer(X, k, lam)
        return best.W1, best.W2

    assert outcome(checks.check_training, FakeAnswers({"train": train}), case=CASE) == (None, None)

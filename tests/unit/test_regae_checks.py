"""The regularized_autoencoder claims, run on the trusted side with in-process fake answers."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from grader.errors import FormatError, NotAnswered, Partial, StudentCrash, Wrong
from problems.regularized_autoencoder import checks, model, training
from problems.regularized_autoencoder.data import sample_case
from reference import regularized_autoencoder as ref
from tests.fakes import call_claim
from tests.unit.regae_fakes import EXAMPLES, FakeAnswers, load_example, plain

torch.set_num_threads(1)  # the grading machine has 2 cores; the examples are tiny


# ---------------------------------------------------------------- build_model

class Custom(nn.Module):
    """Decoder registered before the encoder: allowed, the forward order is not visible."""

    def __init__(self, m, k):
        super().__init__()
        self.decoder = nn.Linear(k, m, bias=False)
        self.encoder = nn.Linear(m, k, bias=False)

    def forward(self, x):
        """W2 W1 x."""
        return self.decoder(self.encoder(x))


class RawParameters(nn.Module):
    """W1 and W2 held as bare parameters, not nn.Linear layers."""

    def __init__(self, m, k):
        super().__init__()
        self.W1 = nn.Parameter(torch.zeros(k, m))
        self.W2 = nn.Parameter(torch.zeros(m, k))


@pytest.mark.parametrize("build", [
    lambda m, k: nn.Sequential(nn.Linear(m, k, bias=False), nn.Linear(k, m, bias=False)),
    lambda m, k: Custom(m, k),
    lambda m, k: nn.Sequential(nn.Flatten(), nn.Linear(m, k, bias=False), nn.Identity(), nn.Linear(k, m, bias=False)),
    lambda m, k: nn.Sequential(nn.Sequential(nn.Linear(m, k, bias=False)), nn.Sequential(nn.Linear(k, m, bias=False))),
])
def test_two_bias_free_linear_layers_fit(build):
    assert model.differences(plain(build(7, 3)), 7, 3) == []


@pytest.mark.parametrize("build, fragment", [
    (lambda m, k: nn.Sequential(nn.Linear(m, k), nn.Linear(k, m, bias=False)), "0: Linear(7->3, bias) has a bias"),
    (lambda m, k: nn.Sequential(nn.Linear(m, k, bias=False), nn.Linear(k, k, bias=False), nn.Linear(k, m, bias=False)),
     "3 nn.Linear layers instead of 2"),
    (lambda m, k: nn.Linear(m, m, bias=False), "1 nn.Linear layer instead of 2"),
    (lambda m, k: nn.Sequential(nn.Linear(m, k, bias=False), nn.ReLU(), nn.Linear(k, m, bias=False)),
     "1: ReLU is an extra module"),
    (lambda m, k: nn.Sequential(nn.Linear(m, k, bias=False), nn.Dropout(0.1), nn.Linear(k, m, bias=False)),
     "1: Dropout is an extra module"),
    (lambda m, k: nn.Sequential(nn.Linear(m, k, bias=False), nn.BatchNorm1d(k), nn.Linear(k, m, bias=False)),
     "1: BatchNorm1d(weight(3,), bias(3,)) holds parameters (weight, bias) outside nn.Linear layers"),
    (lambda m, k: RawParameters(m, k), "(model): RawParameters(W1(3, 7), W2(7, 3)) holds parameters"),
    (lambda m, k: nn.Sequential(nn.Linear(m, m, bias=False), nn.Linear(m, m, bias=False)),
     "layer sizes 7->7 and 7->7; expected 7->3 (W1) and 3->7 (W2)"),
])
def test_each_difference_is_named(build, fragment):
    found = model.differences(plain(build(7, 3)), 7, 3)
    assert any(fragment in line for line in found), found


def test_check_model_says_what_differs_and_what_was_got():
    answers = FakeAnswers({"build_model": lambda m, k: nn.Sequential(nn.Linear(m, k), nn.Linear(k, m))})
    with pytest.raises(Wrong) as err:
        checks.check_model(answers, 7, 3)
    assert "has a bias; (6) has none: use bias=False" in err.value.message
    assert "\ngot: [0: Linear(7->3, bias), 1: Linear(3->7, bias)]\n" in err.value.message


class Swapped(nn.Module):
    """The right layers, applied decoder first: fails on an m-vector."""

    def __init__(self, m, k):
        super().__init__()
        self.encoder = nn.Linear(m, k, bias=False)
        self.decoder = nn.Linear(k, m, bias=False)

    def forward(self, x):
        """W1 W2 x: the shapes do not fit for m != k."""
        return self.encoder(self.decoder(x))


class WithRelu(Custom):
    """Encoder, ReLU (functional, so no module shows it), decoder: not linear."""

    def forward(self, x):
        """W2 relu(W1 x)."""
        return self.decoder(torch.relu(self.encoder(x)))


class SkipConnection(Custom):
    """x + W2 W1 x: the right layers, composed with something else."""

    def forward(self, x):
        """x + W2 W1 x."""
        return x + self.decoder(self.encoder(x))


class DecoderOnly(Custom):
    """Has both layers but uses only the encoder: the output has k entries."""

    def forward(self, x):
        """W1 x."""
        return self.encoder(x)


@pytest.mark.parametrize("build, fragment", [
    (lambda m, k: nn.Sequential(nn.Linear(k, m, bias=False), nn.Linear(m, k, bias=False)),
     "calling the model on a 7-vector raised RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x7 and 3x7) "
     "(its first layer is 3->7, so an input of size m = 7 does not fit it: the encoder Linear(7->3) comes first, "
     "then the decoder Linear(3->7))"),
    (Swapped, "calling the model on a 7-vector raised RuntimeError"),
    (WithRelu, "the output is not W2 W1 x"),  # on the vector, or on the batch, which holds -x too
    (SkipConnection, "on a 7-vector the output is not W2 W1 x"),
    (DecoderOnly, "on a 7-vector the model returned shape (3,), not the input's (7,)"),
    (lambda m, k: (lambda x: x), "expected a torch.nn.Module, got a function"),
])
@pytest.mark.parametrize("seed", range(5))
def test_models_are_checked_by_running_them(build, fragment, seed):
    """Layers that look right (the sizes 7->3 and 3->7 are there) but do not compute W2 W1 x fail, whatever the init."""
    torch.manual_seed(seed)
    answers = FakeAnswers({"build_model": build})
    with pytest.raises((Wrong, FormatError)) as err:
        checks.check_model(answers, 7, 3)
    assert fragment in err.value.message


def test_the_model_runs_on_a_vector_and_a_batch_in_the_sandbox_request():
    answers = FakeAnswers({"build_model": lambda m, k: nn.Sequential(nn.Linear(m, k, bias=False),
                                                                       nn.Linear(k, m, bias=False))})
    checks.check_model(answers, 7, 3)
    (name, args, timeout), = answers.calls
    assert (name, args, timeout) == ("build_model", (7, 3), checks.BUILD_TIMEOUT_S)


def test_a_model_that_handles_only_single_vectors_fails_on_the_batch():
    class VectorOnly(Custom):
        """Works for a 1-d input only."""

        def forward(self, x):
            """W2 W1 x for one vector; a batch is flattened by mistake."""
            return self.decoder(self.encoder(x.reshape(-1)[: self.encoder.in_features]))

    with pytest.raises(Wrong, match=r"on a batch of shape \(3, 7\) the model returned shape \(7,\)"):
        checks.check_model(FakeAnswers({"build_model": VectorOnly}), 7, 3)


def test_check_model_wants_a_module():
    answers = FakeAnswers({"build_model": lambda m, k: (m, k)})
    with pytest.raises(FormatError, match="expected a torch.nn.Module, got a tuple of 2"):
        checks.check_model(answers, 7, 3)


def test_hidden_build_model_uses_other_sizes():
    answers = FakeAnswers({"build_model": lambda m, k: nn.Sequential(nn.Linear(7, 3, bias=False),
                                                                       nn.Linear(3, 7, bias=False))})
    checks.build_model_is_two_bias_free_linear_layers(answers)  # hard-coded sizes pass the public claim...
    with pytest.raises(Wrong, match="layer sizes 7->3 and 3->7"):
        checks.build_model_follows_other_sizes(answers, np.random.default_rng(0))  # ...not the hidden one


# ---------------------------------------------------------------- train: the assessment

@pytest.fixture(scope="module")
def case():
    """The public training case for a fixed seed."""
    return sample_case(np.random.default_rng(3), **checks.PUBLIC_TRAIN)


def test_the_minimizer_passes(case):
    best = ref.minimizer(case.X, case.k, case.lam, rotation=np.linalg.qr(np.ones((3, 3)) + np.eye(3))[0])
    result = training.assess(case.X, case.k, case.lam, best.W1, best.W2)
    assert result.passed and result.fraction == pytest.approx(1.0) and result.lines == ()


@pytest.mark.parametrize("factor, fragment", [
    (6.0, "nn.MSELoss() averages over the m = 6 coordinates"),
    (0.5, "so weight_decay=lam penalizes only (lam/2)*||W||_F^2"),
    (3.0, "both scalings at once give lam*m/2"),
    (2.0, "the penalty is counted twice"),
    (1 / 6, "but your loss sums over the coordinates"),
])
def test_each_scaling_mistake_is_named_with_its_effective_lambda(case, factor, fragment):
    wrong = ref.minimizer(case.X, case.k, case.lam * factor)
    result = training.assess(case.X, case.k, case.lam, wrong.W1, wrong.W2)
    assert not result.singular_values_ok and not result.loss_ok and result.balance_ok
    assert result.fraction == pytest.approx(training.SHARE_BALANCE)
    assert result.mistake is not None and result.mistake.ratio == pytest.approx(factor)
    assert result.lam_eff.value == pytest.approx(case.lam * factor, rel=1e-6)
    text = "\n".join(result.lines)
    assert fragment in text
    assert f"lam_eff = {case.lam * factor:.4g}" in text


def test_an_unnamed_factor_is_still_reported(case):
    wrong = ref.minimizer(case.X, case.k, case.lam * 1.5)
    result = training.assess(case.X, case.k, case.lam, wrong.W1, wrong.W2)
    assert result.mistake is None
    assert "1.5 times the lam" in "\n".join(result.lines)
    assert "classic mistake" not in "\n".join(result.lines)


def test_zero_weights_earn_nothing(case):
    result = training.assess(case.X, case.k, case.lam, np.zeros((3, 6)), np.zeros((6, 3)))
    assert result.fraction == 0.0
    text = "\n".join(result.lines)
    assert "Every singular value of W2 is about 0" in text
    assert "holds trivially and earns nothing" in text


def test_unbalanced_factors_with_the_right_product_fail_balance_and_loss(case):
    best = ref.minimizer(case.X, case.k, case.lam)
    D = np.diag([2.0, 1.0, 0.5])
    result = training.assess(case.X, case.k, case.lam, np.linalg.inv(D) @ best.W1, best.W2 @ D)
    assert not result.balance_ok and not result.loss_ok
    assert any("W1 = W2^T" in line for line in result.lines)


def test_right_singular_values_in_wrong_directions_fail_the_balance_and_the_loss(case):
    best = ref.minimizer(case.X, case.k, case.lam)
    _, U = ref.spectrum(case.X)
    W2 = U[:, 3:6] @ np.diag(best.singular_values)  # the three weakest directions instead of the strongest
    result = training.assess(case.X, case.k, case.lam, W2.T, W2)
    assert result.singular_values_ok and not result.balance_ok and not result.loss_ok
    assert result.fraction == pytest.approx(training.SHARE_SINGULAR_VALUES)
    assert "90 degrees away from the top-3 eigenvectors" in result.lines[-1]


def test_balanced_random_factors_earn_nothing_for_balance(case):
    """W1 = Q^T, W2 = Q for a random orthonormal Q is balanced without any training: no credit for it."""
    Q, _ = np.linalg.qr(np.random.default_rng(5).standard_normal((6, 3)))
    result = training.assess(case.X, case.k, case.lam, Q.T, Q)
    assert not result.balance_ok and result.fraction == 0.0
    assert any("W1 = W2^T holds, but the columns of W2 are" in line and "earns nothing" in line for line in result.lines)


def test_a_biased_model_is_not_blamed_on_a_scaling_mistake(case):
    X = torch.from_numpy(case.X).T
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 3), nn.Linear(3, 6))
    opt = torch.optim.SGD(net.parameters(), lr=0.05, weight_decay=2 * case.lam)
    for _ in range(1500):
        opt.zero_grad()
        ((net(X) - X) ** 2).sum(1).mean().backward()
        opt.step()
    result = training.assess(case.X, 3, case.lam, net[0].weight.detach().numpy(), net[1].weight.detach().numpy())
    assert result.fraction == 0.0 and result.mistake is None
    assert "the model is not (6) (a bias?)" in "\n".join(result.lines)


# ---------------------------------------------------------------- train: the claims

def reference_trainer(factor=1.0, swap=False):
    """A train() that returns the closed-form minimizer for lam * factor (numpy only, no torch)."""
    def train(X, k, lam):
        """The closed-form (W1, W2), possibly swapped."""
        best = ref.minimizer(X, k, lam * factor)
        return (best.W2, best.W1) if swap else (best.W1, best.W2)
    return train


def test_the_claims_pass_the_closed_form():
    answers = FakeAnswers({"train": reference_trainer()})
    checks.trained_weights_reach_the_minimizer_of_6(answers, np.random.default_rng(0))
    checks.trained_weights_reach_the_minimizer_on_other_data(answers, np.random.default_rng(0))
    (name, (X, k, lam), _timeout), _ = answers.calls
    assert name == "train" and X.dtype == np.float32 and X.shape == (6, 200) and k == 3 and type(lam) is float


def test_the_claims_give_partial_credit_for_a_scaling_mistake():
    answers = FakeAnswers({"train": reference_trainer(factor=8.0)})
    with pytest.raises(Partial) as err:
        checks.trained_weights_reach_the_minimizer_on_other_data(answers, np.random.default_rng(0))
    assert err.value.fraction == pytest.approx(0.2)
    assert "8 times the lam" in err.value.message and "nn.MSELoss() averages over the m = 8" in err.value.message


def test_swapped_factors_are_a_format_error_with_a_hint():
    answers = FakeAnswers({"train": reference_trainer(swap=True)})
    with pytest.raises(FormatError, match=r"that looks like \(W2, W1\)"):
        checks.trained_weights_reach_the_minimizer_of_6(answers, np.random.default_rng(0))


@pytest.mark.parametrize("returned, fragment", [
    (lambda X, k, lam: np.zeros((k, X.shape[0])), "expected a tuple of 2"),
    (lambda X, k, lam: (np.zeros((k, X.shape[0])), np.zeros((X.shape[0], k)), 0.0), "expected a tuple of 2"),
    (lambda X, k, lam: (np.zeros((k, X.shape[0])), "W2"), "[1]: expected a real 2-d array, got a string"),
    (lambda X, k, lam: (np.full((k, X.shape[0]), np.nan), np.zeros((X.shape[0], k))), "NaN or infinite"),
    (lambda X, k, lam: [np.zeros((k, X.shape[0])), np.zeros((X.shape[0], k))], "expected a tuple of 2"),
    (lambda X, k, lam: (np.zeros((k, X.shape[0])), np.zeros((X.shape[0], k + 1))), "expected W1 of shape (3, 6)"),
])
def test_malformed_results_are_format_errors(returned, fragment):
    with pytest.raises(FormatError) as err:
        checks.check_training(FakeAnswers({"train": returned}), sample_case(np.random.default_rng(0), **checks.PUBLIC_TRAIN))
    assert fragment in err.value.message


class TimingOut(FakeAnswers):
    """An answers object whose calls time out, as the sandbox reports it."""

    def call(self, name, *args, timeout=10.0, **kwargs):
        """Record the timeout and fail as a timed-out call does."""
        self.calls.append((name, timeout))
        crash = StudentCrash(f"{name}(...) did not finish within {timeout:g} s")
        crash.timed_out = True
        raise crash


def test_a_timeout_says_the_budget_and_what_the_reference_needs():
    answers = TimingOut({"train": None})
    with pytest.raises(StudentCrash) as err:
        checks.trained_weights_reach_the_minimizer_of_6(answers, np.random.default_rng(0))
    assert answers.calls == [("train", checks.TRAIN_TIMEOUT_S)]
    assert "did not finish within 60 s" in err.value.message
    assert "has 60 s; full-batch gradient descent reaches the minimizer in about a second" in err.value.message


def test_a_missing_train_is_not_answered():
    with pytest.raises(NotAnswered):
        checks.trained_weights_reach_the_minimizer_of_6(FakeAnswers({}), np.random.default_rng(0))


# ---------------------------------------------------------------- the examples, in-process

def part_score(answers, part, seed=0) -> float:
    """Run every claim about `part` on `answers` as the grader would; the points earned."""
    total = 0.0
    for name in dir(checks):
        fn = getattr(checks, name)
        spec = getattr(fn, "__claim__", None)
        if spec is None or spec.part != part:
            continue
        wants = fn.__code__.co_varnames[:fn.__code__.co_argcount]
        kwargs = {"rng": np.random.default_rng(seed)} if "rng" in wants else {}
        kwargs.update({"reveal": True} if "reveal" in wants else {})
        try:
            call_claim(fn, answers, rng=np.random.default_rng(seed), reveal=False)
            total += spec.points
        except Partial as partial:
            total += spec.points * partial.fraction
        except (Wrong, FormatError, NotAnswered, StudentCrash):
            pass
    return total


SCENARIOS = sorted(p.name for p in EXAMPLES.iterdir() if (p / "expected.json").exists())
# Module examples only: transcripts are read by transcript.py (tested on its own) before any check runs.
MODULE_SCENARIOS = [s for s in SCENARIOS if (EXAMPLES / s / "answers.py").exists()]


@pytest.mark.parametrize("scenario", MODULE_SCENARIOS)
def test_examples_score_as_expected_in_process(scenario):
    answers = load_example(scenario)
    expected = json.loads((EXAMPLES / scenario / "expected.json").read_text())["parts"]
    for part, want in expected.items():
        if want == "pending":
            continue
        want = 0.0 if want in ("not_answered", "format", "wrong", "error") else float(want)
        assert part_score(answers, part, seed=11) == pytest.approx(want), part


def test_there_are_examples_for_each_mistake_the_issue_names():
    for scenario in ("correct_sum_loss", "correct_mean_loss", "mse_mean_wd_2lam", "sum_wd_lam", "three_layers",
                     "one_layer_relu", "bias_left_on", "wrong_multiple_choice"):
        assert scenario in SCENARIOS

"""Graded-only claims of the l2-regularized autoencoder: the short answers' values (after the due date) and the
hidden checks of build_model and train. Staff-only: never in a student package.
"""
from __future__ import annotations

from grader.claims import claim
from grader.errors import Partial, Wrong
from problems.regularized_autoencoder import normalize
from problems.regularized_autoencoder.checks import (
    HIDDEN_TRAIN, check_model, check_training, read_choices, read_layer_count, read_loss, read_verdict,
)
from problems.regularized_autoencoder.data import sample_case
from reference.regularized_autoencoder import NEEDED

PRODUCT = ("(6) reconstructs X as W2W1X: the encoder W1 (k×m), then the decoder W2 (m×k), one nn.Linear each "
           "and nothing in between")


@claim("num_linear_layers", points=1, visibility="after_due", description="the layer count matches the model of (6)")
def layer_count_matches_the_model_of_6(answers, reveal):
    """The count is the number of weight matrices of (6)."""
    count = read_layer_count(answers)
    if count == 2:
        return
    if count <= 0:
        why = f"{count} is not a number of layers a network can have"
    elif count == 1:
        why = "one linear layer would be one weight matrix, but (6) has two factors"
    else:
        why = f"{count} linear layers would be {count} weight matrices, but (6) has only W1 and W2"
    raise Wrong(f"{why}. {PRODUCT}" + (", so 2 linear layers." if reveal else "."), got=count)


LOSS_REASONS = {
    "l1loss": "nn.L1Loss measures absolute errors |x − x̂|, but the reconstruction term of (6), "
              "(1/n)‖X − W2W1X‖_F², adds up squared errors",
    "crossentropyloss": "nn.CrossEntropyLoss compares class scores with class labels; here each sample is its own "
                        "real-valued target, and (6) measures the squared error ‖x − W2W1x‖²",
}


@claim("loss_function", points=1, visibility="after_due", description="the loss gives the reconstruction term of (6)")
def loss_matches_the_reconstruction_term(answers, reveal):
    """The named loss is the squared error of (6)."""
    key = read_loss(answers)
    if key == "mseloss":
        return
    tail = (" (nn.MSELoss, up to a constant factor that the learning rate and the weight decay absorb)."
            if reveal else ".")
    raise Wrong(LOSS_REASONS[key] + tail, got=normalize.LOSS_OPTIONS[key])


# Why each option is or is not needed to optimize (6) exactly, for the feedback.
OPTION_REASONS = {
    "weight decay": "the penalty λ(‖W1‖_F² + ‖W2‖_F²) of (6) is what weight decay adds (its gradient, in the "
                    "optimizer's update)",
    "sgd optimizer": "the training asked for is SGD-style (one sample or batch at a time), and torch.optim.SGD's "
                     "weight_decay is what applies the penalty of (6)",
    "dropout": "dropout zeroes random units while training, which changes the objective: (6) has no noise",
    "layer norm": "layer norm rescales each sample's activations, a step (6) does not have",
    "batch norm": "batch norm normalizes with batch statistics and adds parameters, which (6) does not have",
}


@claim("needed_to_optimize_exactly", points=5, visibility="after_due",
       description="each option is chosen exactly when needed")
def each_option_is_chosen_exactly_when_needed(answers, reveal):
    """Each of the five options is graded on its own: chosen when needed, left out otherwise (1 point each).

    Which options are wrong is named only when `reveal`: before the due date it would give the choice away.
    """
    items = read_choices(answers)
    if not items:
        # Per-option credit for an empty list would pay for options "correctly left out" by saying nothing.
        raise Wrong("no option is chosen: an empty list is not an answer, so it earns nothing")
    chosen, unknown = set(), []
    for item in items:
        option = normalize.option_name(item)
        if option is None:
            unknown.append(item)
        else:
            chosen.add(option)
    wrong = []
    for option in normalize.OPTIONS:
        if option in chosen and option not in NEEDED:
            wrong.append(f"{option!r} (chosen, but not needed: {OPTION_REASONS[option]})")
        elif option not in chosen and option in NEEDED:
            wrong.append(f"{option!r} (needed, but not chosen: {OPTION_REASONS[option]})")
    notes = []
    if unknown:
        notes.append(f"Not one of the five options (ignored): {', '.join(repr(u) for u in unknown)}.")
    if not wrong:
        # All five options are graded right; stray entries (say "Adam") cost nothing.
        return
    right = len(normalize.OPTIONS) - len(wrong)
    summary = (f"{right} of 5 options right; wrong on: {'; '.join(wrong)}." if reveal else
               f"{right} of 5 options right (each option is graded on its own; the graded report says which).")
    message = "\n".join([summary] + notes)
    if right == 0:
        raise Wrong(message)
    raise Partial(right / len(normalize.OPTIONS), message)


@claim("orthonormal_bias", points=1, visibility="after_due", description="the verdict on the inductive bias is right")
def verdict_on_the_inductive_bias_is_right(answers, reveal):
    """The verdict is read from yes/no/true/false, also at the start of a sentence."""
    if read_verdict(answers):
        return
    raise Wrong("for a fixed product W2W1, the penalty λ(‖W1‖_F² + ‖W2‖_F²) is λ times the sum of the squared "
                "singular values of both factors, which is least for two factors of equal singular values "
                "(a² + b² ≥ 2ab); "
                "at the minimizer of (6) the singular values of W2 are √(1 − λ/s_i) (s_i the top eigenvalues of "
                "XXᵀ/n), close to 1 for a small λ, so the columns of W2 are nearly orthonormal"
                + (": the answer is yes." if reveal else "."), got="no")


@claim("build_model", points=1, visibility="hidden", description="build_model follows other sizes (m, k)")
def build_model_follows_other_sizes(answers, rng):
    """build_model(m, k) for other sizes, so that the sizes are not hard-coded."""
    m = int(rng.integers(9, 13))
    k = int(rng.integers(2, 5))
    check_model(answers, m, k)


@claim("train", points=5, visibility="hidden", description="trained weights reach the minimizer of (6) on other data")
def trained_weights_reach_the_minimizer_on_other_data(answers, rng):
    """The same on data of another size, rank and penalty (staff-only feedback: no counterexample search)."""
    check_training(answers, sample_case(rng, **HIDDEN_TRAIN))


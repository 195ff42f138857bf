"""Claims for the l2-regularized linear autoencoder (objective (6) of the answer contract)."""
from __future__ import annotations

from grader.claims import claim
from grader.errors import FormatError, Partial, StudentCrash, Wrong
from grader.types import Array, ModuleInfo, TupleOf, count_words, describe_got, short_repr
from problems.regularized_autoencoder import model, normalize, training
from problems.regularized_autoencoder.data import TrainCase, sample_case

# train(X, k, lam) gets this long; the example trainers need about a second.
TRAIN_TIMEOUT_S = 60.0
BUILD_TIMEOUT_S = 20.0

# Sizes of the data for train: small, so that full-batch training takes ~1 s on
# a CPU, with m >= 5 so that the scaling mistakes imply distinct lam factors.
PUBLIC_TRAIN = dict(m=6, k=3, n=200)
HIDDEN_TRAIN = dict(m=8, k=2, n=240)
PUBLIC_MODEL = (7, 3)


# ---------------------------------------------------------------- short answers

@claim("num_linear_layers", points=1, description="the layer count matches the model of (6)")
def layer_count_matches_the_model_of_6(answers):
    """The count is compared after normalizing (2, "2", "two")."""
    value = answers.value("num_linear_layers")
    count = normalize.layer_count(value)
    if count is None:
        raise FormatError(f"num_linear_layers: expected a whole number such as 1 or 2, got {describe_got(value)}")
    if count != 2:
        raise Wrong("the number of linear layers is not right", got=count)


@claim("loss_function", points=1, description="the loss gives the reconstruction term of (6)")
def loss_matches_the_reconstruction_term(answers):
    """The name is compared after normalizing (case, nn./torch.nn. prefixes, trailing ())."""
    value = answers.value("loss_function")
    key = normalize.loss_name(value)
    if key is None:
        raise Wrong("loss_function should name one of nn.L1Loss, nn.MSELoss, nn.CrossEntropyLoss",
                    got=short_repr(value, 60))
    if key != "mseloss":
        raise Wrong("that loss does not give the reconstruction term of (6)", got=normalize.LOSS_OPTIONS[key])


@claim("needed_to_optimize_exactly", points=5)
def each_option_is_chosen_exactly_when_needed(answers):
    """Each of the five options is graded on its own: chosen when needed, left out otherwise."""
    value = answers.value("needed_to_optimize_exactly")
    items = normalize.split_choices(value)
    if items is None:
        raise FormatError("needed_to_optimize_exactly: expected a list of strings out of "
                          f"{', '.join(repr(o) for o in normalize.OPTIONS)}; got {describe_got(value)}")
    chosen, unknown = set(), []
    for item in items:
        option = normalize.option_name(item)
        if option is None:
            unknown.append(item)
        else:
            chosen.add(option)
    wrong = []
    for option in normalize.OPTIONS:
        if option in chosen and option not in normalize.NEEDED:
            wrong.append(f"{option!r} (chosen, but not needed)")
        elif option not in chosen and option in normalize.NEEDED:
            wrong.append(f"{option!r} (needed, but not chosen)")
    notes = []
    if unknown:
        notes.append(f"Not one of the five options (ignored): {', '.join(repr(u) for u in unknown)}.")
    if not wrong:
        # All five options are graded right; stray entries (say "Adam") cost nothing.
        return
    right = len(normalize.OPTIONS) - len(wrong)
    message = "\n".join([f"{right} of 5 options right; wrong on: {'; '.join(wrong)}."] + notes)
    if right == 0:
        raise Wrong(message)
    raise Partial(right / len(normalize.OPTIONS), message)


@claim("orthonormal_bias", points=1, description="the verdict on the inductive bias is right")
def verdict_on_the_inductive_bias_is_right(answers):
    """The verdict is read from yes/no/true/false, also at the start of a sentence."""
    value = answers.value("orthonormal_bias")
    verdict = normalize.yes_no(value)
    if verdict is None:
        raise FormatError(f"orthonormal_bias: expected 'yes' or 'no', got {describe_got(value)}")
    if not verdict:
        raise Wrong("the answer is not right", got="no")


@claim("orthonormal_argument", points=4, description="an argument is given (graded by a TA)")
def argument_is_given(answers):
    """Manual part: only checks that there is a non-empty text for the TA to read."""
    value = answers.value("orthonormal_argument")
    if type(value) is not str:
        raise FormatError(f"orthonormal_argument: expected a string, got {describe_got(value)}")
    if count_words(value) == 0:  # the one word count of every free response ("..." has none)
        raise FormatError("orthonormal_argument: the text is empty (it has no words)")


# ---------------------------------------------------------------- build_model

def check_model(answers, m: int, k: int) -> None:
    """Build the student's model for (m, k) and raise Wrong listing how it differs from the expected one."""
    info = answers.call("build_model", m, k, timeout=BUILD_TIMEOUT_S)
    if not isinstance(info, ModuleInfo):
        raise FormatError(f"build_model({m}, {k}): expected a torch.nn.Module, got {describe_got(info)}")
    problems = model.differences(info, m, k)
    if problems:
        raise Wrong(f"build_model({m}, {k}) should be exactly two nn.Linear layers without bias, {m}->{k} then "
                    f"{k}->{m}; what differs: " + "; ".join(problems) + ".",
                    got=model.summary(info))


@claim("build_model", points=2, description="build_model(7, 3) is two bias-free linear layers, 7->3 then 3->7")
def build_model_is_two_bias_free_linear_layers(answers):
    """build_model(7, 3) is Linear(7->3, no bias) then Linear(3->7, no bias)."""
    check_model(answers, *PUBLIC_MODEL)


@claim("build_model", points=1, visibility="hidden", description="build_model follows other sizes (m, k)")
def build_model_follows_other_sizes(answers, rng):
    """build_model(m, k) for other sizes, so that the sizes are not hard-coded."""
    m = int(rng.integers(9, 13))
    k = int(rng.integers(2, 5))
    check_model(answers, m, k)


# ---------------------------------------------------------------- train

def trained_weights(answers, case: TrainCase):
    """Call train(X, k, lam) in the sandbox and return (W1, W2), checked for form and shape."""
    where = f"train(X, k={case.k}, lam={case.lam:g}) with X of shape {case.X.shape}"
    try:
        got = answers.call("train", case.X, case.k, case.lam, timeout=TRAIN_TIMEOUT_S)
    except StudentCrash as crash:
        raise StudentCrash(f"{crash.message}\n{where} has {TRAIN_TIMEOUT_S:.0f} s; full-batch gradient descent "
                           f"reaches the minimizer in about a second (a few thousand steps at most).") from crash
    TupleOf((Array(ndim=2), Array(ndim=2))).check(got, where)
    W1, W2 = got
    m, k = case.m, case.k
    if W1.shape == (m, k) and W2.shape == (k, m) and m != k:
        raise FormatError(f"{where}: got shapes {W1.shape} and {W2.shape}; that looks like (W2, W1). "
                          f"Return (W1, W2) with W1 of shape ({k}, {m}) (the encoder's weight) and "
                          f"W2 of shape ({m}, {k}) (the decoder's weight).")
    if W1.shape != (k, m) or W2.shape != (m, k):
        raise FormatError(f"{where}: expected W1 of shape ({k}, {m}) and W2 of shape ({m}, {k}); "
                          f"got {W1.shape} and {W2.shape}")
    return W1, W2


def check_training(answers, case: TrainCase) -> None:
    """Train on `case` and grade the weights: pass, Partial with the failed criteria, or Wrong."""
    W1, W2 = trained_weights(answers, case)
    result = training.assess(case.X, case.k, case.lam, W1, W2)
    if result.passed:
        return
    header = f"train(X, k={case.k}, lam={case.lam:g}) with X of shape {case.X.shape}:"
    message = "\n".join((header,) + result.lines)
    if result.fraction == 0:
        raise Wrong(message)
    raise Partial(result.fraction, message)


@claim("train", points=5, description="trained weights reach the minimizer of (6)")
def trained_weights_reach_the_minimizer_of_6(answers, rng):
    """Singular values, balance W1 = W2^T and loss of the trained weights match the closed form."""
    check_training(answers, sample_case(rng, **PUBLIC_TRAIN))


@claim("train", points=5, visibility="hidden", description="trained weights reach the minimizer of (6) on other data")
def trained_weights_reach_the_minimizer_on_other_data(answers, rng):
    """The same on data of another size, rank and penalty."""
    check_training(answers, sample_case(rng, **HIDDEN_TRAIN))

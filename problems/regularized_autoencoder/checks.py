"""Claims for the l2-regularized linear autoencoder (objective (6) of the answer contract)."""
from __future__ import annotations

import time

import numpy as np

from grader.claims import claim
from grader.counterexamples import first_failing, shrink_entries, snippet
from grader.errors import FormatError, Partial, StudentCrash, Wrong
from grader.types import Array, ModuleInfo, TupleOf, count_words, describe_got
from grader.wire import TensorArg
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
#
# Each short answer has one right value, so the claim that pays for it runs only when a TA grades
# (after_due: its feedback, with the reason, is in the graded report); a public check would hand the answer
# to anyone running it. The public claims are worth 0 points: they say whether the answer has the form the
# contract asks for (an int, a string naming an option, a list of strings), and the paying claims raise the
# same FormatError when it does not.

LOSSES = ", ".join(repr(name) for name in normalize.LOSS_OPTIONS.values())
OPTION_LIST = ", ".join(repr(o) for o in normalize.OPTIONS)
PRODUCT = ("(6) reconstructs X as W2W1X: the encoder W1 (k×m), then the decoder W2 (m×k), one nn.Linear each "
           "and nothing in between")


def read_layer_count(answers) -> int:
    """num_linear_layers as the int the contract asks for; FormatError for "2", 2.0 or True."""
    value = answers.value("num_linear_layers")
    if type(value) is int:
        return value
    hint = ""
    if type(value) is bool:
        hint = " (True and False are not counts)"
    elif type(value) is float and value.is_integer():
        hint = f": write the whole number, num_linear_layers = {int(value)}"
    elif type(value) is str and normalize.layer_count(value) is not None:
        hint = f": write the number itself, without quotes: num_linear_layers = {normalize.layer_count(value)}"
    raise FormatError(f"num_linear_layers: expected an int, got {describe_got(value)}{hint}")


def read_loss(answers) -> str:
    """The loss_function key ("mseloss", ...) of a string naming one of the three losses; FormatError otherwise."""
    value = answers.value("loss_function")
    if type(value) is not str:
        raise FormatError(f"loss_function: expected a string, one of {LOSSES}; got {describe_got(value)}")
    key = normalize.loss_name(value)
    if key is None:
        raise FormatError(f"loss_function: expected one of {LOSSES}; got {value!r}, which is not one of them")
    return key


def read_choices(answers) -> list[str]:
    """needed_to_optimize_exactly as the list of strings the contract asks for; FormatError otherwise."""
    value = answers.value("needed_to_optimize_exactly")
    if type(value) is not list or any(type(v) is not str for v in value):
        hint = ""
        if type(value) is str:
            hint = ": put each option in its own string, e.g. [\"Dropout\", \"Layer Norm\"]"
        elif type(value) is tuple:
            hint = ": use square brackets, a list"
        raise FormatError(f"needed_to_optimize_exactly: expected a list of strings out of {OPTION_LIST}; "
                          f"got {describe_got(value)}{hint}")
    return list(value)


def read_verdict(answers) -> bool:
    """orthonormal_bias read as yes (True) or no (False) from a string; FormatError otherwise."""
    value = answers.value("orthonormal_bias")
    verdict = normalize.yes_no(value) if type(value) is str else None
    if verdict is None:
        raise FormatError(f"orthonormal_bias: expected the string 'yes' or 'no', got {describe_got(value)}")
    return verdict


@claim("num_linear_layers", points=0, description="is an int")
def layer_count_is_an_int(answers):
    """num_linear_layers is an int (a gate: "2" or 2.0 is not the answer's form)."""
    read_layer_count(answers)


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


@claim("loss_function", points=0, description="names one of the three losses")
def loss_is_one_of_the_three(answers):
    """loss_function is a string naming nn.L1Loss, nn.MSELoss or nn.CrossEntropyLoss (a gate)."""
    read_loss(answers)


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


@claim("needed_to_optimize_exactly", points=0, description="is a list of strings")
def choices_are_a_list_of_strings(answers):
    """needed_to_optimize_exactly is a list of strings (a gate)."""
    read_choices(answers)


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
        if option in chosen and option not in normalize.NEEDED:
            wrong.append(f"{option!r} (chosen, but not needed: {OPTION_REASONS[option]})")
        elif option not in chosen and option in normalize.NEEDED:
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


@claim("orthonormal_bias", points=0, description="is a yes or a no")
def verdict_is_a_yes_or_a_no(answers):
    """orthonormal_bias is a string reading as yes or no (a gate)."""
    read_verdict(answers)


@claim("orthonormal_bias", points=1, visibility="after_due", description="the verdict on the inductive bias is right")
def verdict_on_the_inductive_bias_is_right(answers, reveal):
    """The verdict is read from yes/no/true/false, also at the start of a sentence."""
    if read_verdict(answers):
        return
    raise Wrong("for a fixed product W2W1, the penalty λ(‖W1‖_F² + ‖W2‖_F²) is λ times the sum of the squared "
                "singular values of both factors, which is smallest when the factors are balanced (a² + b² ≥ 2ab); "
                "at the minimizer of (6) the singular values of W2 are √(1 − λ/s_i) (s_i the top eigenvalues of "
                "XXᵀ/n), close to 1 for a small λ, so the columns of W2 are nearly orthonormal"
                + (": the answer is yes." if reveal else "."), got="no")


@claim("orthonormal_argument", points=4, description="an argument is given (graded by a TA)")
def argument_is_given(answers):
    """Manual part: only checks that there is a non-empty text for the TA to read."""
    value = answers.value("orthonormal_argument")
    if type(value) is not str:
        raise FormatError(f"orthonormal_argument: expected a string, got {describe_got(value)}")
    if count_words(value) == 0:  # the one word count of every free response ("..." has none)
        raise FormatError("orthonormal_argument: the text is empty (it has no words)")


# ---------------------------------------------------------------- build_model

# The inputs of the forward passes: one m-vector and a batch of BATCH of them, fixed per (m, k).
BATCH = 3


def model_inputs(m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """A float32 m-vector x and a (BATCH, m) batch [x, -x, another] to run the model on (the same for everyone).

    With both x and -x, a hidden nonlinearity such as a ReLU changes the output whatever the weights are.
    """
    rng = np.random.default_rng(1000 * m + k)
    x = rng.standard_normal(m).astype(np.float32)
    return x, np.stack([x, -x, rng.standard_normal(m).astype(np.float32)])


def check_model(answers, m: int, k: int) -> None:
    """Build the student's model for (m, k), run it in the sandbox, and raise Wrong listing how it differs."""
    x, batch = model_inputs(m, k)
    info, (one, many) = answers.call_then("build_model", (m, k), ((TensorArg(x),), (TensorArg(batch),)),
                                          timeout=BUILD_TIMEOUT_S)
    if not isinstance(info, ModuleInfo):
        raise FormatError(f"build_model({m}, {k}): expected a torch.nn.Module, got {describe_got(info)}")
    problems = model.differences(info, m, k)
    problems += model.forward_differences(info, m, k, ((x, one), (batch, many)), compare_values=not problems)
    if problems:
        raise Wrong(f"build_model({m}, {k}) should be exactly two nn.Linear layers without bias, {m}->{k} then "
                    f"{k}->{m}; what differs: " + "; ".join(problems) + ".\n"
                    f"got: {model.summary(info)}\n"
                    f"to try it:\nimport torch\nmodel = build_model({m}, {k})\n"
                    f"model(torch.randn({m})), model(torch.randn({BATCH}, {m}))")


@claim("build_model", points=2, description="build_model(7, 3) is two bias-free linear layers, 7->3 then 3->7")
def build_model_is_two_bias_free_linear_layers(answers):
    """build_model(7, 3) is Linear(7->3, no bias) then Linear(3->7, no bias), run on a 7-vector and a batch."""
    check_model(answers, *PUBLIC_MODEL)


@claim("build_model", points=1, visibility="hidden", description="build_model follows other sizes (m, k)")
def build_model_follows_other_sizes(answers, rng):
    """build_model(m, k) for other sizes, so that the sizes are not hard-coded."""
    m = int(rng.integers(9, 13))
    k = int(rng.integers(2, 5))
    check_model(answers, m, k)


# ---------------------------------------------------------------- train

# Counterexamples for train: data sizes (m, k, n) tried smallest first (m >= 5 keeps the scaling mistakes
# apart), then X rounded to fewer decimals. Each try trains once in the sandbox (about a second), so few.
SHRINK_SIZES = ((5, 1, 6), (5, 2, 6))
SHRINK_TRIES = 3
SHRINK_SECONDS = 30.0
SHRINK_ONLY_BELOW_S = 10.0  # a trainer slower than this is not run again on smaller data


def trained_weights(answers, case: TrainCase, timeout: float = TRAIN_TIMEOUT_S):
    """Call train(X, k, lam) in the sandbox and return (W1, W2), checked for form and shape."""
    where = f"train(X, k={case.k}, lam={case.lam:g}) with X of shape {case.X.shape}"
    try:
        got = answers.call("train", case.X, case.k, case.lam, timeout=timeout)
    except StudentCrash as crash:
        longer = StudentCrash(f"{crash.message}\n{where} has {timeout:.0f} s; full-batch gradient descent "
                              f"reaches the minimizer in about a second (a few thousand steps at most).")
        longer.timed_out = crash.timed_out
        raise longer from crash
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


def training_fault(answers, case: TrainCase, timeout: float = TRAIN_TIMEOUT_S):
    """(how it failed, the fault to raise) for train on `case`, or None when it passes.

    "How" is the fault's class and, for an assessment, which criteria failed, so that a smaller case
    counts as a counterexample only when it fails the same way.
    """
    try:
        W1, W2 = trained_weights(answers, case, timeout)
    except (FormatError, StudentCrash) as fault:
        return (type(fault), getattr(fault, "timed_out", False)), fault
    result = training.assess(case.X, case.k, case.lam, W1, W2)
    if result.passed:
        return None
    header = f"train(X, k={case.k}, lam={case.lam:g}) with X of shape {case.X.shape}:"
    message = "\n".join((header,) + result.lines)
    fault = Wrong(message) if result.fraction == 0 else Partial(result.fraction, message)
    return (result.singular_values_ok, result.balance_ok, result.loss_ok), fault


def smallest_training_failure(answers, case: TrainCase, how, fault, rng, took: float):
    """The smallest case where train fails as it did on `case` (sizes first, then X rounded), with its fault.

    Each try gets a few times what the first call took (smaller data should not train slower).
    """
    started = time.perf_counter()
    timeout = min(TRAIN_TIMEOUT_S, max(10.0, 3 * took))
    found = {}

    def key(X: np.ndarray) -> tuple:
        return X.shape, X.tobytes()

    def fails(candidate: TrainCase) -> bool:
        if time.perf_counter() - started > SHRINK_SECONDS:
            return False
        outcome = training_fault(answers, candidate, timeout)
        if outcome is None or outcome[0] != how:
            return False
        found[key(candidate.X)] = outcome[1]
        return True

    lam = round(case.lam, 1)
    candidates = [sample_case(rng, m, k, n) for m, k, n in SHRINK_SIZES if m * n < case.m * case.n]
    candidates = [TrainCase(c.X, c.k, lam) for c in candidates] + [case]
    small = first_failing(candidates, fails, SHRINK_TRIES)
    if small is None:
        return case, fault
    rounded = shrink_entries({"X": small.X}, lambda d: fails(TrainCase(d["X"], small.k, small.lam)),
                             max_tries=1, roundings=(1,), entrywise=False)["X"]
    return TrainCase(rounded, small.k, small.lam), found.get(key(rounded), fault)


def check_training(answers, case: TrainCase, rng=None) -> None:
    """Train on `case` and grade the weights: pass, Partial with the failed criteria, or Wrong.

    With `rng`, a failure also shows the smallest data it fails the same way on, as Python to paste
    (the score stays that of `case`: the same criteria fail, so the same share is earned).
    """
    started = time.perf_counter()
    outcome = training_fault(answers, case)
    if outcome is None:
        return
    how, fault = outcome
    took = time.perf_counter() - started
    if rng is None or (isinstance(fault, StudentCrash) and fault.timed_out) or took > SHRINK_ONLY_BELOW_S:
        raise fault
    small, small_fault = smallest_training_failure(answers, case, how, fault, rng, took)
    message = (f"{small_fault.message}\nsmallest counterexample:\n"
               + snippet((("X", small.X),), f"W1, W2 = train(X, {small.k}, {small.lam!r})"))
    if isinstance(fault, Partial):
        raise Partial(fault.fraction, message)
    raise type(fault)(message)


@claim("train", points=5, description="trained weights reach the minimizer of (6)")
def trained_weights_reach_the_minimizer_of_6(answers, rng):
    """Singular values, balance W1 = W2^T and loss of the trained weights match the closed form."""
    check_training(answers, sample_case(rng, **PUBLIC_TRAIN), rng)


@claim("train", points=5, visibility="hidden", description="trained weights reach the minimizer of (6) on other data")
def trained_weights_reach_the_minimizer_on_other_data(answers, rng):
    """The same on data of another size, rank and penalty (staff-only feedback: no counterexample search)."""
    check_training(answers, sample_case(rng, **HIDDEN_TRAIN))

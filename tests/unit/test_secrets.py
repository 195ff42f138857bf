"""grader.secrets: the list of what students must not see, checked against the checks, and the search for it."""
import re

import pytest

from grader import secrets
from grader.errors import ConfigError
from grader.problem import Part, Problem, discover
from problems.pca_autoencoder import checks as pca_checks
from problems.pca_autoencoder import matexpr
from problems.pca_autoencoder.equivalence import ratio, residual, values
from problems.regularized_autoencoder import normalize
from problems.resnet_blog import facts
from problems.resnet_blog.units import parse_accuracy, parse_time
from reference import pca_autoencoder, regularized_autoencoder, resnet_blog, seq2seq_translation


def found(needle: str, text: str) -> bool:
    return bool(secrets.find_leaks(text, (secrets.Secret("p", "a", secrets.ACCEPTED, needle),)))


MATCHES = [
    # (accepted text, student-facing text, found?)
    ("26 s", "final = {'time_s': '26 s'}", True),
    ("26 s", "it took 26s", True),
    ("26 s", "took 126 s", False),
    ("26 s", "took 0.26 s", False),
    ("26 s", "in 26 steps", False),
    ("26 s", "26 s.", True),
    ("0.94", "an accuracy of 0.94", True),
    ("0.94", "0.945 or 10.94", False),
    ("94%", "94 %", True),
    ("time_s: 26", '{"time_s": 26, "accuracy": 0.9}', True),
    ("time_s: 26", '{"time_s": 265}', False),
    ("<sos> I see a dog", "expected: ['<sos>', 'I', 'see', 'a', 'dog']", True),
    ("<sos> I see a dog", '["<SOS>", "i", "see", "a", "dog"]', True),
    ("<sos> I see a dog", "| <sos> | I | see | a | dog |", True),
    ("<sos> I see a dog", "the right translation is I see a dog", False),
    ("<sos> I see a dog", "<sos> I see a dogs", False),
    ("2*W2.T*(W2*W1 - I)*X*X.T", "2 * W2.T @ (W2 @ W1 - I) @ X @ X.T", True),
    ("2*W2.T*(W2*W1 - I)*X*X.T", "2*W2.T*(W2*W1 − I)*X*X.T", True),
    ("2*W2.T*(W2*W1 - I)*X*X.T", "3*W1.T*W1 + X*X.T/2", False),
    (r"2W_2^\top (W_2 W_1 - I) X X^\top", r"$2 W_{2}^{\top} \left(W_{2} W_{1} - I\right) X X^{\top}$", True),
    ("loss_function = nn.MSELoss", 'loss_function = "nn.MSELoss"', True),
    ("loss_function = nn.MSELoss", "one of nn.L1Loss, nn.MSELoss, nn.CrossEntropyLoss", False),
]


@pytest.mark.parametrize("needle, text, expected", MATCHES)
def test_matching_ignores_spelling_but_not_word_ends(needle, text, expected):
    assert found(needle, text) is expected


def test_rubric_clauses_are_looked_for_on_their_own():
    rubric = "Full credit: names the invariant and shows every step keeps it. Half credit: names it only."
    texts = secrets.rubric_texts(rubric)
    assert texts[0] == rubric and "names the invariant and shows every step keeps it." in texts
    assert "Half credit: names it only." not in texts  # five words: too common to look for alone


def test_every_problem_has_accepted_texts_and_rubrics_in_the_list():
    problems = discover()
    listed = secrets.secrets(problems)
    for p in problems:
        for part in p.parts:
            kinds = {s.kind for s in listed if (s.problem, s.part) == (p.name, part.name)}
            if part.rubric:
                assert secrets.RUBRIC in kinds
        assert any(s.kind == secrets.ACCEPTED for s in listed if s.problem == p.name), p.name


def test_a_problem_without_a_reference_module_is_a_config_error():
    lonely = Problem("no_such_problem", "Lonely", (Part("a", 1, "int"),))
    with pytest.raises(ConfigError, match=r"expected a reference module reference.no_such_problem .*docs/adding-a-problem"):
        secrets.secrets((lonely,))


def test_accepted_texts_for_an_unknown_part_are_a_config_error(monkeypatch):
    problem = next(p for p in discover() if p.name == "seq2seq_translation")
    monkeypatch.setattr(seq2seq_translation, "accepted_texts", lambda: {"training_inputs": ("x",)})
    with pytest.raises(ConfigError, match="got 'training_inputs'. Did you mean 'training_decoder_inputs'"):
        secrets.accepted_texts(problem)
    monkeypatch.setattr(seq2seq_translation, "accepted_texts", lambda: {"training_decoder_inputs": ["x"]})
    with pytest.raises(ConfigError, match="expected a non-empty tuple of non-blank strings"):
        secrets.accepted_texts(problem)


# ---------------------------------------------------------------- each listed text is an answer the checks accept

def _typed(text: str, equation: bool):
    if equation:
        lhs, rhs = matexpr.typecheck_equation(matexpr.parse_equation(text), text)
        return residual(lhs, rhs)
    return matexpr.typecheck(matexpr.parse_answer(text), text)


PCA = pca_autoencoder.accepted_texts()


def _pca_accepts(part: str, text: str) -> bool:
    refs = pca_checks.references()
    typed = _typed(text, part == "first_order_conditions" and "=" in text)
    if part == "first_order_conditions":
        factors = [ratio(values(typed), values(r.typed)) for r in refs.values() if r.typed.shape == typed.shape]
        return any(c is not None and c != 0 for c in factors)
    return abs(ratio(values(typed), values(refs[part].typed)) - 1) <= 1e-9


@pytest.mark.parametrize("part", sorted(PCA))
def test_each_listed_gradient_and_condition_is_accepted(part):
    """Read by the grader's own parser: a gradient equals the reference; a condition is a multiple of one."""
    assert [t for t in PCA[part] if not _pca_accepts(part, t)] == []


def test_the_written_gradients_are_the_contracts():
    assert pca_autoencoder.WRITTEN_GRADIENTS["grad_W1"][0] in pca_autoencoder.accepted_texts()["grad_W1"]


RESNET = resnet_blog.accepted_texts()
FACT = {"baseline": facts.ACCEPTED_BASELINE_TIMES, "final": facts.ACCEPTED_FINAL_TIMES}


def _resnet_accepts(part: str, text: str) -> bool:
    value = re.sub(r"^(time_s|accuracy)\s*[:=]\s*", "", text)
    raw = float(value) if re.fullmatch(r"[\d.]+", value) else value
    if text.startswith("accuracy") or value.endswith(("%", "percent")) or re.fullmatch(r"0\.\d+", value):
        return facts.ACCURACY.accepts(parse_accuracy(raw)[0])
    return FACT[part].match(parse_time(raw)) is not None


@pytest.mark.parametrize("part", sorted(RESNET))
def test_each_listed_time_or_accuracy_is_accepted(part):
    assert [t for t in RESNET[part] if not _resnet_accepts(part, t)] == []


def test_the_token_lists_are_the_references():
    texts = seq2seq_translation.accepted_texts()
    assert texts["training_decoder_inputs"][0].split() == seq2seq_translation.TRAINING_DECODER_INPUTS
    assert texts["evaluation_decoder_inputs"][0].split() == seq2seq_translation.EVALUATION_DECODER_INPUTS


def test_each_listed_short_answer_is_accepted():
    texts = regularized_autoencoder.accepted_texts()
    value = lambda t: re.split(r"\s*[:=]\s*", t, maxsplit=1)[1]  # noqa: E731
    assert {normalize.layer_count(value(t)) for t in texts["num_linear_layers"]} == {2}
    assert {normalize.loss_name(value(t)) for t in texts["loss_function"]} == {"mseloss"}
    assert all(normalize.yes_no(value(t)) is True for t in texts["orthonormal_bias"])
    for t in texts["needed_to_optimize_exactly"]:
        choice = value(t) if t.startswith("needed") else t
        # The plain-text spellings a leak would take: the options joined by a comma, "and" or "+".
        chosen = {normalize.option_name(c) for c in re.split(r"\s*(?:,|\band\b|\+)\s*", choice)}
        assert chosen == normalize.NEEDED, t

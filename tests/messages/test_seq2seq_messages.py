"""Answer → exact student message, for the seq2seq claims."""
import pytest

from grader.errors import StudentFault
from problems.seq2seq_translation import checks
from tests.fakes import FakeAnswers


def Static(**values) -> FakeAnswers:
    """Answers given as Python values (no sandbox in message tests)."""
    return FakeAnswers(dict(values))


def message(claim, **values) -> str:
    with pytest.raises(StudentFault) as info:
        claim(Static(**values))
    return f"{info.value.kind}: {info.value.message}"


TRAIN = checks.training_inputs_are_the_reference_shifted_right
EVAL = checks.evaluation_inputs_are_the_models_own_outputs

TABLE = [
    (TRAIN, {"training_decoder_inputs": ("<sos>", "I", "see", "a")},
     "format: training_decoder_inputs: expected a list of strings, got a tuple of 4"),
    (TRAIN, {"training_decoder_inputs": ["<sos>", "I", "see", "a"]},
     "format: training_decoder_inputs: expected a list of 5 strings (w1 to w5), got a list of 4"),
    (TRAIN, {"training_decoder_inputs": ["<sos>", "I", 3, "a", "dog"]},
     "format: training_decoder_inputs[2]: expected a string, got an int (3)"),
    (TRAIN, {"training_decoder_inputs": ["<sos>", "I", "saw", "a", "dog"]},
     "wrong: training_decoder_inputs: these are the model's own sampled tokens. In training the decoder is fed "
     "the reference translation whatever it predicted (teacher forcing), so w3 is 'see'.\n"
     "expected: ['<sos>', 'I', 'see', 'a', 'dog']\ngot: ['<sos>', 'I', 'saw', 'a', 'dog']"),
    (TRAIN, {"training_decoder_inputs": ["<sos>", "I", "see", "a", "dog", "<EOS>"]},
     "wrong: training_decoder_inputs: <eos> is never an input to the decoder; it is the last token the decoder "
     "outputs. The five inputs end with the last word.\ngot: ['<sos>', 'I', 'see', 'a', 'dog', '<EOS>']"),
    (TRAIN, {"training_decoder_inputs": ["I", "see", "a", "dog", "<eos>"]},
     "wrong: training_decoder_inputs: the first input w1 is the start token <sos>; the decoder's inputs are its "
     "target tokens shifted right by one\nexpected: ['<sos>', 'I', 'see', 'a', 'dog']\n"
     "got: ['I', 'see', 'a', 'dog', '<eos>']"),
    (TRAIN, {"training_decoder_inputs": ["<sos>", "i", "see", "a", "dog"]},
     "wrong: training_decoder_inputs: w2 is 'i', expected 'I' (words compare exactly)\n"
     "expected: ['<sos>', 'I', 'see', 'a', 'dog']\ngot: ['<sos>', 'i', 'see', 'a', 'dog']"),
    (EVAL, {"evaluation_decoder_inputs": ["<sos>", "I", "see", "a", "dog"]},
     "wrong: evaluation_decoder_inputs: these are the reference tokens, which do not exist when translating new "
     "text. At evaluation the decoder is fed its own previous output, so w3 is 'saw'.\n"
     "expected: ['<sos>', 'I', 'saw', 'a', 'dog']\ngot: ['<sos>', 'I', 'see', 'a', 'dog']"),
    (EVAL, {}, "not_answered: evaluation_decoder_inputs is not answered (the submission does not define it)"),
    (checks.decoder_inputs_feeds_its_own_output_at_evaluation,
     {"decoder_inputs": lambda t, g, training: ["<sos>"] + t},
     "wrong: decoder_inputs(['I', 'see', 'a', 'dog'], ['I', 'saw', 'a', 'dog'], training=False) returned "
     "['<sos>', 'I', 'see', 'a', 'dog'], expected ['<sos>', 'I', 'saw', 'a', 'dog'] (evaluation: the decoder is "
     "fed what it generated)"),
    (checks.decoder_inputs_feeds_the_target_in_training,
     {"decoder_inputs": lambda t, g, training: tuple(t)},
     "format: decoder_inputs(['I', 'see', 'a', 'dog'], ['I', 'saw', 'a', 'dog'], training=True) should return a "
     "list of strings; it returned a tuple of 4"),
    (checks.vertical_stacking_answer_states_a_problem, {"vertical_stacking_problem": "it is bad"},
     "wrong: The answer is short (3 words; a sentence or two is asked for), but it is still an answer. Hint: the "
     "answer does not mention sentence lengths, alignment, word order or the decoder seeing only part of the source. "
     "The TA will read it."),
    (checks.vertical_stacking_answer_states_a_problem, {"vertical_stacking_problem": "word order differs"},
     "wrong: The answer is short (3 words; a sentence or two is asked for), but it is still an answer. The TA will "
     "read it."),
    (checks.vertical_stacking_answer_states_a_problem, {"vertical_stacking_problem": " ... "},
     "format: vertical_stacking_problem: expected a sentence or two stating a problem, got no words"),
]


@pytest.mark.parametrize("claim,values,expected", TABLE)
def test_message(claim, values, expected):
    assert message(claim, **values) == expected


def test_hidden_random_claim_reports_the_smallest_counterexample():
    import numpy as np

    def off_by_one(target, generated, training):
        seq = target if training else generated
        return ["<sos>"] + list(seq[:-1]) if seq else ["<sos>"]

    with pytest.raises(StudentFault) as info:
        checks.decoder_inputs_holds_for_any_sentences(Static(decoder_inputs=off_by_one), np.random.default_rng(0))
    assert info.value.message.endswith("smallest counterexample: decoder_inputs(['x'], ['y'], training=True)")

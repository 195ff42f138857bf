"""Answer → exact student message, for the seq2seq claims."""
import ast
import inspect

import pytest

from grader.errors import StudentFault
from problems.seq2seq_translation import checks, graded_checks
from tests.fakes import FakeAnswers


def Static(**values) -> FakeAnswers:
    """Answers given as Python values (no sandbox in message tests)."""
    return FakeAnswers(dict(values))


def message(claim, reveal=False, **values) -> str:
    """The claim's message for `values`; `reveal` as in a graded report after the due date (True) or a student's check."""
    kwargs = {"reveal": reveal} if "reveal" in inspect.signature(claim).parameters else {}
    with pytest.raises(StudentFault) as info:
        claim(Static(**values), **kwargs)
    return f"{info.value.kind}: {info.value.message}"


TRAIN = checks.training_inputs_are_the_reference_shifted_right
EVAL = checks.evaluation_inputs_are_the_models_own_outputs

# In a student's `grader check` (reveal False): what is wrong and why, never the accepted list.
TABLE = [
    (TRAIN, {"training_decoder_inputs": ("<sos>", "I", "see", "a")},
     "format: training_decoder_inputs: expected a list of strings, got a tuple of 4"),
    (TRAIN, {"training_decoder_inputs": ["<sos>", "I", "see", "a"]},
     "format: training_decoder_inputs: expected a list of 5 strings (w1 to w5), got a list of 4"),
    (TRAIN, {"training_decoder_inputs": ["<sos>", "I", 3, "a", "dog"]},
     "format: training_decoder_inputs[2]: expected a string, got an int (3)"),
    (TRAIN, {"training_decoder_inputs": ["<sos>", "I", "saw", "a", "dog"]},
     "wrong: training_decoder_inputs: these are not what the decoder is fed in training. In training the decoder "
     "is fed the reference translation, whatever it predicted (teacher forcing).\n"
     "got: ['<sos>', 'I', 'saw', 'a', 'dog']"),
    (TRAIN, {"training_decoder_inputs": ["<sos>", "I", "see", "a", "dog", "<EOS>"]},
     "wrong: training_decoder_inputs: <eos> is never an input to the decoder; it is the last token the decoder "
     "outputs. The five inputs end with the last word.\ngot: ['<sos>', 'I', 'see', 'a', 'dog', '<EOS>']"),
    (TRAIN, {"training_decoder_inputs": ["I", "see", "a", "dog", "<eos>"]},
     "wrong: training_decoder_inputs: the first input w1 is the start token <sos>; the decoder's inputs are its "
     "target tokens shifted right by one\ngot: ['I', 'see', 'a', 'dog', '<eos>']"),
    (TRAIN, {"training_decoder_inputs": ["<sos>", "i", "see", "a", "dog"]},
     "wrong: training_decoder_inputs: w2 ('i') is not the right input for that step (words compare exactly, "
     "case included)\ngot: ['<sos>', 'i', 'see', 'a', 'dog']"),
    (EVAL, {"evaluation_decoder_inputs": ["<sos>", "I", "see", "a", "dog"]},
     "wrong: evaluation_decoder_inputs: these are not what the decoder is fed at evaluation. At evaluation there "
     "is no reference translation: the decoder is fed its own previous output.\n"
     "got: ['<sos>', 'I', 'see', 'a', 'dog']"),
    (EVAL, {}, "not_answered: evaluation_decoder_inputs is not answered (the submission does not define it)"),
    (checks.decoder_inputs_feeds_its_own_output_at_evaluation,
     {"decoder_inputs": lambda t, g, training: ["<sos>"] + t},
     "wrong: decoder_inputs(['the', 'cat', 'sat', 'down'], ['a', 'cat', 'sat'], training=False) returned "
     "['<sos>', 'the', 'cat', 'sat', 'down'], expected ['<sos>', 'a', 'cat', 'sat'] (evaluation: the decoder is "
     "fed what it generated)"),
    (checks.decoder_inputs_feeds_the_target_in_training,
     {"decoder_inputs": lambda t, g, training: tuple(t)},
     "format: decoder_inputs(['the', 'cat', 'sat', 'down'], ['a', 'cat', 'sat'], training=True) should return a "
     "list of strings; it returned a tuple of 4"),
    (checks.vertical_stacking_answer_states_a_problem, {"vertical_stacking_problem": "it is bad"},
     "wrong: The answer is short (3 words; a sentence or two is asked for), but it is still an answer. The TA will "
     "read it."),
    (checks.vertical_stacking_answer_states_a_problem, {"vertical_stacking_problem": "word order differs"},
     "wrong: The answer is short (3 words; a sentence or two is asked for), but it is still an answer. The TA will "
     "read it."),
    (checks.vertical_stacking_answer_states_a_problem, {"vertical_stacking_problem": " ... "},
     "format: vertical_stacking_problem: expected a sentence or two stating a problem, got no words"),
]

# In a graded report after the due date (reveal True): the same faults, now with the accepted list.
GRADED_TABLE = [
    (TRAIN, {"training_decoder_inputs": ["<sos>", "I", "saw", "a", "dog"]},
     "wrong: training_decoder_inputs: these are the model's own sampled tokens. In training the decoder is fed "
     "the reference translation, whatever it predicted (teacher forcing), so w3 is 'see'.\n"
     "expected: ['<sos>', 'I', 'see', 'a', 'dog']\ngot: ['<sos>', 'I', 'saw', 'a', 'dog']"),
    (TRAIN, {"training_decoder_inputs": ["I", "see", "a", "dog", "<eos>"]},
     "wrong: training_decoder_inputs: the first input w1 is the start token <sos>; the decoder's inputs are its "
     "target tokens shifted right by one\nexpected: ['<sos>', 'I', 'see', 'a', 'dog']\n"
     "got: ['I', 'see', 'a', 'dog', '<eos>']"),
    (TRAIN, {"training_decoder_inputs": ["<sos>", "i", "see", "a", "dog"]},
     "wrong: training_decoder_inputs: w2 is 'i', expected 'I' (words compare exactly)\n"
     "expected: ['<sos>', 'I', 'see', 'a', 'dog']\ngot: ['<sos>', 'i', 'see', 'a', 'dog']"),
    (EVAL, {"evaluation_decoder_inputs": ["<sos>", "I", "see", "a", "dog"]},
     "wrong: evaluation_decoder_inputs: these are the reference tokens, which do not exist when translating new "
     "text. At evaluation there is no reference translation: the decoder is fed its own previous output, so w3 "
     "is 'saw'.\nexpected: ['<sos>', 'I', 'saw', 'a', 'dog']\ngot: ['<sos>', 'I', 'see', 'a', 'dog']"),
]


@pytest.mark.parametrize("claim,values,expected", GRADED_TABLE)
def test_graded_message_names_the_accepted_answer(claim, values, expected):
    assert message(claim, reveal=True, **values) == expected


@pytest.mark.parametrize("claim,values,expected", TABLE)
def test_message(claim, values, expected):
    assert message(claim, **values) == expected


def hidden(fn) -> str:
    import numpy as np

    with pytest.raises(StudentFault) as info:
        graded_checks.decoder_inputs_holds_for_any_sentences(Static(decoder_inputs=fn), np.random.default_rng(0))
    return info.value.message


def test_hidden_random_claim_reports_the_smallest_counterexample():
    def off_by_one(target, generated, training):
        seq = target if training else generated
        return ["<sos>"] + list(seq[:-1]) if seq else ["<sos>"]

    # (['x'], ['y']) fails first; dropping the unused 'y' still fails, so the call reported is smaller still.
    assert hidden(off_by_one).endswith("smallest counterexample: decoder_inputs(['x'], [], training=True)")


def test_a_failure_only_on_long_inputs_is_shrunk_to_the_smallest_call_in_full():
    """Only the random sentences fail; the case reported is cut down to three tokens, its call valid Python."""
    def drops_the_third_word(target, generated, training):
        seq = list(target if training else generated)
        return ["<sos>"] + seq[:2] + seq[3:]

    text = hidden(drops_the_third_word)
    call = text.rsplit("smallest counterexample: ", 1)[1]
    target, generated, training = ast.literal_eval(call.replace("decoder_inputs(", "(").replace("training=", ""))
    assert len(target if training else generated) == 3 and len(target if not training else generated) == 0
    assert drops_the_third_word(target, generated, training) != ["<sos>"] + (target if training else generated)
    assert text.startswith("wrong on ") and f"{call} returned " in text

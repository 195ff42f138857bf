"""Answers of the wrong form: a tuple of 4, a str subclass, a function returning a tuple."""


class Token(str):
    """A str subclass: not accepted as a string."""


vertical_stacking_problem = 42
training_decoder_inputs = ("<sos>", "I", "see", "a")
evaluation_decoder_inputs = [Token("<sos>"), "I", "saw", "a", "dog"]


def decoder_inputs(target, generated, training):
    return tuple(["<sos>"] + list(target if training else generated))

"""Correct token lists; decoder_inputs raises for evaluation."""

vertical_stacking_problem = "Step t of the decoder cannot see the words after t in the source sentence."
training_decoder_inputs = ["<sos>", "I", "see", "a", "dog"]
evaluation_decoder_inputs = ["<sos>", "I", "saw", "a", "dog"]


def decoder_inputs(target, generated, training):
    if not training:
        raise NotImplementedError("evaluation not done yet")
    return ["<sos>"] + list(target)

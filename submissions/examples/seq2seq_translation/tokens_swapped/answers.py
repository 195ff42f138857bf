"""Training and evaluation tokens swapped; decoder_inputs swapped the same way."""

vertical_stacking_problem = "The decoder would only see part of the source sentence at each step."
training_decoder_inputs = ["<sos>", "I", "saw", "a", "dog"]
evaluation_decoder_inputs = ["<sos>", "I", "see", "a", "dog"]


def decoder_inputs(target, generated, training):
    return ["<sos>"] + list(generated if training else target)

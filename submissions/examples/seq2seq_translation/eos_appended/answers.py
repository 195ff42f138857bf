"""The end token fed to the decoder as a sixth input, and <sos> missing from the function."""

vertical_stacking_problem = "Source and target sentences can have different lengths, so steps do not align."
training_decoder_inputs = ["<sos>", "I", "see", "a", "dog", "<eos>"]
evaluation_decoder_inputs = ["< SOS >", "I", "saw", "a", "dog"]


def decoder_inputs(target, generated, training):
    return list(target if training else generated) + ["<eos>"]

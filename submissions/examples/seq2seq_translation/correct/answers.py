"""A complete, correct seq2seq submission."""

vertical_stacking_problem = (
    "The source and target sentences usually have different lengths and word orders, so decoder step t "
    "has no reason to line up with encoder step t; the decoder also cannot use the source words after t."
)
training_decoder_inputs = ["<sos>", "I", "see", "a", "dog"]
evaluation_decoder_inputs = ["<SOS>", "I", "saw", "a", "dog"]


def decoder_inputs(target, generated, training):
    """Teacher forcing in training, the model's own output at evaluation."""
    return ["<sos>"] + list(target if training else generated)

"""A submission whose top level raises: every part is not answered, the error is shown."""

training_decoder_inputs = ["<sos>", "I", "see", "a", "dog"]
evaluation_decoder_inputs = ["<sos>", "I", "saw", "a", "dog"]
tokens = training_decoder_inputs[7]  # IndexError at import time

"""Machine translation with an RNN encoder-decoder: what the decoder is fed."""
from grader.problem import Part, Problem, Recognize

PROBLEM = Problem(
    name="seq2seq_translation",
    title="Seq2seq machine translation: teacher forcing",
    parts=(
        Part("vertical_stacking_problem", points=4, answer="free response (a string)", kind="manual",
             rubric="Names one real problem with feeding encoder state h_t into decoder step t, e.g.: source and "
                    "target sentences have different lengths and word orders, so step t of the output has no "
                    "reason to align with word t of the input; the decoder at step t has only read the first t "
                    "source words and cannot use the rest of the sentence. 4 points for a correct problem with a "
                    "reason, 2 for a problem named without a reason."),
        Part("training_decoder_inputs", points=3, answer="list of 5 strings"),
        Part("evaluation_decoder_inputs", points=3, answer="list of 5 strings"),
        Part("decoder_inputs", points=4, answer="function (target, generated, training) -> list of strings",
             kind="function"),
    ),
    recognize=Recognize(
        topics=(r"machine\s+translation", r"encoder[- ]decoder", r"seq2seq|sequence[- ]to[- ]sequence",
                r"teacher[- ]forcing", r"<\s*sos\s*>|&lt;\s*sos|\bSOS\b", r"\btokens?\b", r"\btranslat", r"\bRNN\b",
                r"autoregressive", r"vertical(?:ly)?\s+stack"),
        headings=(r"machine\s+translation", r"encoder[- ]decoder", r"seq2seq", r"teacher[- ]forcing",
                  r"(?:training|evaluation|decoder)\s+(?:time\s+)?(?:tokens|inputs)"),
        parts=("a", "b", "c"),
    ),
)

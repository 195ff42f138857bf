"""The l2-regularized linear autoencoder: short answers, a PyTorch model, and a trainer checked against the closed form.

The checks are in checks.py; the closed form is in reference/regularized_autoencoder.py.
"""
from grader.problem import Part, Problem, Recognize

PROBLEM = Problem(
    name="regularized_autoencoder",
    title="An l2-regularized linear autoencoder trained with SGD",
    parts=(
        Part("num_linear_layers", points=1, answer="int"),
        Part("loss_function", points=1, answer="string naming a torch.nn loss, e.g. \"nn.L1Loss\""),
        Part("needed_to_optimize_exactly", points=5,
             answer="list of strings out of: Weight Decay, Dropout, Layer Norm, Batch Norm, SGD optimizer"),
        Part("orthonormal_bias", points=1, answer="\"yes\" or \"no\""),
        Part("orthonormal_argument", points=4, answer="free response", kind="manual",
             rubric="Full credit: writes ||W||_F^2 as the sum of squared singular values; notes that for a fixed "
                    "product W2 W1 the penalty lam(||W1||^2 + ||W2||^2) is smallest when the factors are balanced "
                    "(equal singular values, by AM-GM: a^2 + b^2 >= 2ab); and concludes that since W2 W1 should "
                    "be close to a rank-k projection (singular values 1) when lam is small, the singular values of "
                    "W2 are sqrt(1 - lam/s_i), close to 1, so its columns are nearly orthonormal. "
                    "Half credit: the right conclusion with only the balancing idea, or only the closed form. "
                    "No credit: 'no', or an argument resting on weight decay alone shrinking weights."),
        Part("build_model", points=3, answer="function (m, k) -> torch.nn.Module", kind="function"),
        Part("train", points=10, answer="function (X, k, lam) -> (W1, W2) arrays of shapes (k, m) and (m, k)",
             kind="function"),
    ),
    needs_torch=True,
    recognize=Recognize(
        topics=(r"regulari[sz]", r"weight[ _-]?decay", r"\\lambda|λ", r"\\ell_?\{?2\}?|ℓ\s*_?\s*2|\bl2\b",
                r"linear\s+layers?", r"MSELoss|L1Loss|CrossEntropyLoss", r"\bdropout\b", r"\b(?:layer|batch)\s*norm",
                r"orthonormal", r"inductive\s+bias", r"self-supervised", r"\bSGD\b"),
        headings=(r"regulari[sz]ed", r"self-supervised", r"\bl2\b|ℓ\s*_?\s*2|\\ell_?\{?2", r"orthonormal columns"),
        parts=("a", "b", "i", "ii", "iii"),
    ),
)

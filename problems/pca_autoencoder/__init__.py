"""Q3b: PCA and linear autoencoders — gradients, first-order conditions and the PCA solution."""
from grader.problem import Part, Problem, Recognize

PROBLEM = Problem(
    name="pca_autoencoder",
    title="PCA and linear autoencoders",
    parts=(
        Part("grad_W1", points=3, answer="string: a matrix expression in W1, W2, X, I (plain or LaTeX)"),
        Part("grad_W2", points=3, answer="string: a matrix expression in W1, W2, X, I (plain or LaTeX)"),
        Part("first_order_conditions", points=4, answer='list of 2 strings, each "lhs = rhs"'),
        Part("pca_weights", points=4, answer="function (X, k) -> (W1, W2) arrays", kind="function"),
        Part("pca_argument", points=4, answer="free response", kind="manual",
             rubric=(
                 "Full credit: substitutes W1 = U_kᵀ, W2 = U_k into both first-order conditions and "
                 "shows each side agrees, using U_kᵀU_k = I_k and XXᵀU_k = U_kΛ_k (so U_kU_kᵀXXᵀU_k = XXᵀU_k). "
                 "Deduct 1 for using orthonormality without saying so, 1 for checking only one condition, "
                 "2 for asserting the result without the eigenvector equation. "
                 "A remark that this shows a critical point (not yet the minimum) is a plus, not required."
             )),
        # Read from chat transcripts only: each derivation step the chat writes, checked. Worth 0 points unless a
        # course config gives the part some ([points] "pca_autoencoder.derivations" = N, shared by its checks).
        # Only a chat has derivation steps: for code the part is "not attempted", never a failed check, and points a
        # course gives it (course.toml [points]) come on top of the total, as extra credit.
        Part("derivations", points=0, answer="derivation steps written in a chat transcript (checked step by step)",
             optional=True),
    ),
    needs_torch=False,
    recognize=Recognize(
        topics=(r"\bPCA\b", r"principal\s+(?:component|direction|subspace)", r"first[- ]order", r"optimality\s+condition",
                r"U_\{?k\}?", r"eigenvectors?", r"\bSVD\b", r"critical point"),
        headings=(r"\bPCA\b", r"principal component", r"learning without labels", r"question\s*3\s*\(?\s*b\b"),
        parts=("b", "i", "ii"),
    ),
)

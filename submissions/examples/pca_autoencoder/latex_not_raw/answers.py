"""Q3b in LaTeX in ordinary (non-raw) strings: Python turns backslash-t, -f, -r into control characters; still read right."""
import numpy as np

grad_W1 = "2W_2^\top \left(W_2 W_1 - I\right) X X^\top"  # noqa: W605 (the point of this example)
grad_W2 = "\frac{4}{2} (W_2 W_1 - I) X X^\top W_1^\top"  # noqa: W605
first_order_conditions = [
    "W_2^\top W_2 W_1 X X^\top = W_2^\top X X^\top",
    "W_2 W_1 X X^\top W_1^\top = X X^\top W_1^\top",
]


def pca_weights(X, k):
    """Top-k eigenvectors of X X^T."""
    vals, vecs = np.linalg.eigh(X @ X.T)
    top = vecs[:, np.argsort(vals)[::-1][:k]]
    return top.T, top


pca_argument = (
    "With W1 = U_k^T and W2 = U_k, orthonormal columns give U_k^T U_k = I_k and the eigenvector equation "
    "X X^T U_k = U_k Lambda_k turns both sides of each condition into the same matrix, so both hold."
)

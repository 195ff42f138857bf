"""Q3b: expanded gradients, conditions transposed, rescaled and in the other order; PCA by SVD with flipped signs."""
import numpy as np

grad_W1 = "-2 W2' X X' + 2 W2' W2 W1 X X'"
grad_W2 = r"-2XX^\top W_1^\top + 2W_2 W_1 X X^\top W_1^\top"
first_order_conditions = [
    "W1 X X^T (W1^T W2^T - I) = 0",
    "-1/2 * X X^T (W1^T W2^T - I) W2 = 0",
]


def pca_weights(X, k):
    """Left singular vectors of X (signs flipped: any sign is a valid answer)."""
    U, _, _ = np.linalg.svd(X, full_matrices=False)
    Uk = -U[:, :k]
    return Uk.T, Uk

pca_argument = (
    "Take W1 = U_k^T and W2 = U_k. Since the columns of U_k are orthonormal, U_k^T U_k = I_k, so the first "
    "condition W2^T W2 W1 X X^T = W2^T X X^T reduces to U_k^T X X^T on both sides. For the second, "
    "X X^T U_k = U_k Lambda_k because the columns are eigenvectors, so U_k U_k^T X X^T U_k = U_k Lambda_k = "
    "X X^T U_k, which is exactly W2 W1 X X^T W1^T = X X^T W1^T."
)

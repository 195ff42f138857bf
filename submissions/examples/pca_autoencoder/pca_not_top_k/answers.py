"""Q3b, but pca_weights keeps the k eigenvectors with the SMALLEST eigenvalues."""
import numpy as np

grad_W1 = "2*W2.T*(W2*W1 - I)*X*X.T"
grad_W2 = "2*(W2*W1 - I)*X*X.T*W1.T"
first_order_conditions = ["W2.T*(W2*W1 - I)*X*X.T = 0", "(W2*W1 - I)*X*X.T*W1.T = 0"]


def pca_weights(X, k):
    """Eigenvectors of X X^T, but the bottom k (eigh sorts ascending)."""
    _, vecs = np.linalg.eigh(X @ X.T)
    low = vecs[:, :k]
    return low.T, low

pca_argument = (
    "Take W1 = U_k^T and W2 = U_k. Since the columns of U_k are orthonormal, U_k^T U_k = I_k, so the first "
    "condition W2^T W2 W1 X X^T = W2^T X X^T reduces to U_k^T X X^T on both sides. For the second, "
    "X X^T U_k = U_k Lambda_k because the columns are eigenvectors, so U_k U_k^T X X^T U_k = U_k Lambda_k = "
    "X X^T U_k, which is exactly W2 W1 X X^T W1^T = X X^T W1^T."
)

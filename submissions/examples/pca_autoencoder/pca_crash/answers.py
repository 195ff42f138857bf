"""Q3b where pca_weights raises, and the argument is left out."""
import numpy as np

grad_W1 = "2*W2.T*(W2*W1 - I)*X*X.T"
grad_W2 = "2*(W2*W1 - I)*X*X.T*W1.T"
first_order_conditions = ["W2.T*(W2*W1 - I)*X*X.T = 0", "(W2*W1 - I)*X*X.T*W1.T = 0"]


def pca_weights(X, k):
    """Forgets that eigh returns a pair."""
    vecs = np.linalg.eigh(X @ X.T)
    return vecs[:, -k:].T, vecs[:, -k:]

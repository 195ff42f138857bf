"""Planted submissions for the similarity tests: a copy with renamed variables and reordered functions, independent
solutions, a shared wrong gradient, a lightly reworded essay."""

# The original.
ALICE = '''"""Alice's HW7."""
import numpy as np

grad_W1 = "2*W2.T*(W2*W1 - I)*X*X.T"
grad_W2 = "2*(W2*W1 - I)*X*X.T*W1.T"


def decoder_inputs(target, generated, training):
    """Teacher forcing while training."""
    previous = target if training else generated
    shifted = ["<sos>"]
    for word in previous:
        shifted.append(word)
    return shifted[:len(previous)]


def pca_weights(X, k):
    covariance = X @ X.T
    values, vectors = np.linalg.eigh(covariance)
    order = np.argsort(values)[::-1]
    top = vectors[:, order[:k]]
    encoder = top.T.copy()
    decoder = top.copy()
    return encoder, decoder


def _check_shapes(encoder, decoder, m, k):
    assert encoder.shape == (k, m), encoder.shape
    assert decoder.shape == (m, k), decoder.shape
    return True
'''
# ALICE copied: every name of her own renamed, the functions and answers reordered, a comment added.
MALLORY = '''import numpy as np

# my own work
def sanity(enc, dec, rows, cols):
    assert enc.shape == (cols, rows), enc.shape
    assert dec.shape == (rows, cols), dec.shape
    return True


def pca_weights(data, num):
    cov = data @ data.T   # covariance
    evals, evecs = np.linalg.eigh(cov)
    idx = np.argsort(evals)[::-1]
    best = evecs[:, idx[:num]]
    w1 = best.T.copy()
    w2 = best.copy()
    return w1, w2


def decoder_inputs(tgt, gen, train):
    src = tgt if train else gen
    out = ["<SOS>"]
    for tok in src:
        out.append(tok)
    return out[:len(src)]

grad_W2 = "2*(W2*W1 - I)*X*X.T*W1.T"
grad_W1 = "2*W2.T*(W2*W1 - I)*X*X.T"
'''
# Two independent correct solutions (their right answers written differently or not).
BOB = '''import numpy as np

grad_W1 = "2 * W2.T @ (W2 @ W1 - I) @ X @ X.T"
grad_W2 = "2*(W2@W1 - I)@X@X.T@W1.T"

def decoder_inputs(target, generated, training):
    tokens = list(target) if training else list(generated)
    return ["<sos>"] + tokens[:-1]

def pca_weights(X, k):
    u, s, vt = np.linalg.svd(X, full_matrices=False)
    basis = u[:, :k]
    return basis.T, basis
'''
CAROL = '''import numpy as np
from numpy.linalg import eigh

def pca_weights(X, k):
    """Eigenvectors of the scatter matrix, largest first."""
    lam, U = eigh(X.dot(X.T))
    picked = U[:, lam.argsort()[-k:][::-1]]
    return picked.T, picked

def decoder_inputs(target, generated, training):
    if training:
        return ["<sos>", *target[:-1]]
    return ["<sos>", *generated[:-1]]

grad_W1 = "2*W2.T*(W2*W1*X - X)*X.T"
grad_W2 = "2*(W2*W1*X - X)*X.T*W1.T"
'''
# DAVE and ERIN give the same wrong grad_W1 (spaced differently); their code is their own.
DAVE = '''import numpy as np
grad_W1 = "-2*W2.T*(I - W2*W1)*X*X.T + W1"
grad_W2 = "2 * (W2*W1 - I) * X * X.T * W1.T"
def decoder_inputs(target, generated, training):
    seq = target if training else generated
    return ["<sos>"] + [w for w in seq][:-1]
def pca_weights(X, k):
    C = np.cov(X)
    w, v = np.linalg.eigh(C)
    v = v[:, ::-1][:, :k]
    return v.T, v
'''
ERIN = '''import numpy as np
grad_W1 = "-2*W2.T * (I - W2*W1) * X*X.T + W1"
def pca_weights(X, k):
    U, S, V = np.linalg.svd(X @ X.T)
    return U[:, :k].T, U[:, :k]
def decoder_inputs(target, generated, training):
    out = ["<sos>"]
    out.extend((target if training else generated)[:-1])
    return out
'''
# resnet_blog.learned: an essay, the same lightly reworded, and another student's own on the same topic.
ESSAY = ("Most of the speed-up in the series came from removing waste rather than from clever new ideas. "
         "The authors profiled each run and found time lost to data loading, to repeated preprocessing and to "
         "a network wider and deeper than the task needed. I also learned that hyperparameters are coupled: "
         "when the batch size grows, the learning rate and weight decay have to be rescaled together, or training "
         "becomes unstable. This matters beyond the benchmark because any project I train will waste time the same way.")
REWORDED = ("Most of the speed-up in this blog series came from removing waste, not from clever new ideas. "
            "The author profiled every run and found time lost to data loading, to repeated preprocessing and to "
            "a network deeper and wider than the task required. I also learnt that the hyperparameters are coupled: "
            "if the batch size grows, the learning rate and the weight decay must be rescaled together, or the training "
            "becomes unstable. It matters beyond this benchmark since every project I train will waste time in the same way.")
OTHER = ("The thing I learned is that a ResNet can be trained much faster on one GPU than I assumed. Label smoothing, "
         "test-time augmentation with flips and a smaller 9-layer network each cut the time, and the learning rate "
         "schedule had to be tuned for the larger batch. I will profile my own training loops from now on, because "
         "the data loader was the slowest part of the baseline and I would never have guessed that.")

# A template that hands out real code: every student keeps its helpers.
TEMPLATE = '''"""HW7 answers."""
import numpy as np


def check_shapes(W1, W2, m, k):
    """Raise if the weights do not have the shapes the autograder expects."""
    if W1.shape != (k, m) or W2.shape != (m, k):
        raise ValueError(f"expected W1 {(k, m)} and W2 {(m, k)}, got {W1.shape} and {W2.shape}")
    return W1, W2


def reconstruction_error(X, W1, W2):
    """The mean squared error of the autoencoder W2 W1 on the columns of X."""
    residual = X - W2 @ (W1 @ X)
    return float(np.mean(residual ** 2))


def toy_data(m=6, n=40, seed=0):
    """A small centred data set with a decaying spectrum, to try pca_weights on."""
    rng = np.random.default_rng(seed)
    scales = np.linspace(3.0, 0.1, m)[:, None]
    X = rng.normal(size=(m, n)) * scales
    return X - X.mean(axis=1, keepdims=True)

# def pca_weights(X, k): ...
'''

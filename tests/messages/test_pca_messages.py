"""pca_autoencoder: what a student reads for each kind of answer (exact messages)."""
import pytest

from problems.pca_autoencoder import checks as C
from tests.unit.test_pca_checks import (
    FakeAnswers, pca_bottom, pca_gram_of_samples, pca_mixed, pca_random_orthonormal, pca_zero, run_claim,
)

# (claim, answers, the exact message); pca claims use the generator seeded with 0.
MESSAGES = [
    (C.grad_w1_equals_the_true_gradient, {'grad_W1': 'W2.T*(W2*W1 - I)*X*X.T'},
     'off by a factor of 1/2: yours equals 1/2 × ∂L/∂W1\ngot: W2.T*(W2*W1 - I_m)*X*X.T'),
    (C.grad_w2_equals_the_true_gradient, {'grad_W2': '2*(I - W2*W1)*X*X.T*W1.T'},
     'a sign error: yours equals −∂L/∂W2\ngot: 2*(I_m - W2*W1)*X*X.T*W1.T'),
    (C.grad_w2_equals_the_true_gradient, {'grad_W2': '-4*(W2*W1 - I)*X*X.T*W1.T'},
     'off by a factor of -2: yours equals -2 × ∂L/∂W2\ngot: -4*(W2*W1 - I_m)*X*X.T*W1.T'),
    (C.grad_w1_is_shaped_like_w1, {'grad_W1': '2*X*X.T*(W1.T*W2.T - I)*W2'},
     '∂L/∂W1 has the shape of W1, k×m; yours is m×k — a transpose?\nyour expression is the transpose of ∂L/∂W1'),
    (C.grad_w1_is_shaped_like_w1, {'grad_W1': '2*W2.T*(W2*W1 - I)*X.T*X'},
     "these matrices cannot be multiplied: 'W2.T*(W2*W1 - I)' is k×m but 'X.T' is n×m (m columns against n rows)\n  2*W2.T*(W2*W1 - I)*X.T*X\n                     ^\nit has XᵀX where XXᵀ belongs: fixed, it equals ∂L/∂W1"),
    (C.grad_w1_is_shaped_like_w1, {'grad_W1': '2*(W2*W1 - I)*X*X.T*W1.T'},
     '∂L/∂W1 has the shape of W1, k×m; yours is m×k — a transpose?\nyour expression equals ∂L/∂W2: did you mix up the two gradients?'),
    (C.grad_w1_is_shaped_like_w1, {'grad_W1': '2*W1.T*(W1*W2 - I)*X*X.T'},
     "these matrices cannot be multiplied: 'W1.T*(W1*W2 - I)' is m×k but 'X' is m×n (k columns against m rows)\n  2*W1.T*(W1*W2 - I)*X*X.T\n                     ^\nW1 and W2 are swapped: fixed, it equals ∂L/∂W1"),
    (C.grad_w1_equals_the_true_gradient, {'grad_W1': '2*(W2*W1 - I)*X*X.T*W1.T'},
     '∂L/∂W1 has the shape of W1, k×m; yours is m×k — a transpose?\nyour expression equals ∂L/∂W2: did you mix up the two gradients?'),
    (C.grad_w1_is_shaped_like_w1, {'grad_W1': '2*W2.T*(W2*W1 - I*X*X.T'},
     "cannot read this expression: it ends too early\n  2*W2.T*(W2*W1 - I*X*X.T\n                         ^\nexpected: ')'"),
    (C.grad_w1_is_shaped_like_w1, {'grad_W1': '2W_2^\\top (W_2 W_1 - I) X X^\\top W_2'},
     '∂L/∂W1 has the shape of W1, k×m; yours is k×k'),
    (C.grad_w1_is_shaped_like_w1, {'grad_W1': r'\text{tr}(W_1 X X^\top W_2)'},
     '∂L/∂W1 has the shape of W1, k×m; yours is a number (a trace is a number): is this the loss rather than its gradient?'),
    (C.grad_w1_is_shaped_like_w1, {'grad_W1': 'tr(W1 X) * W2.T'},
     "the trace needs a square matrix, but 'W1 X' is k×n\n  tr(W1 X) * W2.T\n     ^"),
    (C.grad_w1_equals_the_true_gradient, {'grad_W1': 'W1 + W2.T'},
     'your expression does not equal ∂L/∂W1\ngot: W1 + W2.T\nsmallest counterexample:\nm=2, n=3, k=1\nimport numpy as np\nW1 = np.array([[0, 0]])\nW2 = np.array([[0], [1]])\nX = np.array([[0, 0, 0], [0, 0, 0]])\nyours gives [[0, 1]]; ∂L/∂W1 is [[0, 0]]'),
    (C.grad_w1_equals_the_true_gradient, {'grad_W1': '0*W1'},
     'your expression is zero for every W1, W2 and X; ∂L/∂W1 is not\ngot: 0*W1'),
    (C.one_condition_is_the_gradient_in_w2_vanishing, {'first_order_conditions': ['W2.T*(W2*W1 - I)*X*X.T = 0', 'W2.T*(W2*W1 - I)*X*X.T = 0']},
     'neither condition is equivalent to ∂L/∂W2 = 0 (the gradient with respect to W2 vanishes)\ncondition 1 is equivalent to ∂L/∂W1 = 0\ncondition 2 is equivalent to ∂L/∂W1 = 0'),
    (C.one_condition_is_the_gradient_in_w2_vanishing, {'first_order_conditions': ['W2.T*(W2*W1 - I)*X*X.T = 0', '(W2*W1 - I)*X.T*X*W1.T = 0']},
     "condition 2: these matrices cannot be multiplied: '(W2*W1 - I)' is m×m but 'X.T' is n×m (m columns against n rows)\n  (W2*W1 - I)*X.T*X*W1.T = 0\n              ^\nit has XᵀX where XXᵀ belongs: fixed, it equals 1/2 × ∂L/∂W2"),
    (C.one_condition_is_the_gradient_in_w2_vanishing, {'first_order_conditions': ['W2.T*(W2*W1 - I)*X*X.T = 0', 'tr((W2*W1 - I)*X*X.T*W1.T*W2.T) = 0']},
     'condition 2: this condition compares numbers; it should compare matrices\n  tr((W2*W1 - I)*X*X.T*W1.T*W2.T) = 0'),
    (C.one_condition_is_the_gradient_in_w1_vanishing, {'first_order_conditions': ['W1 = W1', 'W2 W1 X = X']},
     'neither condition is equivalent to ∂L/∂W1 = 0 (the gradient with respect to W1 vanishes)\ncondition 1 holds for every W1, W2 and X, so it says nothing\ncondition 2 is m×n; a first-order condition is shaped like W1 or W2 (or their transposes)'),
    (C.one_condition_is_the_gradient_in_w1_vanishing, {'first_order_conditions': ['W2.T*(W2*W1 - I)*X*X.T', 'W1 = W2.T = 0']},
     "condition 1: a condition needs the form 'lhs = rhs'; there is no '='\n  W2.T*(W2*W1 - I)*X*X.T\n                        ^\ncondition 2: a condition has exactly one '='; this is a second one\n  W1 = W2.T = 0\n            ^"),
    (C.one_condition_is_the_gradient_in_w1_vanishing, {'first_order_conditions': ['W2.T*(W2*W1 - I)*X*X.T = 0']},
     'first_order_conditions: expected a list of 2 strings, got a list of 1'),
    (C.pca_weights_reaches_the_minimum_loss, {'pca_weights': pca_bottom},
     'these are eigenvectors of XXᵀ, but not the top 1: they capture the eigenvalues [0] where the top 1 are [1]; the loss is higher by 1 (the minimum is 0)\nsmallest counterexample:\nimport numpy as np\nX = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])\nW1, W2 = pca_weights(X, 1)'),
    (C.pca_weights_are_orthonormal_and_tied, {'pca_weights': pca_mixed},
     'this is a minimum, but not the orthonormal one: W1 = A U_kᵀ and W2 = U_k A⁻¹ with A having singular values [1.618, 0.618]; PCA takes A orthogonal (W2 = W1ᵀ = U_k up to signs)\nsmallest counterexample:\nimport numpy as np\nX = np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, -1.0], [0.0, -1.0, 0.0, 1.0]])\nW1, W2 = pca_weights(X, 2)'),
    (C.pca_weights_returns_matrices_of_the_right_shapes, {'pca_weights': pca_gram_of_samples},
     'for X of shape 2×3 (m=2 features, n=3 samples) and k=1, W1 should be 1×2 and W2 2×1; yours are 1×3 and 3×1\nthey are n-dimensional: eigenvectors of XᵀX (n×n) instead of XXᵀ (m×m)? The columns of X are the samples\nsmallest counterexample:\nimport numpy as np\nX = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])\nW1, W2 = pca_weights(X, 1)'),
    (C.pca_argument_is_a_written_argument, {'pca_argument': 'eigenvectors'},
     'the argument is short: it has 1 word, and at least 10 are expected. It is still an answer: a TA will read '
     'and score it.'),
    (C.pca_argument_is_a_written_argument, {'pca_argument': '$$ = $$'},
     'the argument has no words; write at least 10'),
    (C.grad_w1_equals_the_true_gradient, {'grad_W1': '2*X*X.T*(W1.T*W2.T - I)*W2'},
     'a transpose: yours equals the transpose of ∂L/∂W1, which is m×k; ∂L/∂W1 has the shape of W1, k×m\ngot: 2*X*X.T*(W1.T*W2.T - I_m)*W2'),
    (C.grad_w1_equals_the_true_gradient, {'grad_W1': 'X*X.T*(W1.T*W2.T - I)*W2'},
     'a transpose: yours equals the transpose of 1/2 × ∂L/∂W1, which is m×k; ∂L/∂W1 has the shape of W1, k×m\ngot: X*X.T*(W1.T*W2.T - I_m)*W2'),
    (C.grad_w1_equals_the_true_gradient, {'grad_W1': 'W2.T'},
     'your expression does not equal ∂L/∂W1\ngot: W2.T\nsmallest counterexample:\nm=2, n=3, k=1\nimport numpy as np\nW1 = np.array([[0, 0]])\nW2 = np.array([[0], [1]])\nX = np.array([[0, 0, 0], [0, 0, 0]])\nyours gives [[0, 1]]; ∂L/∂W1 is [[0, 0]]'),
    (C.pca_weights_is_a_critical_point, {'pca_weights': pca_zero},
     "the gradients vanish, but W2 has rank 0 < k = 1: a rank-deficient critical point (W1 = W2 = 0 is one for any X) says nothing about PCA; PCA's critical points have rank k\nsmallest counterexample:\nimport numpy as np\nX = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])\nW1, W2 = pca_weights(X, 1)"),
    (C.pca_weights_are_orthonormal_and_tied, {'pca_weights': pca_random_orthonormal},
     'W2 = W1ᵀ with orthonormal columns, but not eigenvectors of XXᵀ: the gradients do not vanish there, so this is not a PCA solution\nsmallest counterexample:\nimport numpy as np\nX = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])\nW1, W2 = pca_weights(X, 1)'),
]


@pytest.mark.parametrize("fn,answers,message", MESSAGES,
                         ids=[f"{fn.__name__}-{i}" for i, (fn, _, _) in enumerate(MESSAGES)])
def test_student_reads_exactly(fn, answers, message):
    fraction, got = run_claim(fn, FakeAnswers(answers), seed=0)
    assert fraction == 0
    assert got == message

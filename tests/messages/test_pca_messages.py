"""pca_autoencoder: what a student reads for each kind of answer (exact messages)."""
import pytest

from problems.pca_autoencoder import checks as C
from tests.unit.test_pca_checks import FakeAnswers, pca_bottom, pca_gram_of_samples, pca_mixed, run_claim

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
    (C.grad_w1_vanishes_where_the_true_gradient_does, {'grad_W1': '2*(W2*W1 - I)*X*X.T*W1.T'},
     'your expression is not a nonzero multiple of ∂L/∂W1 (nor of its transpose), so setting it to zero gives a different condition\nyour expression equals ∂L/∂W2: did you mix up the two gradients?\ngot: 2*(W2*W1 - I_m)*X*X.T*W1.T'),
    (C.grad_w1_is_shaped_like_w1, {'grad_W1': '2*W2.T*(W2*W1 - I*X*X.T'},
     "cannot read this expression: it ends too early\n  2*W2.T*(W2*W1 - I*X*X.T\n                         ^\nexpected: ')'"),
    (C.grad_w1_is_shaped_like_w1, {'grad_W1': '2W_2^\\top (W_2 W_1 - I) X X^\\top W_2'},
     '∂L/∂W1 has the shape of W1, k×m; yours is k×k'),
    (C.grad_w1_is_shaped_like_w1, {'grad_W1': r'\text{tr}(W_1 X X^\top W_2)'},
     '∂L/∂W1 has the shape of W1, k×m; yours is a number (a trace is a number): is this the loss rather than its gradient?'),
    (C.grad_w1_is_shaped_like_w1, {'grad_W1': 'tr(W1 X) * W2.T'},
     "the trace needs a square matrix, but 'W1 X' is k×n\n  tr(W1 X) * W2.T\n     ^"),
    (C.grad_w1_equals_the_true_gradient, {'grad_W1': 'W1 + W2.T'},
     'your expression does not equal ∂L/∂W1\ngot: W1 + W2.T\nsmallest counterexample: m=2, n=3, k=1, W1=[[2, 1]], W2=[[1], [2]], X=[[0, 1, 2], [-1, -2, -1]]: yours gives [[3, 3]], ∂L/∂W1 is [[66, -36]]'),
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
     'these are eigenvectors of XXᵀ, but not the top 4: they capture the eigenvalues [37.88, 19.57, 16.39, 1.67] where the top 4 are [158.5, 62.61, 53.8, 37.88]; the loss is higher by 237.3 (630.6% above the minimum 37.63)\ntried with k=4 and X (7×14) = [[2.832, 1.226, -0.696, 1.996, 4.823, 3.752, -1.2, -2.885, -0.959, 1.035, -6.064, 0.2... (739 chars)'),
    (C.pca_weights_are_orthonormal_and_tied, {'pca_weights': pca_mixed},
     'this is a minimum, but not the orthonormal one: W1 = A U_kᵀ and W2 = U_k A⁻¹ with A having singular values [2.879, 1, 0.6527, 0.5321]; PCA takes A orthogonal (W2 = W1ᵀ = U_k up to signs)'),
    (C.pca_weights_returns_matrices_of_the_right_shapes, {'pca_weights': pca_gram_of_samples},
     'for X of shape 7×14 (m=7 features, n=14 samples) and k=4, W1 should be 4×7 and W2 7×4; yours are 4×14 and 14×4\nthey are n-dimensional: eigenvectors of XᵀX (n×n) instead of XXᵀ (m×m)? The columns of X are the samples'),
    (C.pca_argument_is_a_written_argument, {'pca_argument': 'eigenvectors'},
     'the argument is short: it has 1 word, and at least 10 are expected. It is still an answer: a TA will read '
     'and score it.'),
    (C.pca_argument_is_a_written_argument, {'pca_argument': '$$ = $$'},
     'the argument has no words; write at least 10'),
]


@pytest.mark.parametrize("fn,answers,message", MESSAGES,
                         ids=[f"{fn.__name__}-{i}" for i, (fn, _, _) in enumerate(MESSAGES)])
def test_student_reads_exactly(fn, answers, message):
    fraction, got = run_claim(fn, FakeAnswers(answers), seed=0)
    assert fraction == 0
    assert got == message

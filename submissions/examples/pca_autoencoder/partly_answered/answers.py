"""Q3b with only the gradient in W1 answered."""

grad_W1 = "2 W2^T (W2 W1 - I) X X^T"

"""The layer count as a string: "2" is text that looks like the count, not the int the contract asks for.

It used to score 1 of 1; now it is a format error (0 points), and the report says to write num_linear_layers = 2.
Everything else is answered correctly; build_model and train are left out to keep the example quick.
"""
num_linear_layers = "2"
loss_function = "nn.MSELoss"
needed_to_optimize_exactly = ["Weight Decay", "SGD optimizer"]
orthonormal_bias = "yes"
orthonormal_argument = "Balanced factors minimize the penalty for a fixed product, so sigma_i(W2) = sqrt(1 - lam/s_i)."

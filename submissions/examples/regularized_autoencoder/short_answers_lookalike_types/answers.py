"""Right values in look-alike types: 2.0 for an int, a tuple and a comma-separated string for a list, True for "yes".

Each is a format error (0 points) with a hint, never credit: the contract names the types (an int, a list of
strings, the string "yes" or "no"). build_model and train are left out to keep the example quick.
"""
num_linear_layers = 2.0
loss_function = ["nn.MSELoss"]
needed_to_optimize_exactly = "Weight Decay, SGD optimizer"
orthonormal_bias = True
orthonormal_argument = "Balanced factors minimize the penalty for a fixed product, so sigma_i(W2) = sqrt(1 - lam/s_i)."

"""HW7 answers. Copy this folder to submissions/mine/ and fill in what you have.

Leave a name undefined (or delete it) for a part you skip: it is graded as
"not answered". Run `make check` to see the public checks.
"""

# --- seq2seq_translation -------------------------------------------------------------------
# vertical_stacking_problem = "..."                  # free response
# training_decoder_inputs = ["...", "...", "...", "...", "..."]
# evaluation_decoder_inputs = ["...", "...", "...", "...", "..."]
# def decoder_inputs(target, generated, training): ...

# --- pca_autoencoder -----------------------------------------------------------------------
# grad_W1 = "..."                                    # notation, e.g. plain: 3*W1.T*W1 or LaTeX: r"3W_1^\top W_1"
# grad_W2 = "..."
# first_order_conditions = ["... = ...", "... = ..."]
# def pca_weights(X, k): ...                         # -> (W1, W2) numpy arrays
# pca_argument = "..."                               # free response

# --- resnet_blog ---------------------------------------------------------------------------
# baseline = {"time_s": ..., "accuracy": ...}
# final = {"time_s": ..., "accuracy": ...}
# learned = "..."                                    # about 100 words
# most_interesting = "..."                           # about 100 words
# def train_fast(train_x, train_y, test_x, budget_s): ...   # optional

# --- regularized_autoencoder ---------------------------------------------------------------
# num_linear_layers = ...
# loss_function = "..."
# needed_to_optimize_exactly = ["...", "..."]
# orthonormal_bias = "..."
# orthonormal_argument = "..."                       # free response
# def build_model(m, k): ...                         # -> torch.nn.Module
# def train(X, k, lam): ...                          # -> (W1, W2)

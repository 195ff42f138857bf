"""Example submission: correct facts and a train_fast (nearest class mean) that reaches the synthetic target."""

baseline = {'time_s': 341, 'accuracy': 0.94}
final = {'time_s': 26, 'accuracy': 0.94}

learned = (
    "Most of the speed-up in the series came from removing waste rather than from clever new ideas. "
    "The authors profiled each run and found time lost to data loading, to repeated preprocessing and to "
    "a network wider and deeper than the task needed. I also learned that hyperparameters are coupled: "
    "when the batch size grows, the learning rate and the weight decay have to move with it, and the "
    "authors explain why by looking at the dynamics of the weights. Finally, cheap regularisers such as "
    "cutout, label smoothing and flipping at test time buy accuracy that can then be traded for fewer epochs."
)
most_interesting = (
    "Test-time augmentation interested me most. Instead of training longer, the network classifies each "
    "test image and its mirror image and averages the two predictions. Because a flipped cat is still a "
    "cat, the average is more reliable than either view alone, and the extra cost falls only on the ten "
    "thousand test images rather than on every training step. That small change let the authors cut the "
    "number of epochs and still reach the accuracy threshold. I like it because it shows that the time "
    "budget of a whole pipeline, not only the training loop, is what should be optimised."
)


def train_fast(train_x, train_y, test_x, budget_s):
    """Nearest class mean on raw pixels: enough for the synthetic set, in well under a second."""
    import numpy as np

    x = train_x.reshape(len(train_x), -1).astype(np.float32)
    means = np.stack([x[train_y == k].mean(0) for k in range(10)])
    t = test_x.reshape(len(test_x), -1).astype(np.float32)
    # squared distances via |t|^2 - 2 t.m + |m|^2, without a (n_test, 10, 3072) temporary
    d = (t ** 2).sum(1)[:, None] - 2 * t @ means.T + (means ** 2).sum(1)[None, :]
    return d.argmin(1)

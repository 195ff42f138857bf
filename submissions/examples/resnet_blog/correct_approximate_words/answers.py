"""Example submission: correct facts with 'about'/'~' and words for units."""

baseline = {'time_s': 'about 297 seconds', 'accuracy': '94 percent'}
final = {'time_s': '~26 s', 'accuracy': 0.941}

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

"""Example submission: free responses far under 50 words (still pending: a TA scores them)."""

baseline = {'time_s': 341, 'accuracy': 0.94}
final = {'time_s': 26, 'accuracy': 0.94}

learned = "Training can be made much faster."
most_interesting = "Label smoothing."

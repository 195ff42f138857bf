"""Q4: reading the "How to train your ResNet" series: two facts, two short essays and an optional speed run."""
from grader.problem import KeyPoint, Part, Problem, Recognize

PROBLEM = Problem(
    name="resnet_blog",
    title='Reading "How to train your ResNet"',
    parts=(
        Part("baseline", points=3,
             answer='dict {"time_s": ..., "accuracy": ...}: numbers or strings with units (e.g. "120 s", "91%")'),
        Part("final", points=3,
             answer='dict {"time_s": ..., "accuracy": ...}: numbers or strings with units (e.g. "2 min", "0.9")'),
        Part("learned", points=4, answer="free response, about 100 words", kind="manual",
             rubric="Names concrete lessons from the series (e.g. that time goes to overlooked overheads such as "
                    "data loading, that batch size, learning rate and weight decay interact, that a smaller "
                    "network trains faster to the same accuracy, the role of regularisation and augmentation), "
                    "and says why they matter beyond this benchmark. Full marks need specifics, not a summary of "
                    "the headline numbers.",
             key_points=(
                 KeyPoint("overheads such as data loading", r"data load|overhead|preprocess|profil|waste"),
                 KeyPoint("coupled hyperparameters", r"batch size|learning rate|weight decay|hyperparameter"),
                 KeyPoint("a smaller network", r"smaller|narrower|shallower|fewer (?:layers|channels)|9-layer"),
                 KeyPoint("regularisation and augmentation", r"regulari[sz]|augment|label smooth|cutout|flip"),
                 KeyPoint("why it matters beyond the benchmark", r"beyond|in general|other (?:tasks|problems)|my own"),
             )),
        Part("most_interesting", points=4, answer="free response, about 100 words", kind="manual",
             rubric="Picks one technique or finding of the series (e.g. larger batches, the 9-layer architecture, "
                    "label smoothing, test-time augmentation, batch-norm analysis, weight-decay dynamics), "
                    "explains correctly what it does, and argues why it is interesting. One well-explained idea "
                    "beats a list.",
             key_points=(
                 KeyPoint("names one technique", r"batch|9-layer|label smooth|test-time|augment|batch ?norm|weight decay"),
                 KeyPoint("explains what it does", r"\bso\b|because|which|lets|allows|means"),
                 KeyPoint("says why it is interesting", r"interesting|surpris|counter-?intuitive|elegant|I liked"),
             )),
        Part("train_fast", points=2, kind="function", optional=True, gpu=True,
             answer="optional function train_fast(train_x, train_y, test_x, budget_s) -> predicted labels"),
    ),
    needs_torch=True,  # train_fast may use torch in the sandbox
    recognize=Recognize(
        topics=(r"res-?net", r"how\s+to\s+train\s+your", r"DAWN\s*Bench", r"CIFAR", r"\bblog\b", r"myrtle",
                r"training\s+time", r"speed-?run", r"\bV100\b", r"\bGPUs?\b"),
        headings=(r"how\s+to\s+train\s+your\s+res-?net", r"res-?net", r"blog\s+post", r"question\s*4\b"),
        parts=("a", "b", "c"),
    ),
)

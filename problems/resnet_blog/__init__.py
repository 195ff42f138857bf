"""Q4: reading the "How to train your ResNet" series: two facts, two short essays and an optional speed run."""
from grader.problem import Part, Problem, Recognize

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
                    "the headline numbers."),
        Part("most_interesting", points=4, answer="free response, about 100 words", kind="manual",
             rubric="Picks one technique or finding of the series (e.g. larger batches, the 9-layer architecture, "
                    "label smoothing, test-time augmentation, batch-norm analysis, weight-decay dynamics), "
                    "explains correctly what it does, and argues why it is interesting. One well-explained idea "
                    "beats a list."),
        Part("train_fast", points=2, kind="function", optional=True,
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

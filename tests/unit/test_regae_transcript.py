"""Reading the regularized_autoencoder answers out of chat transcripts."""
from __future__ import annotations

from pathlib import Path

import pytest

from problems.regularized_autoencoder.transcript import classify
from tests.chat_helpers import SEED, answers, region


def extract(text: str) -> dict:
    """The graded answers of this problem in a chat."""
    return answers(text, "regularized_autoencoder")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "submissions" / "examples" / "regularized_autoencoder" / "transcript_chat" / "transcript.md"


@pytest.mark.parametrize("text, kind", [
    ("2 linear layers *a TA's remark*", ("num_linear_layers", 2)),
    ("**two**", ("num_linear_layers", 2)),
    ("`nn.MSELoss` *also right*", ("loss_function", "nn.MSELoss")),
    ("torch.nn.L1Loss()", ("loss_function", "nn.L1Loss")),
    ("Weight Decay and SGD optimizer", ("needed_to_optimize_exactly", ["Weight Decay", "SGD optimizer"])),
    ("SGD, weight_decay", ("needed_to_optimize_exactly", ["SGD optimizer", "Weight Decay"])),
    ("Weight Decay and SGD. Dropout is not needed.", ("needed_to_optimize_exactly", ["Weight Decay", "SGD optimizer"])),
    ("Batch Norm (it normalizes)", ("needed_to_optimize_exactly", ["Batch Norm"])),
    ("Yes, because ...", ("orthonormal_bias", "yes")),
    ("**No**", ("orthonormal_bias", "no")),
    ("it depends", None),
])
def test_classify_answer_lines(text, kind):
    assert classify(text) == kind


def test_the_example_chat_is_read():
    found = extract(EXAMPLE.read_text())
    assert found["num_linear_layers"] == 2
    assert found["loss_function"] == "nn.MSELoss"
    # The explanation after the answer names Dropout as *not* needed: it is not chosen.
    assert found["needed_to_optimize_exactly"] == ["Weight Decay", "SGD optimizer"]
    assert found["orthonormal_bias"] == "yes"
    assert found["orthonormal_argument"].startswith("Yes. The squared Frobenius norm")
    assert found["orthonormal_argument"].rstrip().endswith("small.")
    assert [f.how for f in found["_found"]][:3] == ["the Answer: line"] * 3 and found["_notes"] == []


def test_a_revised_answer_wins():
    text = ("User: how many linear layers do you need?\nAssistant: Answer: 3\n\nUser: are you sure?\n\n"
            "Assistant: sorry.\nAnswer: 2 linear layers\n")
    found = extract(text)
    assert found["num_linear_layers"] == 2
    assert found["_notes"] == ["num_linear_layers: answered 2 times; graded the last, in turn 4 (the Answer: line): 2 "
                               "(a later answer revises an earlier one); superseded: turn 2: 3"]


def test_a_revised_yes_no_wins():
    text = ("User: Is W_2 biased towards orthonormal columns with weight decay?\n\nAssistant: No, weight decay only "
            "shrinks the weights.\n\nUser: think about the singular values\n\nAssistant: Is W_2 nearly orthonormal?"
            "\n\nYes. Balancing the factors makes the singular values equal.\n")
    found = extract(text)
    assert found["orthonormal_bias"] == "yes"
    assert found["orthonormal_argument"].startswith("Yes. Balancing")


def test_the_section_stops_at_the_next_question():
    text = ("How many linear layers do you need?\nAnswer: 2\n\nQuestion 5: something else\nAnswer: nn.L1Loss\n")
    assert "Question 5" not in region(text, "regularized_autoencoder").text
    assert "loss_function" not in extract(text)


def test_a_chat_without_this_problem_has_no_region():
    assert region("User: tell me about ResNets.\nAssistant: they have skip connections.",
                  "regularized_autoencoder").segments == ()


def test_a_verdict_is_taken_after_the_orthonormality_question_only():
    text = ("How many linear layers do you need?\nAnswer: 2\nNo bias is needed in either layer.\n"
            "(b) Is W_2 biased towards orthonormal columns?\n\nNo, weight decay only shrinks weights.\n")
    found = extract(text)
    assert found["orthonormal_bias"] == "no"
    assert found["orthonormal_argument"] == "No, weight decay only shrinks weights."


def test_a_long_argument_is_capped():
    text = "How many linear layers?\nIs W_2 nearly orthonormal?\nYes. " + "word " * 2000
    argument = extract(text)["orthonormal_argument"]
    assert len(argument) <= 4000 + len(" [...]") and argument.endswith("[...]")


@pytest.mark.skipif(not SEED.is_file(), reason="the homework seed transcript is not checked out beside the project")
def test_the_seed_transcript_is_read():
    found = extract(SEED.read_text())
    assert found["num_linear_layers"] == 2
    assert found["loss_function"] == "nn.MSELoss"
    assert found["needed_to_optimize_exactly"] == ["Weight Decay", "SGD optimizer"]
    assert found["orthonormal_bias"] == "yes"
    assert "balanced" in found["orthonormal_argument"]

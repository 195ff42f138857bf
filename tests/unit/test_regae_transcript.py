"""Reading the regularized_autoencoder answers out of chat transcripts."""
from __future__ import annotations

from pathlib import Path

import pytest

from problems.regularized_autoencoder.transcript import classify, extract, section

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seeds" / "000_2945ca7109d06edc.txt"
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
    assert len(found["_notes"]) == 4


def test_a_revised_answer_wins():
    text = ("How many linear layers do you need?\nAnswer: 3\n\nUser: are you sure?\n\n"
            "Assistant: sorry.\nAnswer: 2 linear layers\n")
    assert extract(text)["num_linear_layers"] == 2


def test_the_section_stops_at_the_next_question():
    text = ("How many linear layers do you need?\nAnswer: 2\n\nQuestion 5: something else\nAnswer: nn.L1Loss\n")
    assert "Question 5" not in section(text)
    assert "loss_function" not in extract(text)


def test_a_chat_without_this_problem_gives_only_a_note():
    found = extract("User: tell me about ResNets.\nAssistant: they have skip connections.")
    assert set(found) == {"_notes"} and "not found" in found["_notes"][0]


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

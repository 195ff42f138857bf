"""Reading the resnet_blog answers out of chat transcripts."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.types import count_words
from problems.resnet_blog import checks
from tests.chat_helpers import SEED, answers


def extract(text: str) -> dict:
    """The graded answers of this problem in a chat."""
    return answers(text, "resnet_blog")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "submissions" / "examples" / "resnet_blog" / "transcript_chat" / "transcript.md"


class Answers:
    """Extracted answers, served the way the engine serves static answers."""

    def __init__(self, values):
        self.values = values

    def value(self, name, spec=None):
        """The value of `name`, format-checked."""
        if spec is not None:
            spec.check(self.values[name], name)
        return self.values[name]


@pytest.mark.skipif(not SEED.is_file(), reason="the homework seed transcript is outside this checkout")
def test_the_seed_transcript():
    found = extract(SEED.read_text(encoding="utf-8"))
    # The seed lists 341, 356 and 297 s as starting points; the sentence naming "baseline" gives 297.
    assert found["baseline"] == {"time_s": "297 seconds", "accuracy": "94%"}
    assert found["final"] == {"time_s": "26 seconds", "accuracy": "94%"}
    assert found["learned"].startswith("The blog series taught me")
    assert found["most_interesting"].startswith("The preprocessing optimization approach")
    # The student's one-line remarks between the paragraphs are not part of the answers.
    assert "It highlighted a lot of good points" not in found["learned"]
    assert "It really handled open-ended questions" not in found["most_interesting"]
    assert 50 <= count_words(found["learned"]) <= 200 and 50 <= count_words(found["most_interesting"]) <= 200
    a = Answers(found)
    for claim in (checks.baseline_time_is_where_the_series_started, checks.baseline_accuracy_is_the_series_threshold,
                  checks.final_time_is_where_the_series_ended, checks.final_accuracy_is_the_series_threshold):
        assert claim(a, reveal=True) is None


def test_the_example_transcript():
    found = extract(EXAMPLE.read_text(encoding="utf-8"))
    assert found["baseline"] == {"time_s": "341 seconds", "accuracy": "94%"}
    assert found["final"] == {"time_s": "26 s", "accuracy": "94%"}
    assert found["learned"].startswith("Speed came mostly from removing waste.")
    assert found["most_interesting"].startswith("The architecture search in part four")


def test_a_time_without_accuracy_is_still_graded():
    text = ("User: question 4 please\n\nAssistant: On the ResNet posts.\n\nBaseline: 356 s for the reproduction.\n\n"
            "Final: they end at 34 seconds.\n")
    found = extract(text)
    assert found["baseline"] == {"time_s": "356 s"} and found["final"] == {"time_s": "34 seconds"}
    a = Answers(found)
    assert checks.baseline_time_is_where_the_series_started(a, reveal=True) is None
    with pytest.raises(checks.Wrong, match="test-time augmentation"):
        checks.final_time_is_where_the_series_ended(a, reveal=True)
    with pytest.raises(checks.FormatError, match="missing 'accuracy'"):
        checks.final_accuracy_is_the_series_threshold(a, reveal=True)


def test_a_transcript_without_the_resnet_question():
    found = extract("User: translate this\n\nAssistant: Machine translation uses an encoder-decoder.\n")
    assert found["_found"] == () and found["_notes"] == []


def test_a_later_final_time_revises_the_first():
    text = ("User: question 4 please\n\nAssistant: On the ResNet posts.\n\nBaseline: 341 s at 94%.\n\n"
            "Final: 26 s at 94%.\n\nUser: I read 34 seconds somewhere?\n\nAssistant: You are right about the ResNet "
            "speed run.\n\nFinal: they end at 34 seconds, 94% accuracy.\n")
    found = extract(text)
    assert found["final"] == {"time_s": "34 seconds", "accuracy": "94%"}
    a = Answers(found)
    with pytest.raises(checks.Wrong):
        checks.final_time_is_where_the_series_ended(a, reveal=True)

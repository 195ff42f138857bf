"""resnet_blog: the exact message a student reads for each kind of answer."""
from __future__ import annotations

import pytest

from grader.errors import NotAnswered, StudentFault
from problems.resnet_blog import checks
from tests.fakes import call_claim

OK_FACT = {"time_s": 341, "accuracy": 0.94}
BASELINE_EXPECTED = ("expected: 341 s (the DAWNBench-winning single-GPU entry, Ben Johnson's ResNet-18, that the series "
                     "starts from) or 356 s (the authors' own reproduction of that DAWNBench entry) or 297 s (the baseline "
                     "at the end of part 1, after removing the data-loading bottleneck), within 2%")
FINAL_EXPECTED = "expected: 26 s (the final time of the series: 10 epochs, with test-time augmentation), within 2%"
ACCURACY_EXPECTED = ("expected: 94 % (± 0.25 points; every time in the series is measured to the 94 % DAWNBench "
                     "threshold)")
TIME_FORMS = '45, 45.0, "45 s", "45 seconds", "0.75 min", "2 min 5 s" or "2:05"'


class Answers:
    """The smallest stand-in for the engine's `answers`: values in a dict, checked against their spec."""

    def __init__(self, **values):
        self.values = values

    def value(self, name, spec=None):
        """The value of `name`, format-checked."""
        if name not in self.values:
            raise NotAnswered(f"{name} is not answered")
        if spec is not None:
            spec.check(self.values[name], name)
        return self.values[name]


CASES = [
    ("final 34 s", checks.final_time_is_where_the_series_ended, {"final": {"time_s": "34 s", "accuracy": 0.94}},
     "final['time_s'] is not the final time of the series. 34 s is the time in part 8 just before test-time "
     "augmentation was added (part 8, Bag of tricks).\n" + FINAL_EXPECTED + "\ngot: '34 s'"),
    ("final 79", checks.final_time_is_where_the_series_ended, {"final": {"time_s": 79, "accuracy": 0.94}},
     "final['time_s'] is not the final time of the series. 79 s is the time at the end of part 4, with the 9-layer "
     "ResNet (part 4, Architecture).\n" + FINAL_EXPECTED + "\ngot: 79 (read as 79 s)"),
    ("final 297 s", checks.final_time_is_where_the_series_ended, {"final": {"time_s": "297 seconds", "accuracy": 0.94}},
     "final['time_s'] is not the final time of the series. 297 s is the baseline at the end of part 1, after removing "
     "the data-loading bottleneck (part 1, Baseline).\n" + FINAL_EXPECTED + "\ngot: '297 seconds' (read as 297 s)"),
    ("final 12 s", checks.final_time_is_where_the_series_ended, {"final": {"time_s": "12 s", "accuracy": 0.94}},
     "final['time_s'] is not the final time of the series.\n" + FINAL_EXPECTED + "\ngot: '12 s'"),
    ("baseline 26", checks.baseline_time_is_where_the_series_started, {"baseline": {"time_s": 26, "accuracy": 0.94}},
     "baseline['time_s'] is not a starting time of the series. 26 s is the final time of the series: 10 epochs, "
     "with test-time augmentation (part 8, Bag of tricks).\n" + BASELINE_EXPECTED + "\ngot: 26 (read as 26 s)"),
    ("baseline 174 s", checks.baseline_time_is_where_the_series_started, {"baseline": {"time_s": "174 s", "accuracy": 0.94}},
     "baseline['time_s'] is not a starting time of the series. 174 s is the DAWNBench state of the art on eight GPUs, "
     "not one (introduction).\n" + BASELINE_EXPECTED + "\ngot: '174 s'"),
    ("baseline 4.3 min", checks.baseline_time_is_where_the_series_started, {"baseline": {"time_s": "4.3 min", "accuracy": 0.94}},
     "baseline['time_s'] is not a starting time of the series. 256 s is the time at the end of part 2, with "
     "mini-batches of 512 (part 2, Mini-batches).\n" + BASELINE_EXPECTED + "\ngot: '4.3 min' (read as 258 s)"),
    ("baseline parsecs", checks.baseline_time_is_where_the_series_started,
     {"baseline": {"time_s": "341 parsecs", "accuracy": 0.94}},
     "baseline['time_s']: unknown time unit 'parsecs' in '341 parsecs'; use s, min or h, as in " + TIME_FORMS),
    ("baseline string", checks.baseline_time_is_where_the_series_started, {"baseline": "341 s, 94%"},
     "baseline: expected a dict with keys 'time_s', 'accuracy', got a string ('341 s, 94%')"),
    ("baseline missing key", checks.baseline_accuracy_is_the_series_threshold, {"baseline": {"time_s": 341}},
     "baseline: expected a dict with keys 'time_s', 'accuracy'; missing 'accuracy'"),
    ("accuracy 0.94%", checks.final_accuracy_is_the_series_threshold, {"final": {"time_s": 26, "accuracy": "0.94%"}},
     "final['accuracy'] is not the test accuracy the series trains to. '0.94%' is less than one percent: write the "
     "fraction without '%' (0.94) or the percentage with it (94%).\n" + ACCURACY_EXPECTED + "\ngot: '0.94%'"),
    ("accuracy 0.96", checks.final_accuracy_is_the_series_threshold, {"final": {"time_s": 26, "accuracy": 0.96}},
     "final['accuracy'] is not the test accuracy the series trains to.\n" + ACCURACY_EXPECTED + "\ngot: 0.96 (read as 96 %)"),
    ("accuracy 93.5%", checks.baseline_accuracy_is_the_series_threshold, {"baseline": {"time_s": 341, "accuracy": "93.5 %"}},
     "baseline['accuracy'] is not the test accuracy the series trains to.\n" + ACCURACY_EXPECTED + "\ngot: '93.5 %'"),
    ("accuracy 140%", checks.baseline_accuracy_is_the_series_threshold, {"baseline": {"time_s": 341, "accuracy": "140%"}},
     "baseline['accuracy']: an accuracy is at most 100 %, got '140%'"),
    ("learned short", checks.learned_is_about_100_words, {"learned": "Label smoothing helps."},
     "learned is short: it has 3 words, and about 100 are asked for (50 to 200). It is still an answer: a TA will "
     "read and score it."),
    ("interesting long", checks.most_interesting_is_about_100_words, {"most_interesting": "fast " * 201},
     "most_interesting is long: it has 201 words, and about 100 are asked for (50 to 200). It is still an answer: "
     "a TA will read and score it."),
    ("interesting one word", checks.most_interesting_is_about_100_words, {"most_interesting": "TTA"},
     "most_interesting is short: it has 1 word, and about 100 are asked for (50 to 200). It is still an answer: "
     "a TA will read and score it."),
    ("interesting no words", checks.most_interesting_is_about_100_words, {"most_interesting": " -- "},
     "most_interesting: expected about 100 words of text, got no words"),
    ("learned not text", checks.learned_is_about_100_words, {"learned": 100},
     "learned: expected a string, got an int (100)"),
    ("final missing", checks.final_time_is_where_the_series_ended, {}, "final is not answered"),
    ("readable: both unreadable", checks.baseline_is_a_readable_time_and_accuracy,
     {"baseline": {"time_s": "a while", "accuracy": "high"}},
     "baseline['time_s']: cannot read 'a while' as a time; write it as " + TIME_FORMS + "\n"
     "baseline['accuracy']: cannot read 'high' as an accuracy; write it as 0.87, 87, \"87%\", \"87 %\" or \"87 percent\""),
    ("readable: missing key", checks.final_is_a_readable_time_and_accuracy, {"final": {"time_s": 26}},
     "final: expected a dict with keys 'time_s', 'accuracy'; missing 'accuracy'"),
    ("readable: not a dict", checks.final_is_a_readable_time_and_accuracy, {"final": [26, 0.94]},
     "final: expected a dict with keys 'time_s', 'accuracy', got a list of 2"),
]


@pytest.mark.parametrize("claim, values, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_message(claim, values, message):
    """As in a graded report after the due date (reveal): the after-due checks name the accepted figures."""
    with pytest.raises(StudentFault) as info:
        call_claim(claim, Answers(**values), reveal=True)
    assert info.value.message == message


@pytest.mark.parametrize("values", [{"baseline": OK_FACT}, {"baseline": {"time_s": "5:41", "accuracy": "94%"}}])
def test_right_answers_have_no_message(values):
    assert checks.baseline_time_is_where_the_series_started(Answers(**values), reveal=False) is None
    assert checks.baseline_accuracy_is_the_series_threshold(Answers(**values), reveal=False) is None


BEFORE_DUE = [
    ("final 34 s", checks.final_time_is_where_the_series_ended, {"final": {"time_s": "34 s", "accuracy": 0.94}},
     "final['time_s'] is not the final time of the series.\ngot: '34 s'"),
    ("baseline 26", checks.baseline_time_is_where_the_series_started, {"baseline": {"time_s": 26, "accuracy": 0.94}},
     "baseline['time_s'] is not a starting time of the series.\ngot: 26 (read as 26 s)"),
    ("accuracy 0.94%", checks.final_accuracy_is_the_series_threshold, {"final": {"time_s": 26, "accuracy": "0.94%"}},
     "final['accuracy'] is not the test accuracy the series trains to.\ngot: '0.94%'"),
]


@pytest.mark.parametrize("claim, values, message", [c[1:] for c in BEFORE_DUE], ids=[c[0] for c in BEFORE_DUE])
def test_message_without_reveal_names_no_figure(claim, values, message):
    with pytest.raises(StudentFault) as info:
        claim(Answers(**values), reveal=False)
    assert info.value.message == message

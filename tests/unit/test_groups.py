"""Answer groups for the manual parts: paraphrases together, off-topic apart, numbers that a sheet keeps."""
from dataclasses import replace

from grader.model import NOT_ANSWERED, PENDING
from grader.problem import KeyPoint
from grader.staff.groups import answer_groups, group_part, key_points_of, normalize
from tests.unit.manual_fakes import batch

KEY = "seq2seq_translation.vertical_stacking_problem"
LENGTHS = "Source and target sentences can have different lengths, so the steps do not align."
PARAPHRASE = "Input and output sentences have different lengths, so decoder step t need not line up with encoder step t."
SHOUTED = "  SOURCE and target sentences can have different lengths -- so the steps do NOT align!!"
NEAR = "Source and target sentences can have different lengths, so the time steps do not align."
PART_OF_SOURCE = "At step t the decoder has only read the first t source words and cannot use the rest of the sentence."
PART_OF_SOURCE_TOO = "Step t of the decoder cannot see the source words after t, only the first t words of the sentence."
OFF_TOPIC = "I really enjoyed this homework and the GPU was fast; thanks for the lecture on ResNets."


def grouped(texts: dict[str, str], **kw):
    return group_part(KEY, [(s, t, PENDING) for s, t in texts.items()], **kw)


def members(part_groups) -> list[list[str]]:
    return [[m.student for m in g.members] for g in part_groups.groups]


def group_of(part_groups, student: str):
    return next(g for g in part_groups.groups if student in [m.student for m in g.members])


def test_two_paraphrases_land_in_one_group_and_an_off_topic_answer_does_not():
    found = grouped({"ann": LENGTHS, "ben": PARAPHRASE, "cat": OFF_TOPIC})
    assert found.number_of("ann") == found.number_of("ben") != found.number_of("cat")
    assert sorted(map(sorted, members(found))) == [["ann", "ben"], ["cat"]]


LENGTHS_TOO = ["The input and output sentences differ in length, so step t of the decoder does not align with step t "
               "of the encoder.",
               "A translation can be longer or shorter than its source sentence, so the steps of the two cannot "
               "align one to one.",
               "The English and French sentences usually differ in length and word order, so position t in one is "
               "not position t in the other."]
PART_TOO = ["When the decoder makes word t it has seen only the first t words of the input, not the rest of the sentence.",
            "The decoder at step t cannot use the later words of the source sentence, since they come after step t."]
OTHERS = ["It would make training slower because the GPU has to keep every hidden state in memory.",
          "Vertical stacking means more parameters, which leads to overfitting on a small dataset."]


def test_in_a_class_no_group_mixes_two_points():
    """Twelve answers making two points, and three that make neither: groups may split a point, never mix two."""
    texts = {f"len{i}": t for i, t in enumerate([LENGTHS, PARAPHRASE, *LENGTHS_TOO])}
    texts |= {f"part{i}": t for i, t in enumerate([PART_OF_SOURCE, PART_OF_SOURCE_TOO, *PART_TOO])}
    texts |= {"off0": OFF_TOPIC} | {f"off{i + 1}": t for i, t in enumerate(OTHERS)}
    found = grouped(texts)
    for g in found.groups:
        assert len({m.student.rstrip("0123456789") for m in g.members}) == 1 or len(g.members) == 1, members(found)
    assert all(len(group_of(found, f"off{i}").members) == 1 for i in range(3))
    assert len({found.number_of(f"part{i}") for i in range(4)}) == 1  # one point, four wordings, one group
    assert found.number_of("len0") == found.number_of("len1") == found.number_of("len2")


def test_answers_that_make_different_points_are_different_groups():
    found = grouped({"ann": LENGTHS, "ben": PARAPHRASE, "dan": PART_OF_SOURCE, "eve": PART_OF_SOURCE_TOO,
                     "cat": OFF_TOPIC})
    assert found.number_of("ann") == found.number_of("ben")
    assert found.number_of("dan") == found.number_of("eve") != found.number_of("ann")
    assert found.number_of("cat") not in (found.number_of("ann"), found.number_of("dan"))


def test_identical_answers_ignore_case_spacing_and_punctuation():
    assert normalize(SHOUTED) == normalize(LENGTHS)
    found = grouped({"ann": LENGTHS, "ben": SHOUTED, "fay": NEAR, "cat": OFF_TOPIC})
    g = group_of(found, "ann")
    likeness = {m.student: m.likeness for m in g.members}
    assert likeness == {"ann": "identical", "ben": "identical", "fay": "near duplicate"}
    assert (g.identical, g.near) == (2, 1)
    assert group_of(found, "cat").members[0].likeness == ""


def test_groups_are_numbered_largest_first_with_a_label_and_a_representative():
    found = grouped({"cat": OFF_TOPIC, "ann": LENGTHS, "ben": PARAPHRASE, "fay": NEAR})
    assert [g.number for g in found.groups] == [1, 2] and len(found.groups[0].members) == 3
    lengths = found.groups[0]
    assert "lengths" in lengths.label and "align" in lengths.label and len(lengths.label) <= 4
    # The representative is the answer closest to the others: here the one the two others each reword.
    assert lengths.representative.student == "ann"
    assert {"enjoyed", "homework"} & set(found.groups[1].label)


def test_the_same_answers_always_give_the_same_groups():
    texts = {"ann": LENGTHS, "ben": PARAPHRASE, "dan": PART_OF_SOURCE, "eve": PART_OF_SOURCE_TOO, "cat": OFF_TOPIC}
    assert grouped(texts) == grouped(texts)


def test_a_single_answer_no_answer_at_all_and_answers_without_words():
    assert members(grouped({"ann": LENGTHS})) == [["ann"]]
    assert grouped({}).groups == ()
    assert members(grouped({"ann": "???", "ben": "?!"})) == [["ann", "ben"]]  # both identical once punctuation goes
    found = grouped({"ann": "...", "ben": "the a an", "cat": LENGTHS})  # nothing but stop words and punctuation
    assert sorted(m.student for g in found.groups for m in g.members) == ["ann", "ben", "cat"]


def test_numbers_a_sheet_gave_are_kept_and_newcomers_join_the_group_their_answer_clusters_with():
    first = grouped({"ann": LENGTHS, "dan": PART_OF_SOURCE, "eve": PART_OF_SOURCE_TOO})
    kept = {"ann": 7, "dan": 2, "eve": 2}  # say the TA moved ann to group 7 in the sheet
    again = grouped({"ann": LENGTHS, "dan": PART_OF_SOURCE, "eve": PART_OF_SOURCE_TOO, "ben": PARAPHRASE,
                     "cat": OFF_TOPIC}, kept=kept)
    assert first.number_of("dan") == first.number_of("eve")
    assert (again.number_of("ann"), again.number_of("dan"), again.number_of("eve")) == (7, 2, 2)
    assert again.number_of("ben") == 7  # rewords ann's answer
    assert again.number_of("cat") == 8  # a new point: a new number, after every kept one


def test_key_points_and_check_hints_are_counted_per_group_as_a_suggestion():
    points = (KeyPoint("lengths differ", r"length"), KeyPoint("only part of the source", r"rest of|after t"))
    found = grouped({"ann": LENGTHS, "ben": PARAPHRASE, "dan": PART_OF_SOURCE, "eve": PART_OF_SOURCE_TOO},
                    key_points=points, hints={"dan": "Hint: no lengths", "eve": "Hint: no lengths"})
    assert group_of(found, "ann").key_points == (("lengths differ", 2), ("only part of the source", 0))
    assert group_of(found, "dan").key_points == (("lengths differ", 0), ("only part of the source", 2))
    assert group_of(found, "dan").hints == (("Hint: no lengths", 2),) and group_of(found, "ann").hints == ()


def test_a_batch_is_grouped_part_by_part_and_students_with_nothing_to_score_are_set_apart():
    reports = batch()
    found = answer_groups(reports, {"p.proof": (KeyPoint("induction", "induction"),)})
    assert list(found) == ["p.essay", "p.proof"]
    assert sorted(m.student for g in found["p.essay"].groups for m in g.members) == ["alice", "bob"]
    assert found["p.essay"].nothing_to_score == (("carol", NOT_ANSWERED),)
    proof = found["p.proof"]
    assert sum(len(g.members) for g in proof.groups) == 3 and proof.nothing_to_score == ()
    # Every proof mentions induction; the first check's message is the hint (a TA's score message never is).
    assert all(g.key_points == (("induction", len(g.members)),) for g in proof.groups)
    assert all(g.hints == (("has 80 words", len(g.members)),) for g in proof.groups)


def test_a_ta_score_is_not_taken_for_a_hint():
    r = batch()[0]
    checks = tuple(replace(c, message="Scored by a TA: 3/4.") if c.part == "essay" else c for c in r.checks)
    found = answer_groups([replace(r, checks=checks)])
    assert found["p.essay"].groups[0].hints == ()


def test_kept_numbers_come_per_part_and_student():
    reports = batch()
    found = answer_groups(reports, kept={("alice", "p.proof"): 5, ("bob", "p.proof"): 5, ("carol", "p.proof"): 5})
    assert [g.number for g in found["p.proof"].groups] == [5]
    assert found["p.essay"].number_of("alice") in (1, 2)  # the essay's numbers are not the proof's


def test_key_points_come_from_the_problems_manual_parts():
    from grader.problem import discover

    points = key_points_of(discover())
    assert KEY in points and all(isinstance(k, KeyPoint) for k in points[KEY])
    assert all(key.split(".")[1] in {p.name for prob in discover() for p in prob.parts if p.kind == "manual"}
               for key in points)


def test_a_key_point_with_a_bad_pattern_is_a_config_error():
    import pytest

    from grader.errors import ConfigError
    from grader.problem import Part

    with pytest.raises(ConfigError, match="expected a regular expression"):
        KeyPoint("broken", "(unclosed")
    with pytest.raises(ConfigError, match="key_points are for manual parts"):
        Part("x", 1, "an int", key_points=(KeyPoint("a", "a"),))

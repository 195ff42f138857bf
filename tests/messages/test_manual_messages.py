"""The TA's sheet of manual scores: a row of the sheet → the exact message staff read."""
import pytest

from grader.errors import ManualScoresError
from grader.manual import read_manual_scores
from tests.unit.manual_fakes import batch, sheet

TABLE = [
    ("unknown student", "alicia,p.essay,4,3,\n",
     "line 2: expected a student of this batch, got 'alicia'. Did you mean 'alice'?"),
    ("unknown student, nothing close", "zed,p.essay,4,3,\n",
     "line 2: expected a student of this batch, got 'zed'."),
    ("unknown part", "alice,p.esay,4,3,\n",
     "line 2: expected a part of alice as problem.part, got 'p.esay'. Did you mean 'p.essay'?"),
    ("part without its problem", "alice,essay,4,3,\n",
     "line 2: expected a part of alice as problem.part, got 'essay'. Did you mean 'p.essay'?"),
    ("not a manual part", "alice,p.a,2,2,\n",
     "line 2: expected a manual part (p.essay, p.proof), got 'p.a', which is scored automatically."),
    ("part not answered", "carol,p.essay,4,1,\n",
     "line 2: expected no score for carol p.essay: it is not answered, so there is nothing for a TA to score; got '1'."),
    ("not a number", "alice,p.essay,4,three,\n",
     "line 2: expected the score as a number from 0 to 4, got 'three'."),
    ("decimal comma", 'alice,p.essay,4,"2,5",\n',
     "line 2: expected the score as a number from 0 to 4, got '2,5'. Did you mean '2.5'?"),
    ("not finite", "alice,p.essay,4,nan,\n",
     "line 2: expected the score as a number from 0 to 4, got 'nan'."),
    ("above the maximum", "alice,p.proof,6,6.5,\n",
     "line 2: expected a score from 0 to 6 for alice p.proof, got 6.5."),
    ("negative", "alice,p.essay,4,-1,\n",
     "line 2: expected a score from 0 to 4 for alice p.essay, got -1."),
    ("twice, different scores", "bob,p.essay,4,3,\nalice,p.essay,4,2,\nbob,p.essay,4,3.5,late change\n",
     "line 4: expected one score for bob p.essay, got 3.5 here and 3 on line 2."),
    ("a comment over two lines", 'alice,p.essay,4,1,"line one\nline two"\nalice,p.essay,4,9,\n',
     "line 4: expected a score from 0 to 4 for alice p.essay, got 9."),
]
HEADERS = [
    ("missing columns", "name,part,points\n",
     "line 1: expected a header with the columns student, part, score, got name, part, points; missing student, score."),
    ("empty file", "", "line 1: expected a header with the columns student, part, score, got an empty file."),
    ("empty first line", "\nalice,p.essay,4,3,\n",
     "line 1: expected a header with the columns student, part, score, got an empty line."),
]


@pytest.mark.parametrize("rows, message", [c[1:] for c in TABLE], ids=[c[0] for c in TABLE])
def test_bad_row_message(tmp_path, rows, message):
    with pytest.raises(ManualScoresError) as info:
        read_manual_scores(sheet(tmp_path, rows), batch())
    assert info.value.problems == (message,)


@pytest.mark.parametrize("header, message", [c[1:] for c in HEADERS], ids=[c[0] for c in HEADERS])
def test_bad_header_message(tmp_path, header, message):
    with pytest.raises(ManualScoresError) as info:
        read_manual_scores(sheet(tmp_path, "", header=header), batch())
    assert info.value.problems == (message,)


GROUP_HEADER = "student,part,group,max_points,score,comment\n"
GROUP_TABLE = [
    ("a group the sheet does not list", "alice,p.essay,1,4,,\nbob,p.essay,1,4,,\ngroup:2,p.essay,2,4,3,\n",
     "line 4: expected a group of p.essay listed in the sheet, got 'group:2'; the groups the sheet's group column "
     "gives for p.essay are 1."),
    ("a group but no group column", "group:1,p.essay,,4,3,\n",
     "line 2: expected a group of p.essay listed in the sheet, got 'group:1'; no row of the sheet names a group of "
     "p.essay in its group column."),
    ("a group that is not numbered", "alice,p.essay,1,4,,\ngroup:one,p.essay,1,4,3,\n",
     "line 3: expected group:N with N a group number of manual.html, got 'group:one'."),
    ("a group cell that is not a number", "alice,p.essay,first,4,,\n",
     "line 2: expected the group as a whole number from 1 (as manual.html numbers them), or a blank, got 'first'."),
    ("a student in two groups with different scores",
     "alice,p.proof,1,6,,\nalice,p.proof,2,6,,\nbob,p.proof,2,6,,\ngroup:1,p.proof,1,6,5,\ngroup:2,p.proof,2,6,3,\n",
     "line 3: expected one score for alice p.proof, got 3 from group:2 (line 6) and 5 from group:1 (line 5); give "
     "alice a row with their own score, or keep them in one group."),
    ("a group score above the maximum", "alice,p.essay,1,4,,\ngroup:1,p.essay,1,4,5,\n",
     "line 3: expected a score from 0 to 4 for group:1 p.essay, got 5."),
    ("a group score that is not a number", "alice,p.essay,1,4,,\ngroup:1,p.essay,1,4,lots,\n",
     "line 3: expected the score as a number from 0 to 4, got 'lots'."),
    ("a group scored twice", "alice,p.essay,1,4,,\ngroup:1,p.essay,1,4,3,\ngroup:1,p.essay,1,4,2,\n",
     "line 4: expected one score for group:1 p.essay, got 2 here and 3 on line 3."),
    ("a group of an automatic part", "group:1,p.a,1,2,2,\n",
     "line 2: expected a manual part (p.essay, p.proof), got 'p.a', which is scored automatically."),
    ("a group of an unknown part", "group:1,p.esay,1,4,3,\n",
     "line 2: expected a manual part of this batch as problem.part, got 'p.esay'. Did you mean 'p.essay'?"),
    ("a member who is not in the batch", "alicia,p.essay,1,4,,\nbob,p.essay,1,4,,\ngroup:1,p.essay,1,4,3,\n",
     "line 4: group:1 p.essay would score alicia (line 2), who is not a student of this batch with that part. "
     "Did you mean 'alice'?"),
    ("a member with nothing to score", "carol,p.essay,1,4,,\nbob,p.essay,1,4,,\ngroup:1,p.essay,1,4,3,\n",
     "line 4: group:1 p.essay would score carol (line 2), whose answer is not answered, so there is nothing for a "
     "TA to score; take them out of the group."),
]


@pytest.mark.parametrize("rows, message", [c[1:] for c in GROUP_TABLE], ids=[c[0] for c in GROUP_TABLE])
def test_bad_group_row_message(tmp_path, rows, message):
    with pytest.raises(ManualScoresError) as info:
        read_manual_scores(sheet(tmp_path, rows, header=GROUP_HEADER), batch())
    assert info.value.problems == (message,)

"""Loading submissions: folders, notebooks, zips, and every bad input refused with a clear message."""
import json
import os
import zipfile

import nbformat
import pytest

from grader.errors import SubmissionError
from grader.load import MAX_SOURCE_BYTES, load, strip_magics, student_id


def folder(tmp_path, name="alice", **files):
    d = tmp_path / name
    d.mkdir()
    for fname, text in files.items():
        (d / fname.replace("__", ".")).write_text(text)
    return d


def test_answers_py_is_one_cell(tmp_path):
    sub = load(folder(tmp_path, answers__py="x = 1\n"), tmp_path / "s")
    assert (sub.student, sub.kind, sub.cells) == ("alice", "module", (("answers.py", "x = 1\n"),))


def test_notebook_cells_with_magics_dropped(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("!pip install x\nimport math"), nbformat.v4.new_markdown_cell("hi"),
                nbformat.v4.new_code_cell("%%bash\necho hi"), nbformat.v4.new_code_cell("%%time\ny = 2"),
                nbformat.v4.new_code_cell("if True:\n    %time z = 3\n")]
    d = tmp_path / "bob"
    d.mkdir()
    nbformat.write(nb, str(d / "hw.ipynb"))
    sub = load(d, tmp_path / "s")
    assert sub.kind == "notebook"
    assert [c[1] for c in sub.cells] == ["\nimport math", "", "y = 2", "if True:\n    pass"]
    assert sub.cells[0][0] == "hw.ipynb, cell 1"
    assert any("cell 2" in n and "%%bash" in n for n in sub.notes)


def test_strip_magics_keeps_python():
    assert strip_magics("a = 1\n%matplotlib inline\nb = 2") == ("a = 1\n\nb = 2", ["%matplotlib inline"])


def test_invalid_notebook_json(tmp_path):
    d = folder(tmp_path, hw__ipynb="{not json")
    with pytest.raises(SubmissionError, match="hw.ipynb is not a valid notebook"):
        load(d, tmp_path / "s")


def test_notebook_of_the_wrong_shape(tmp_path):
    d = folder(tmp_path, hw__ipynb=json.dumps({"cells": "nope"}))
    with pytest.raises(SubmissionError, match="not a valid notebook"):
        load(d, tmp_path / "s")


def test_two_notebooks_are_refused_by_name(tmp_path):
    nb = nbformat.writes(nbformat.v4.new_notebook())
    d = folder(tmp_path, a__ipynb=nb, b__ipynb=nb)
    with pytest.raises(SubmissionError, match=r"several notebooks \(a.ipynb, b.ipynb\)"):
        load(d, tmp_path / "s")


def test_nothing_to_grade_says_what_was_found(tmp_path):
    d = folder(tmp_path, notes__txt="hi")
    with pytest.raises(SubmissionError, match=r"no answers found.*notes.txt"):
        load(d, tmp_path / "s")


def test_huge_source_is_refused(tmp_path):
    d = folder(tmp_path, answers__py="#" * (MAX_SOURCE_BYTES + 1))
    with pytest.raises(SubmissionError, match="answers.py is .* KiB; at most"):
        load(d, tmp_path / "s")


def test_symlink_out_of_the_folder_is_refused(tmp_path):
    d = folder(tmp_path, answers__py="x = 1")
    os.symlink("/etc/passwd", d / "data.txt")
    with pytest.raises(SubmissionError, match="data.txt is a link to a path outside"):
        load(d, tmp_path / "s")


def test_zip_with_a_top_folder(tmp_path):
    z = tmp_path / "carol.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("carol/answers.py", "x = 1\n")
    sub = load(z, tmp_path / "s")
    assert (sub.student, sub.kind) == ("carol", "module")


@pytest.mark.parametrize("member", ["../evil.py", "/abs/evil.py", "a/../../evil.py"])
def test_zip_member_escaping_is_refused(tmp_path, member):
    z = tmp_path / "dave.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("answers.py", "x = 1\n")
        zf.writestr(member, "boom")
    with pytest.raises(SubmissionError, match="would be written outside the submission"):
        load(z, tmp_path / "s")
    assert not (tmp_path / "evil.py").exists()


def test_zip_symlink_member_is_refused(tmp_path):
    z = tmp_path / "erin.zip"
    with zipfile.ZipFile(z, "w") as zf:
        info = zipfile.ZipInfo("answers.py")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(SubmissionError, match="is a symbolic link"):
        load(z, tmp_path / "s")


def test_not_a_zip(tmp_path):
    z = tmp_path / "frank.zip"
    z.write_bytes(b"PK nonsense")
    with pytest.raises(SubmissionError, match="frank.zip is not a valid zip archive"):
        load(z, tmp_path / "s")


def test_student_id_is_safe_for_paths(tmp_path):
    assert student_id(tmp_path / "../we ird;name.zip") == "we_ird_name"


def test_a_single_answer_file_is_graded_alone(tmp_path):
    d = folder(tmp_path, "gina", solution__py="x = 1\n", notes__md="# not answers")
    sub = load(d / "solution.py", tmp_path / "s")
    assert (sub.student, sub.kind, sub.cells[0][1]) == ("gina", "module", "x = 1\n")
    sub = load(d / "notes.md", tmp_path / "s2")
    assert (sub.kind, sub.text) == ("transcript", "# not answers")

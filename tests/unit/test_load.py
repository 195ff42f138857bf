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
    # Numbered as Jupyter shows them: the markdown cell is cell 2, so the %%bash cell is cell 3.
    assert [c[0] for c in sub.cells[1:]] == ["hw.ipynb, cell 3", "hw.ipynb, cell 4", "hw.ipynb, cell 5"]
    assert any(n.startswith("cell 3:") and "%%bash" in n for n in sub.notes)


def test_notebook_cell_numbers_count_markdown_and_raw_cells(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# HW7"), nbformat.v4.new_raw_cell("raw"),
                nbformat.v4.new_markdown_cell("Part (a)"), nbformat.v4.new_code_cell("x = 1")]
    d = tmp_path / "nb"
    d.mkdir()
    nbformat.write(nb, str(d / "hw.ipynb"))
    assert load(d, tmp_path / "s").cells == (("hw.ipynb, cell 4", "x = 1"),)


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


def test_symlink_out_of_the_folder_is_skipped_and_named(tmp_path):
    d = folder(tmp_path, answers__py="x = 1")
    os.symlink("/etc/passwd", d / "data.txt")
    sub = load(d, tmp_path / "s")
    assert (sub.kind, sub.cells) == ("module", (("answers.py", "x = 1"),))
    assert sub.notes == ("skipped 'data.txt': a link to a path outside the submission, not followed; "
                         "the rest was graded.",)
    assert sub.staff_notes == ("load: skipped file 'data.txt': a link to '/etc/passwd', outside the submission",)


def test_symlink_inside_the_folder_is_kept_quietly(tmp_path):
    d = folder(tmp_path, answers__py="x = 1", data__txt="1 2 3")
    os.symlink("data.txt", d / "same.txt")
    sub = load(d, tmp_path / "s")
    assert (sub.notes, sub.staff_notes) == ((), ())


def test_a_linked_answers_py_is_not_read(tmp_path):
    d = tmp_path / "mallory"
    d.mkdir()
    os.symlink("/etc/passwd", d / "answers.py")
    with pytest.raises(SubmissionError, match=r"no answers found.*skipped 'answers.py': a link"):
        load(d, tmp_path / "s")


def test_zip_with_a_top_folder(tmp_path):
    z = tmp_path / "carol.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("carol/answers.py", "x = 1\n")
    sub = load(z, tmp_path / "s")
    assert (sub.student, sub.kind, sub.notes, sub.staff_notes) == ("carol", "module", (), ())


@pytest.mark.parametrize("member", ["../evil.py", "/abs/evil.py", "a/../../evil.py", "C:/evil.py", "\\evil.py"])
def test_zip_member_escaping_is_skipped_and_the_rest_graded(tmp_path, member):
    z = tmp_path / "dave.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("answers.py", "x = 1\n")
        info = zipfile.ZipInfo("placeholder")
        info.filename = member  # ZipInfo() would normalise some of these names away; the archive keeps them
        zf.writestr(info, "boom")
    sub = load(z, tmp_path / "s")
    assert (sub.kind, sub.cells) == ("module", (("answers.py", "x = 1\n"),))
    assert sub.notes == (f"dave.zip: skipped 1 member that would be written outside the submission folder or is a "
                         f"link: {member!r}. Nothing of them was unpacked; the rest was graded.",)
    assert sub.staff_notes == (f"load: skipped zip member of dave.zip {member!r}: its path would land outside the "
                               f"submission folder",)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.read_bytes() == b"boom"]
    assert written == [] and not (tmp_path / "evil.py").exists()


def test_zip_symlink_members_are_never_written(tmp_path):
    z = tmp_path / "erin.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("answers.py", "x = 1\n")
        for name, target in (("passwd", "/etc/passwd"), ("up", "../../.."), ("here", "answers.py")):
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, target)
    sub = load(z, tmp_path / "s")
    assert sub.kind == "module"
    assert sub.notes == ("erin.zip: skipped 3 members that would be written outside the submission folder or are "
                         "links: 'passwd', 'up', 'here'. Nothing of them was unpacked; the rest was graded.",)
    assert sub.staff_notes == (
        "load: skipped zip member of erin.zip 'passwd': a symbolic link to '/etc/passwd' (outside the submission)",
        "load: skipped zip member of erin.zip 'up': a symbolic link to '../../..' (outside the submission)",
        "load: skipped zip member of erin.zip 'here': a symbolic link to 'answers.py' (links are not unpacked)")
    assert sorted(p.name for p in sub.path.iterdir()) == ["answers.py"]


def test_a_zip_whose_answers_are_all_skipped_says_so(tmp_path):
    z = tmp_path / "ivan.zip"
    with zipfile.ZipFile(z, "w") as zf:
        info = zipfile.ZipInfo("answers.py")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(SubmissionError, match=r"no answers found.*ivan.zip: skipped 1 member .*'answers.py'"):
        load(z, tmp_path / "s")


def test_many_skipped_members_are_counted_not_all_listed(tmp_path):
    z = tmp_path / "judy.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("answers.py", "x = 1\n")
        for i in range(13):
            info = zipfile.ZipInfo("x")
            info.filename = f"../e{i}.py"
            zf.writestr(info, "boom")
    sub = load(z, tmp_path / "s")
    assert sub.notes[0].endswith("'../e9.py' and 3 more. Nothing of them was unpacked; the rest was graded.")
    assert len(sub.staff_notes) == 13


def test_a_zip_member_that_cannot_be_written_is_skipped(tmp_path):
    z = tmp_path / "kim.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("answers.py", "x = 1\n")
        zf.writestr("data", "a file")
        zf.writestr("data/inner.txt", "a file under a file")
    sub = load(z, tmp_path / "s")
    assert sub.kind == "module" and "'data/inner.txt'" in sub.notes[0]
    assert sub.staff_notes[0].startswith("load: skipped zip member of kim.zip 'data/inner.txt': it could not be unpacked")


def test_zip_size_and_count_caps_still_refuse(tmp_path, monkeypatch):
    import grader.load as loader
    z = tmp_path / "liam.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for i in range(4):
            zf.writestr(f"f{i}.py", "x" * 100)
    monkeypatch.setattr(loader, "MAX_FILES", 3)
    with pytest.raises(SubmissionError, match="holds 4 files; at most 3"):
        load(z, tmp_path / "s")
    monkeypatch.setattr(loader, "MAX_FILES", 1000)
    monkeypatch.setattr(loader, "MAX_TOTAL_BYTES", 300)
    with pytest.raises(SubmissionError, match="unpacks to more than"):
        load(z, tmp_path / "s2")


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

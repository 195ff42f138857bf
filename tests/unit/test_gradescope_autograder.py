"""run_autograder's helpers without a sandbox: whose submission it is, its settings, and uploads as students make them."""
import json
import zipfile

import pytest

from grader.staff.autograder import AutograderError, read_settings, stage, student_of


def meta(root, users, **extra):
    (root / "submission_metadata.json").write_text(json.dumps({"id": 5, "users": users, **extra}))


def test_the_student_is_the_gradescope_user_id(tmp_path):
    meta(tmp_path, [{"id": 1234, "email": "a@x.edu", "name": "A"}])
    assert student_of(tmp_path) == ("1234", {"gradescope_user_ids": ["1234"], "gradescope_submission_id": 5})


def test_a_group_is_every_member_sorted(tmp_path):
    meta(tmp_path, [{"id": 9}, {"id": 10}])
    assert student_of(tmp_path)[0] == "10-9"


@pytest.mark.parametrize("content", [None, "{", json.dumps({"users": []}), json.dumps({"users": [{"name": "x"}]}),
                                     json.dumps({"users": [{"id": "12; rm -rf /"}]})])
def test_metadata_that_names_no_user_is_an_autograder_error(tmp_path, content):
    if content is not None:
        (tmp_path / "submission_metadata.json").write_text(content)
    with pytest.raises(AutograderError) as info:
        student_of(tmp_path)
    assert "not a fault of your work" in info.value.student
    assert "submission_metadata.json" in str(info.value)


def test_settings_are_checked(tmp_path):
    (tmp_path / "source").mkdir()
    good = {"format": 1, "secret": "s", "problems": [], "before_due": True, "course": None}
    (tmp_path / "source" / "autograder.json").write_text(json.dumps(good))
    assert read_settings(tmp_path) == good
    for bad in ({**good, "secret": ""}, {**good, "course": "../../etc/passwd"}, {**good, "before_due": "yes"}, []):
        (tmp_path / "source" / "autograder.json").write_text(json.dumps(bad))
        with pytest.raises(AutograderError, match="export the zip again|expected the settings"):
            read_settings(tmp_path)


def upload(tmp_path, files: dict):
    sub = tmp_path / "submission"
    for name, text in files.items():
        (sub / name).parent.mkdir(parents=True, exist_ok=True)
        (sub / name).write_text(text)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    return sub, scratch


def test_answers_py_is_taken_as_it_is(tmp_path):
    sub, scratch = upload(tmp_path, {"answers.py": "x = 1", "helper.py": "y = 2"})
    path, notes = stage(sub, scratch, "1234")
    assert path == scratch / "1234" and (path / "answers.py").read_text() == "x = 1" and notes == ()


def test_a_lone_python_file_is_graded_as_answers_py_and_the_report_says_so(tmp_path):
    sub, scratch = upload(tmp_path, {"hw7_solutions.py": "x = 1"})
    path, notes = stage(sub, scratch, "1234")
    assert (path / "answers.py").read_text() == "x = 1"
    assert notes == ("graded hw7_solutions.py as answers.py (the name the homework asks for)",)


def test_a_lone_markdown_file_is_the_transcript(tmp_path):
    sub, scratch = upload(tmp_path, {"chat.md": "## User\nhi"})
    path, notes = stage(sub, scratch, "1234")
    assert (path / "transcript.md").is_file() and "chat.md as transcript.md" in notes[0]


def test_an_uploaded_folder_is_looked_into(tmp_path):
    sub, scratch = upload(tmp_path, {"hw7/answers.py": "x = 1"})
    path, _ = stage(sub, scratch, "1234")
    assert (path / "answers.py").is_file()


def test_an_uploaded_zip_is_passed_to_the_loader_under_the_student_id(tmp_path):
    sub, scratch = upload(tmp_path, {})
    sub.mkdir()
    with zipfile.ZipFile(sub / "my hw.zip", "w") as zf:
        zf.writestr("answers.py", "x = 1")
    path, _ = stage(sub, scratch, "1234")
    assert path == scratch / "1234.zip" and zipfile.is_zipfile(path)


def test_a_link_out_of_the_upload_stays_a_link_for_the_loader_to_refuse(tmp_path):
    sub, scratch = upload(tmp_path, {"answers.py": "x = 1"})
    (tmp_path / "secret.txt").write_text("s")
    (sub / "leak.txt").symlink_to(tmp_path / "secret.txt")
    path, _ = stage(sub, scratch, "1234")
    assert (path / "leak.txt").is_symlink()

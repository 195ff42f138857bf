"""grader.github: workflow commands, where answers are defined, the job summary and the annotations."""
import nbformat

from grader import github
from grader.model import CheckResult, PartScore, Report


def check(part, status, message="", problem="seq2seq_translation", points=3.0, score=0.0, claim="c"):
    return CheckResult(problem, part, claim, f"{part} claim", points, score, status, message, "public")


def part(name, status, points=3.0, score=0.0, extra=False, kind="value", problem="seq2seq_translation"):
    return PartScore(problem, name, points, score, status, kind, "answer", extra_credit=extra)


def test_messages_and_properties_are_escaped_as_the_runner_reads_them():
    assert github.escape_data("50% done\nnext\r") == "50%25 done%0Anext%0D"
    assert github.escape_property("a.b: c, d") == "a.b%3A c%2C d"
    note = github.Annotation("error", "p.q: wrong (0/3)", "line one\nline two", "submissions/mine/answers.py", 7)
    assert note.command() == ("::error file=submissions/mine/answers.py,line=7,title=p.q%3A wrong (0/3)"
                              "::line one%0Aline two")
    assert github.Annotation("warning", "t", "m").command() == "::warning title=t::m"


def test_under_actions_reads_github_actions():
    assert github.under_actions({"GITHUB_ACTIONS": "true"})
    assert not github.under_actions({"GITHUB_ACTIONS": "false"}) and not github.under_actions({})


def test_answers_py_definitions_are_found_by_parsing(tmp_path):
    sub = tmp_path / "submissions" / "mine"
    sub.mkdir(parents=True)
    (sub / "answers.py").write_text('"""doc"""\nimport math\n\nx = 1\ngrad_W1 = "W1"\n\n\ndef train(X, k):\n    return 1\n'
                                    "grad_W1 = 'again'\n")
    where = github.source_map(sub, tmp_path)
    assert where.file == "submissions/mine/answers.py"
    assert where.line_of("train") == 8
    assert where.line_of("grad_W1") == 10  # the last definition is the one an import keeps
    assert where.line_of("missing") is None
    assert where.line_at("answers.py", 3) == 3


def test_a_file_that_does_not_parse_still_names_the_file(tmp_path):
    (tmp_path / "answers.py").write_text("def broken(:\n")
    where = github.source_map(tmp_path, tmp_path)
    assert where.file == "answers.py" and where.definitions == {}


def test_notebook_cells_and_definitions_are_lines_of_the_ipynb_file(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# HW7"),
                nbformat.v4.new_code_cell("import numpy as np\n\ndef pca_weights(X, k):\n    return X, X"),
                nbformat.v4.new_code_cell("grad_W1 = 'W2.T'")]
    path = tmp_path / "hw.ipynb"
    nbformat.write(nb, str(path))
    lines = path.read_text().splitlines()
    where = github.source_map(tmp_path, tmp_path)
    assert where.file == "hw.ipynb"
    assert "def pca_weights" in lines[where.line_of("pca_weights") - 1]
    assert "grad_W1 = " in lines[where.line_of("grad_W1") - 1]
    assert "import numpy" in lines[where.line_at("hw.ipynb, cell 2", 1) - 1]
    assert "def pca_weights" in lines[where.line_at("hw.ipynb, cell 2", 3) - 1]


def test_a_minified_notebook_gets_no_lines(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    (tmp_path / "hw.ipynb").write_text(nbformat.writes(nb).replace("\n", " "))
    where = github.source_map(tmp_path, tmp_path)
    assert where.file == "hw.ipynb" and where.cells == {} and where.line_of("x") is None


def report(**kw):
    checks = (check("training_decoder_inputs", "wrong", "w3 is not right", claim="a"),
              check("evaluation_decoder_inputs", "passed", points=3, score=3, claim="b"),
              check("vertical_stacking_problem", "pending", "short", points=4, claim="c"),
              check("train_fast", "error", "train_fast crashed", problem="resnet_blog", points=2, claim="d"))
    parts = (part("training_decoder_inputs", "wrong"), part("evaluation_decoder_inputs", "passed", score=3),
             part("vertical_stacking_problem", "pending", points=4, kind="manual"),
             part("train_fast", "error", points=2, extra=True, problem="resnet_blog"))
    return Report("mine", "check", "module", checks, parts, problems=(("seq2seq_translation", "Seq2seq"),), **kw)


def test_failed_parts_are_errors_and_optional_ones_warnings_at_their_definitions():
    where = github.SourceMap("submissions/mine/answers.py", {"training_decoder_inputs": 4, "train_fast": 20})
    notes = github.annotations(report(), where)
    assert [(n.level, n.title, n.line) for n in notes] == [
        ("error", "seq2seq_translation.training_decoder_inputs: wrong (0/3)", 4),
        ("warning", "resnet_blog.train_fast: code crashed (0/2) (optional, extra credit)", 20)]
    assert notes[0].message == "training_decoder_inputs claim: w3 is not right"
    assert all(n.file == "submissions/mine/answers.py" for n in notes)


def test_an_import_error_is_annotated_at_the_line_it_names():
    error = ('answers.py: Traceback (most recent call last):\n  File "answers.py", line 12, in <module>\n'
             "    1/0\nZeroDivisionError: division by zero")
    notes = github.annotations(report(import_error=error), github.SourceMap("s/answers.py"))
    assert (notes[0].level, notes[0].line, notes[0].title) == ("error", 12, "Your code raised an error while being imported")
    cell = 'hw.ipynb, cell 3: Traceback\n  File "hw.ipynb, cell 3", line 2, in <module>\nNameError: x'
    where = github.SourceMap("s/hw.ipynb", cells={"hw.ipynb, cell 3": 40})
    assert github.annotations(report(import_error=cell), where)[0].line == 41


def test_the_job_summary_is_a_table_of_parts_with_the_public_only_wording():
    text = github.job_summary(report(), "submissions/mine")
    assert "## HW7 public checks: `submissions/mine`" in text
    assert "public checks only" in text and "Hidden checks" in text
    assert "| `seq2seq_translation.training_decoder_inputs` | ❌ wrong | 0/3 |" in text
    assert "| `seq2seq_translation.evaluation_decoder_inputs` | ✅ passed | 3/3 |" in text
    assert "| `seq2seq_translation.vertical_stacking_problem` | 📝 awaiting manual grading | 4 (TA) |" in text
    assert "| `resnet_blog.train_fast` | ❌ code crashed | 0/2 extra |" in text
    assert "<summary>seq2seq_translation.training_decoder_inputs: training_decoder_inputs claim</summary>" in text
    assert "<pre>w3 is not right</pre>" in text


def test_table_cells_cannot_break_the_table():
    r = Report("mine", "check", "module", (), (), load_error="bad | zip\nfile <b>")
    text = github.job_summary(r, "x")
    assert "bad \\| zip file &lt;b&gt;" in text


def test_publish_appends_the_summary_and_prints_the_commands(tmp_path):
    import io
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    out = io.StringIO()
    (tmp_path / "answers.py").write_text("training_decoder_inputs = []\n")
    github.publish(report(), tmp_path, {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(tmp_path)}, out)
    assert summary.read_text().startswith("earlier step\n## HW7 public checks")
    assert out.getvalue().splitlines()[0].startswith("::error file=answers.py,line=1,title=")

"""The similarity report: planted copies are found, independent work that shares only the template is not."""
import json

import numpy as np
import pytest

from grader.model import FORMAT, NOT_ANSWERED, PASSED, WRONG
from grader.staff.similarity import (Settings, Source, code_document, compare, kgram_hashes, render, sources_of,
                                     text_document, winnow)
from tests.unit.similarity_fakes import ALICE, BOB, CAROL, DAVE, ERIN, ESSAY, MALLORY, OTHER, REWORDED, TEMPLATE

LEARNED = "resnet_blog.learned"


def parts(grad_w1=PASSED, grad_w2=PASSED) -> tuple:
    """The parts of a submission: two value answers (graded as given) and two functions."""
    return (("grad_W1", "pca_autoencoder.grad_W1", "value", grad_w1),
            ("grad_W2", "pca_autoencoder.grad_W2", "value", grad_w2),
            ("decoder_inputs", "seq2seq_translation.decoder_inputs", "function", PASSED),
            ("pca_weights", "pca_autoencoder.pca_weights", "function", PASSED))


def source(student: str, code: str = "", essay: str | None = None, **statuses) -> Source:
    return Source(student, (("answers.py", code),) if code else (),
                  ((LEARNED, essay),) if essay is not None else (), parts(**statuses))


def pairs(report) -> list[tuple[str, str]]:
    return [(p.a, p.b) for p in report.pairs]


def class_of(*extra: Source) -> list[Source]:
    return [source("alice", ALICE), source("bob", BOB), source("carol", CAROL), *extra]


def test_a_copy_with_renamed_variables_and_reordered_functions_is_found():
    report = compare(class_of(source("mallory", MALLORY)))
    assert pairs(report) == [("alice", "mallory")]
    [pair] = report.pairs
    [code] = pair.matches
    assert code.what == "code" and code.score >= 0.8 and min(code.covered) >= 0.8
    # Matched passages point into each side's own text, with the copied lines highlighted.
    marked = "".join(t for left, right in code.passages for side in (left, right) for t, hit in side.segments if hit)
    assert "np.linalg.eigh(covariance)" in marked and "np.linalg.eigh(cov)" in marked


def test_independent_correct_solutions_are_not_flagged():
    report = compare(class_of())
    assert report.pairs == () and report.submissions == 3


def test_only_the_template_in_common_is_not_flagged_and_without_the_template_it_would_be():
    # Two independent solutions that both keep the template's helper function.
    bob, carol = source("bob", TEMPLATE + BOB), source("carol", TEMPLATE.replace('"""HW7 answers."""', "") + CAROL)
    assert pairs(compare([bob, carol], template=TEMPLATE)) == []
    assert pairs(compare([bob, carol])) == [("bob", "carol")]  # the exclusion is what keeps them apart


def test_the_templates_commented_out_lines_count_as_its_code():
    lines = "\n".join(f"# def helper_{i}(X, k): return X[:k] * k + {i}" for i in range(3))
    filled = "\n".join(f"def helper_{i}(X, k): return X[:k] * k + {i}" for i in range(3))
    a, b = source("a", filled + "\n" + BOB), source("b", filled + "\n" + CAROL)
    assert pairs(compare([a, b], template=lines)) == []


def test_the_same_wrong_gradient_is_found_and_the_same_right_one_is_not():
    report = compare(class_of(source("dave", DAVE, grad_w1=WRONG), source("erin", ERIN, grad_w1=WRONG)))
    assert pairs(report) == [("dave", "erin")]
    [same] = report.pairs[0].answers
    assert same.key == "pca_autoencoder.grad_W1" and same.status == WRONG and same.holders == 2
    assert same.text == '"-2*W2.T*(I - W2*W1)*X*X.T + W1"'  # as dave wrote it; erin spaced it otherwise
    # alice and mallory-without-the-copy both give the right grad_W1, written alike: never evidence.
    right = source("frank", 'grad_W1 = "2*W2.T*(W2*W1 - I)*X*X.T"\n')
    assert pairs(compare(class_of(right))) == []


def test_a_wrong_answer_that_is_short_or_common_is_no_evidence():
    short = [Source(s, (("answers.py", 'grad_W1 = "W1"\n'),), (), parts(grad_w1=WRONG)) for s in ("a", "b")]
    assert pairs(compare(short)) == []
    many = [source(s, f'grad_W1 = "2*W2.T*X*X.T"\nx_{s} = {i}\n', grad_w1=FORMAT) for i, s in enumerate("abcd")]
    assert pairs(compare(many, settings=Settings(rare_min=3))) == []  # a misconception four students share
    assert len(pairs(compare(many, settings=Settings(rare_min=4)))) == 6


def test_a_lightly_reworded_free_response_is_found_and_an_essay_on_the_same_topic_is_not():
    report = compare([source("ann", essay=ESSAY), source("ben", essay=REWORDED), source("cat", essay=OTHER)])
    assert pairs(report) == [("ann", "ben")]
    [match] = report.pairs[0].matches
    assert match.what == LEARNED and match.score >= 0.4
    marked = " ".join(t for left, _ in match.passages for t, hit in left.segments if hit)
    assert "data loading" in marked and "hyperparameters are coupled" in marked


def test_the_statement_is_left_out_of_free_response_matches():
    statement = ("Write about 100 words on what you learned from the series and why it matters beyond this "
                 "benchmark, with concrete lessons about data loading, batch size and weight decay.")
    a = source("ann", essay=statement + " I liked the part on label smoothing best of all.")
    b = source("ben", essay=statement + " Mostly the GPU profiling, which surprised me.")
    assert pairs(compare([a, b])) == [("ann", "ben")]
    assert pairs(compare([a, b], statements={LEARNED: statement})) == []


def test_a_passage_most_of_the_class_shares_is_ignored():
    shared = ("def norm(v):\n    total = 0\n    for x in v:\n        total += x * x\n    return total ** 0.5\n\n"
              "def unit(v):\n    n = norm(v)\n    if n == 0:\n        raise ValueError('zero vector')\n"
              "    return [x / n for x in v]\n")
    lines = ["a = b + c", "while a: a -= 1", "print(len(b))", "x = {1: 2}", "y = not z", "del q", "assert a is b",
             "w = a if b else c", "import os", "r = [i for i in s]", "t = lambda: 0", "u = a[1:2]"]

    def own(i: int) -> str:  # a line of each student's own, so that no two files are identical
        return lines[i] + "\n"

    few = [source(f"s{i}", shared + own(i)) for i in range(3)]
    assert len(pairs(compare(few))) == 3
    many = [source(f"s{i}", shared + own(i)) for i in range(12)]
    assert pairs(compare(many, settings=Settings(common_min=10, common_share=0.1))) == []


def test_code_that_does_not_tokenize_is_still_compared():
    broken = MALLORY.replace("def sanity(enc, dec, rows, cols):", "def sanity(enc, dec, rows, cols:") + "\n  oops = (\n"
    report = compare(class_of(source("mallory", broken)))
    assert pairs(report) == [("alice", "mallory")] and report.pairs[0].score >= 0.6


def test_names_literals_comments_and_docstrings_are_normalized_away():
    a = code_document((("answers.py", 'def f(x, y):\n    """Adds."""\n    z = x + 2  # sum\n    return z\n'),))
    b = code_document((("answers.py", "def g(p, q):\n    r = p + 7\n    return r\n"),))
    assert a.tokens == b.tokens == ("def", "V", "(", "V", ",", "V", ")", ":", "V", "=", "V", "+", "N", "return", "V")
    keep = code_document((("answers.py", "def pca_weights(X, k):\n    return np.linalg.svd(X @ X.T)\n"),),
                         names=frozenset({"pca_weights"}))
    assert keep.tokens[:2] == ("def", "pca_weights")  # the contract's names stay, and so do library attributes
    assert {"linalg", "svd", "T"} <= set(keep.tokens) and "X" not in keep.tokens
    # Each token's span points at what it stands for in the document's text.
    assert [b.text[s:e] for s, e in b.spans][:3] == ["def", "g", "("]


def test_value_answers_are_kept_aside_and_free_responses_left_out_of_the_code():
    doc = code_document((("answers.py", 'grad_W1 = "2 * W2.T  @ X"\nlearned = "an essay"\nx = 1\n'),),
                        names=frozenset({"grad_W1", "learned"}), values=frozenset({"grad_W1"}))
    assert doc.answers == (("grad_W1", '"2 * W2.T  @ X"', '"2*W2.T@X"'),)
    assert doc.tokens == ("V", "=", "N")


def test_notebook_cells_are_one_document_with_their_labels():
    doc = code_document((("hw.ipynb, cell 1", "import numpy as np"), ("hw.ipynb, cell 2", "y = np.ones(3)\n")))
    assert "# --- hw.ipynb, cell 2\ny = np.ones(3)" in doc.text
    assert [doc.text[s:e] for s, e in doc.spans][-4:] == ["ones", "(", "3", ")"]


def test_text_documents_drop_case_punctuation_and_common_words():
    doc = text_document("The Learning rate, and THE learned rates!")
    assert doc.tokens == ("learn", "rate", "learn", "rate")
    assert [doc.text[s:e] for s, e in doc.spans] == ["Learning", "rate", "learned", "rates"]


@pytest.mark.parametrize("seed", range(20))
def test_winnowing_always_finds_a_shared_run_of_k_plus_w_minus_1_tokens(seed):
    rng = np.random.default_rng(seed)
    k, w = 5, 4
    run = [f"t{x}" for x in rng.integers(0, 50, k + w - 1)]
    a = [f"a{x}" for x in rng.integers(0, 50, int(rng.integers(0, 30)))] + run + ["a0"] * int(rng.integers(0, 5))
    b = [f"b{x}" for x in rng.integers(0, 50, int(rng.integers(0, 30)))] + run
    ids: dict = {}
    assert winnow(kgram_hashes(tuple(a), k, ids), w) & winnow(kgram_hashes(tuple(b), k, ids), w)


def test_the_page_escapes_student_text_and_links_each_report():
    hostile = ALICE.replace('"""Teacher forcing while training."""', 'print("<script>alert(1)</script>")')
    copy = MALLORY.replace("# my own work", "# </pre><script>alert(2)</script>")
    page = render(compare([source("alice", hostile), source("mallory", copy)]))
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert '<a href="../alice/report.html">alice</a>' in page and "<mark>" in page
    assert "staff only" in page.lower() and 'content="default-src \'none\'' in page


def test_an_empty_report_says_so():
    page = render(compare([source("alice", ALICE)]))
    assert 'id="no-pairs"' in page


def test_sources_are_read_from_folders_zips_and_notebooks_and_unreadable_ones_are_listed(tmp_path):
    import shutil

    from grader.model import Report

    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "answers.py").write_text(ALICE)
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "hw.ipynb").write_text(json.dumps({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "id": "a",
                   "source": "%matplotlib inline\nx = 1"}]}))
    shutil.make_archive(str(tmp_path / "zipped"), "zip", tmp_path / "alice")
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    paths = [tmp_path / n for n in ("alice", "nb", "zipped.zip", "broken.zip")]
    reports = [Report(s, "grade", "module", responses=(("resnet_blog", "learned", "text"),))
               for s in ("alice", "nb", "zipped", "broken")]
    found, skipped = sources_of(paths, reports)
    by = {s.student: s for s in found}
    assert sorted(by) == ["alice", "nb", "zipped"] and by["zipped"].code == by["alice"].code
    assert by["nb"].code == (("hw.ipynb, cell 1", "\nx = 1"),) and by["alice"].responses == ((LEARNED, "text"),)
    assert [s for s, _ in skipped] == ["broken.zip"] and "could not be loaded" in skipped[0][1]


def test_students_without_code_are_compared_on_their_free_responses_only():
    report = compare([source("ann", essay=ESSAY, grad_w1=NOT_ANSWERED), source("ben", ALICE, essay=REWORDED)])
    assert pairs(report) == [("ann", "ben")] and [m.what for m in report.pairs[0].matches] == [LEARNED]


def test_one_essay_handed_in_by_most_of_the_class_is_still_reported_once_per_copy():
    """Common passages count for no one, but identical documents always do: first holder paired with each other."""
    essays = [source(f"s{i:02d}", essay=ESSAY) for i in range(14)] + [source("own", essay=OTHER)]
    report = compare(essays, settings=Settings(common_min=10))
    assert pairs(report) == [("s00", f"s{i:02d}") for i in range(1, 14)]
    assert all(p.matches[0].score == 1.0 and p.matches[0].what == LEARNED for p in report.pairs)
    assert all(p.matches[0].passages for p in report.pairs)  # its passages shown, common though they are


def test_the_page_shows_at_most_max_pairs_and_counts_the_rest():
    essays = [source(f"s{i:02d}", essay=ESSAY) for i in range(6)]  # fewer than the common limit: every pair counts
    report = compare(essays, settings=Settings(max_pairs=2))
    assert len(report.pairs) == 2 and report.more == 15 - 2
    assert "13 more pair(s) are above the thresholds" in render(report)


def test_sources_go_under_their_batch_ids_when_several_folders_share_names(tmp_path):
    """`grader grade A B` prefixes ids with the folder's name when names repeat: each path is read under its id."""
    from grader.model import Report

    for folder, code in (("a", ALICE), ("b", BOB)):
        (tmp_path / folder / "sam").mkdir(parents=True)
        (tmp_path / folder / "sam" / "answers.py").write_text(code)
    paths = [tmp_path / "a" / "sam", tmp_path / "b" / "sam"]
    reports = [Report(s, "grade", "module") for s in ("a-sam", "b-sam")]
    found, skipped = sources_of(paths, reports, {paths[0]: "a-sam", paths[1]: "b-sam"})
    assert skipped == [] and [s.student for s in found] == ["a-sam", "b-sam"]
    assert found[0].code != found[1].code  # each its own folder's code
    assert [s for s, _ in sources_of(paths, reports)[1]] == ["sam", "sam"]  # under the folder's name, no report

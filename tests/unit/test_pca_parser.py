"""The pca_autoencoder expression parser: trees for both notations, exact errors, bounds, hostile input."""
import time
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.errors import FormatError
from problems.pca_autoencoder import matexpr as M
from problems.pca_autoencoder.equivalence import values
from problems.pca_autoencoder.matexpr import Add, Ident, Mul, Num, Sym, T, Trace, Typed, Zero

W1, W2, X = Sym("W1"), Sym("W2"), Sym("X")
I = Ident(None)
MINUS_I = Mul((Num(Fraction(-1)), I))
# 2 W2ᵀ (W2 W1 − I) X Xᵀ: the gradient in W1, as every notation should read it.
GRAD1 = Mul((Num(Fraction(2)), T(W2), Add((Mul((W2, W1)), MINUS_I)), X, T(X)))

TREES = [
    ("2*W2.T*(W2*W1 - I)*X*X.T", GRAD1),
    ("2*W2.T@(W2@W1 - I)@X@X.T", GRAD1),
    ("2 W2^T (W2 W1 - I) X X^T", GRAD1),
    ("2*W2'*(W2*W1 - I)*X*X'", GRAD1),
    ("2*W2.transpose()*(W2*W1 - I)*X*X.T()", GRAD1),
    (r"2W_2^\top (W_2 W_1 - I) X X^\top", GRAD1),
    (r"2W_{2}^{\top}\left(W_{2}W_{1} - I\right)XX^{\top}", GRAD1),
    (r"2 \cdot W_2^T \cdot (W_2 W_1 - I) \cdot X \cdot X^T", GRAD1),
    (r"2\mathbf{W}_2^\top(\mathbf{W}_2\mathbf{W}_1-\mathbf{I})\mathbf{X}\mathbf{X}^\intercal", GRAD1),
    (r"$2W_2^\top\,(W_2 W_1 - I)\;X X^\top$", GRAD1),
    ("2 W2ᵀ (W2 W1 − I) X Xᵀ", GRAD1),
    (r"2W_2^\top \left[W_2 W_1 - I\right] X X^\top", GRAD1),
    ("W2 W1 - I_m", Add((Mul((W2, W1)), Mul((Num(Fraction(-1)), Ident("m")))))),
    (r"W_1 W_2 - I_{k}", Add((Mul((W1, W2)), Mul((Num(Fraction(-1)), Ident("k")))))),
    ("Ik", Ident("k")),
    ("1/2 W1", Mul((Num(Fraction(1, 2)), W1))),
    ("W1/2", Mul((Num(Fraction(1, 2)), W1))),
    (r"\frac{1}{2} W_1", Mul((Num(Fraction(1, 2)), W1))),
    (r"\tfrac{W_1}{4}", Mul((Num(Fraction(1, 4)), W1))),
    ("0.5*W1", Mul((Num(Fraction(1, 2)), W1))),
    ("-(-W1)", W1),
    ("W1 * -2", Mul((Num(Fraction(-2)), W1))),
    ("(1 + 1) * W1", Mul((Num(Fraction(2)), W1))),
    ("(W2 W1).T", T(Mul((W2, W1)))),
    ("X^{T}^T", T(T(X))),
    ("W1 + 0", W1),
    (r"\mathbf{0}", Zero()),
    ("XX^T", Mul((X, T(X)))),
]

# tr(W1 W2) in every spelling of the trace, and ‖X‖_F² in every spelling of the norm (read as tr(XᵀX)).
TR_W1_W2 = Trace(Mul((W1, W2)))
TRACES = ["tr(W1 W2)", "tr(W1*W2)", r"\operatorname{tr}(W_1 W_2)", r"\mathrm{tr}(W_1 W_2)", r"\text{tr}(W_1 W_2)",
          r"\mathrm{Tr}(W_1 W_2)", r"\operatorname{Tr}(W_1 W_2)", r"\tr(W_1 W_2)", "Tr(W1 W2)", "trace(W1 W2)",
          r"\operatorname{tr}\left(W_1 W_2\right)", r"\text{tr}\big(W_1 W_2\big)", r"\operatorname{tr}[W_1 W_2]",
          r"\operatorname{tr} \left[ W_{1} W_{2} \right]"]
NORM_X = Trace(Mul((T(X), X)))
NORMS = [r"\|X\|_F^2", "||X||_F^2", r"\lVert X \rVert_F^2", r"\Vert X\Vert_F^2", "‖X‖_F^2",
         r"\left\| X \right\|_{F}^{2}", r"\|X\|^2_F", "||X||_F**2"]
TREES += [(t, TR_W1_W2) for t in TRACES] + [(t, NORM_X) for t in NORMS] + [
    ("2 tr(W1 W2) - 1", Add((Mul((Num(Fraction(2)), TR_W1_W2)), Num(Fraction(-1))))),
    ("tr(W1 W2) W1", Mul((TR_W1_W2, W1))),
    (r"\frac{\text{tr}(W_1 W_2)}{2}", Mul((Num(Fraction(1, 2)), TR_W1_W2))),
    (r"\|X - W_2 W_1 X\|_F^2", Trace(Mul((T(Add((X, Mul((Num(Fraction(-1)), W2, W1, X))))),
                                           Add((X, Mul((Num(Fraction(-1)), W2, W1, X)))))))),
    (r"\|W_1\|_F^2 \|W_2\|_F^2", Mul((Trace(Mul((T(W1), W1))), Trace(Mul((T(W2), W2)))))),
]

# A guard against blow-ups (exponential backtracking, runaway recursion), which cost seconds or more; the
# parser's real speed is bench/bench_pca_parse.py's to measure (0.3 ms typical, 2.2 ms at the size cap).
PARSE_CPU_BOUND_S = 1.0


@pytest.mark.parametrize("text,tree", TREES, ids=[t for t, _ in TREES])
def test_parses_to_tree(text, tree):
    assert M.parse(text) == tree


ERRORS = [
    ("2*W2.T*(W2*W1 - I*X*X.T",
     "cannot read this expression: it ends too early\n"
     "  2*W2.T*(W2*W1 - I*X*X.T\n"
     "                         ^\n"
     "expected: ')'"),
    ("W1)",
     "cannot read this expression: unexpected ')' at column 3\n"
     "  W1)\n"
     "    ^\n"
     "expected: the end of the expression"),
    ("W1 W2 X Y",
     "cannot read this expression: unknown name 'Y' at column 9 (the matrices are W1, W2, X and I)\n"
     "  W1 W2 X Y\n"
     "          ^\n"
     "expected: a matrix (W1, W2, X, I), a number, '(', '[', '{', \\frac, ')', ']', '}', '+' or '-', "
     "'*' or '@', '/', a transpose (.T, ^T, ')"),
    ("*W1",
     "cannot read this expression: unexpected '*' at column 1\n"
     "  *W1\n"
     "  ^\n"
     "expected: a matrix (W1, W2, X, I), a number, '(', '[', '{', \\frac, '+' or '-'"),
    ("X^2",
     "only a transpose is allowed as an exponent here (write ^T, .T or '), not '^2'\n"
     "  X^2\n"
     "   ^"),
    ("W1^{-1}",
     "only a transpose is allowed as an exponent here (write ^T, .T or '), not '^{-1}'\n"
     "  W1^{-1}\n"
     "    ^"),
    ("W1/X",
     "only division by a number is allowed; 'X' is a matrix\n"
     "  W1/X\n"
     "     ^"),
    ("W1 / 0",
     "division by zero\n"
     "  W1 / 0\n"
     "       ^"),
    ("", "this expression is empty\n  \n  ^"),
    ("tr W1 W2",
     "cannot read this expression: unexpected 'W1' at column 4\n"
     "  tr W1 W2\n"
     "     ^\n"
     "expected: '(', '['"),
]


@pytest.mark.parametrize("text,message", ERRORS, ids=[t or "<empty>" for t, _ in ERRORS])
def test_parse_error_message(text, message):
    with pytest.raises(FormatError) as e:
        M.parse(text)
    assert e.value.message == message


SHAPE_ERRORS = [
    ("2*W2.T*(W2*W1 - I)*X.T*X",
     "these matrices cannot be multiplied: 'W2.T*(W2*W1 - I)' is k×m but 'X.T' is n×m (m columns against n rows)\n"
     "  2*W2.T*(W2*W1 - I)*X.T*X\n"
     "                     ^"),
    ("W2 W1 - I_k",
     "these matrices cannot be added: 'W2 W1' is m×m but 'I_k' is k×k\n"
     "  W2 W1 - I_k\n"
     "          ^"),
    ("2 - W1",
     "a number cannot be added to a matrix: '2' is a number (did you mean 2I?)\n"
     "  2 - W1\n"
     "  ^"),
    ("I",
     "the size of 'I' cannot be told from the expression; write I_m or I_k\n"
     "  I\n"
     "  ^"),
    ("tr(W1 X)",
     "the trace needs a square matrix, but 'W1 X' is k×n\n"
     "  tr(W1 X)\n"
     "     ^"),
    (r"\text{tr}(X^\top W_2)",
     "the trace needs a square matrix, but 'X^\\top W_2' is n×k\n"
     "  \\text{tr}(X^\\top W_2)\n"
     "            ^"),
    # W1 X Xᵀ is k×m and W2ᵀ is k×m: a cyclic shift that forgot to drop the transpose.
    (r"\text{tr}(W_1 X X^\top W_2^\top)",
     "these matrices cannot be multiplied: 'W_1 X X^\\top' is k×m but 'W_2^\\top' is k×m "
     "(m columns against k rows)\n"
     "  \\text{tr}(W_1 X X^\\top W_2^\\top)\n"
     "                         ^"),
    ("tr(W1 W2) + W1",
     "a number cannot be added to a matrix: 'tr(W1 W2)' is a number\n"
     "  tr(W1 W2) + W1\n"
     "  ^"),
    # A piece holding the transpose mark ' is quoted with double quotes, LaTeX backslashes as written.
    ("W1' + W1",
     "these matrices cannot be added: \"W1'\" is m×k but 'W1' is k×m\n"
     "  W1' + W1\n"
     "        ^"),
    ("tr(I)",
     "the size of 'I' cannot be told from the expression; write I_m or I_k\n"
     "  tr(I)\n"
     "     ^"),
]


@pytest.mark.parametrize("text,message", SHAPE_ERRORS, ids=[t for t, _ in SHAPE_ERRORS])
def test_shape_error_message(text, message):
    with pytest.raises(FormatError) as e:
        M.typecheck(M.parse(text), text)
    assert e.value.message == message


@pytest.mark.parametrize("text,fit,shape,sizes", [
    ("W2 W1 - I", None, ("m", "m"), ["m"]),
    ("W1 W2 - I", None, ("k", "k"), ["k"]),
    ("I", ("k", "m"), ("k", "k"), ["k"]),  # fit sizes what is open, then the shape check complains
    ("X^T X + I", None, ("n", "n"), ["n"]),
    ("I W1", ("k", "m"), ("k", "m"), ["k"]),
])
def test_identity_takes_its_size_from_context(text, fit, shape, sizes):
    typed = M.typecheck(M.parse(text), text, fit)
    assert typed.shape == shape
    assert _ident_sizes(typed.tree) == sizes


def _ident_sizes(tree):
    if isinstance(tree, Ident):
        return [tree.size]
    kids = getattr(tree, "terms", None) or getattr(tree, "factors", None) or ([tree.arg] if isinstance(tree, T) else [])
    return [s for k in kids for s in _ident_sizes(k)]


@pytest.mark.parametrize("text,shape", [
    ("tr(W1 W2)", None),
    ("2 tr(W1 W2) + tr(W2 W1) - 3", None),  # numbers add up with numbers
    ("tr(W1 W2) W1 - W1", ("k", "m")),  # a trace scales a matrix like a number does
    ("tr(tr(W2 W1))", None),  # a number is 1×1, its own trace
    (r"\|X - W_2 W_1 X\|_F^2", None),
    ("tr(W2 W1 - I)", None),  # the identity takes its size from the square argument
])
def test_a_trace_is_a_number(text, shape):
    assert M.typecheck(M.parse(text), text).shape == shape


def test_a_trace_evaluates_with_numpy():
    from problems.pca_autoencoder.equivalence import draws

    for text, want in [("tr(W2 W1)", lambda e, s: np.trace(e["W2"] @ e["W1"])),
                       (r"\|X - W_2 W_1 X\|_F^2", lambda e, s: np.sum((e["X"] - e["W2"] @ e["W1"] @ e["X"]) ** 2)),
                       ("tr(W2 W1 - I) W1", lambda e, s: (np.trace(e["W2"] @ e["W1"]) - s["m"]) * e["W1"])]:
        got = values(M.typecheck(M.parse(text), text))
        for d, v in zip(draws(), got):
            assert np.allclose(v, want(d.env, d.sizes), rtol=1e-12), text


def test_the_grammar_has_no_conflicts():
    """LALR resolves a shift/reduce conflict silently (as a shift); Lark logs each one under debug."""
    import logging

    from lark import Lark, logger

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        Lark(M._GRAMMAR, parser="lalr", lexer="contextual", debug=True)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert not [r.getMessage() for r in records if "onflict" in r.getMessage()]


def test_a_norm_counts_its_argument_twice_against_the_bound():
    # 98 terms: 198 parts as written, but the tree tr(AᵀA) holds the sum twice (201 nodes).
    text = r"\|" + "W1 + " * 97 + r"W1\|_F^2"
    with pytest.raises(FormatError) as e:
        M.parse(text)
    assert e.value.message.startswith("this expression is too long (more than 200 parts)")


def test_equation_of_traces_against_zero():
    eq = M.parse_equation("tr(W2 W1) = 0")
    lhs, rhs = M.typecheck_equation(eq, "tr(W2 W1) = 0")
    assert lhs.shape is None and rhs.shape is None  # the 0 beside a number is the number 0


def test_equation_sides_and_zero():
    eq = M.parse_equation("W2.T*(W2*W1 - I)*X*X.T = 0")
    assert eq.rhs == Zero()
    lhs, rhs = M.typecheck_equation(eq, "W2.T*(W2*W1 - I)*X*X.T = 0")
    assert lhs.shape == rhs.shape == ("k", "m")


def test_python_double_equals_reads_as_equals():
    assert M.parse_equation("W1 == W2.T") == M.parse_equation("W1 = W2.T")


@pytest.mark.parametrize("text,message", [
    ("W1 W2", "a condition needs the form 'lhs = rhs'; there is no '='\n  W1 W2\n       ^"),
    ("W1 = W2.T = 0", "a condition has exactly one '='; this is a second one\n  W1 = W2.T = 0\n            ^"),
])
def test_equation_errors(text, message):
    with pytest.raises(FormatError) as e:
        M.parse_equation(text)
    assert e.value.message == message


def test_equation_sides_must_share_a_shape():
    text = "W1 = W2"
    with pytest.raises(FormatError) as e:
        M.typecheck_equation(M.parse_equation(text), text)
    assert e.value.message == ("the two sides have different shapes: the left is k×m, the right is m×k\n"
                               "  W1 = W2\n       ^")


def test_label_before_the_last_equals_is_ignored():
    assert M.parse_answer(r"\frac{\partial L}{\partial W_1} = 2W_2^\top (W_2 W_1 - I) X X^\top") == GRAD1


def test_carets_point_into_the_full_answer_after_a_label():
    with pytest.raises(FormatError) as e:
        M.parse_answer("dL/dW1 = W1 +")
    assert e.value.message.splitlines()[1:3] == ["  dL/dW1 = W1 +", "               ^"]


def test_lost_backslashes_of_non_raw_strings_are_repaired():
    text = "2W_2^\top \\left(W_2 W_1 - I\right) X X^\top"  # \t and \r are escapes here, on purpose
    assert M.parse(M.repair_escapes(text)) == GRAD1


def test_printing_round_trips():
    printed = M.to_text(GRAD1)
    assert printed == "2*W2.T*(W2*W1 - I)*X*X.T"
    assert M.parse(printed) == GRAD1
    with_traces = M.parse(r"2\text{tr}(W_2 W_1) W_1 - \|X\|_F^2 W_1")
    assert M.to_text(with_traces) == "2*tr(W2*W1)*W1 - tr(X.T*X)*W1"
    assert M.parse(M.to_text(with_traces)) == with_traces


def test_traces_to_and_from_sympy():
    import sympy as sp

    text = "tr(W2 W1) + 2 tr(X.T X) tr(W1 W2)"
    typed = M.typecheck(M.parse(text), text)
    expr = M.to_sympy(typed.tree)
    assert isinstance(expr, sp.Add) and expr.atoms(sp.Trace)
    assert M.from_sympy(expr) is not None
    back = M.typecheck(M.from_sympy(expr), "")
    assert np.allclose(values(back), values(typed), rtol=1e-12)


def test_to_sympy_is_the_matrix_expression():
    import sympy as sp

    typed = M.typecheck(GRAD1, "", ("k", "m"))
    expr = M.to_sympy(typed.tree)
    assert expr.shape == (sp.Symbol("k", integer=True, positive=True), sp.Symbol("m", integer=True, positive=True))
    assert M.from_sympy(expr) == M.from_sympy(M.to_sympy(M.from_sympy(expr)))


# ---------------------------------------------------------------- bounds and hostile input

@pytest.mark.parametrize("text,start", [
    ("W1+" * 400 + "W1", "this expression is too long (1202 characters"),
    ("(" * 13 + "W1" + ")" * 13, "this expression nests brackets too deeply"),
    ("W1 + " * 190 + "W1", "this expression is too long (more than 200 parts)"),
    ("X" * 300, "this expression is too long (more than 200 parts)"),
    ("X'" * 250, "this expression is too long (more than 200 parts)"),
    ("1" * 20 + " W1", "this number is out of range"),
    ("99999*99999*W1", "this number is out of range"),
    ("0.0000000001 W1", "this number is out of range"),
])
def test_bounds_fail_fast_as_format_errors(text, start):
    t0 = time.process_time()  # CPU, not wall: a loaded machine must not fail it
    with pytest.raises(FormatError) as e:
        M.parse(text)
    assert e.value.message.startswith(start)
    assert time.process_time() - t0 < PARSE_CPU_BOUND_S


PIECES = ["W1", "W2", "X", "I", "I_k", "W_1", "W_{2}", r"\top", "^T", "^", ".T", "'", "*", "@", "/", "+", "-",
          "(", ")", "[", "]", "{", "}", r"\left(", r"\right)", r"\frac", r"\cdot", "0", "2", "1.5", " ", "=", "\\",
          "_", "ᵀ", "−", "$", "**", "\x00", "\t", "é", "tr", r"\text{tr}", r"\operatorname{Tr}", r"\|", r"\|_F^2",
          "||", "_F^2"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=80))
def test_any_sequence_of_pieces_parses_or_fails_cleanly(pieces):
    text = "".join(pieces)
    t0 = time.process_time()  # CPU, not wall: a loaded machine must not fail it
    try:
        tree = M.parse(text)
    except FormatError as e:
        assert e.message
    else:
        assert M.size(tree) <= M.MAX_NODES
        try:
            typed = M.typecheck(tree, text)
            values(typed)  # evaluating what parsed must never crash either
        except FormatError as e:
            assert e.message
    assert time.process_time() - t0 < PARSE_CPU_BOUND_S


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=1500))
def test_arbitrary_text_parses_or_fails_cleanly(text):
    t0 = time.process_time()  # CPU, not wall: a loaded machine must not fail it
    try:
        M.parse(text)
    except FormatError as e:
        assert e.message
    assert time.process_time() - t0 < PARSE_CPU_BOUND_S


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=3000), st.sampled_from(["(", "{", "-", "'", "W1 ", "\\left(", "^{"]))
def test_long_runs_of_one_piece_fail_cleanly(count, piece):
    t0 = time.process_time()  # CPU, not wall: a loaded machine must not fail it
    try:
        M.parse(piece * count)
    except FormatError as e:
        assert e.message
    assert time.process_time() - t0 < PARSE_CPU_BOUND_S


def test_overflowing_values_are_a_format_error_not_a_verdict():
    huge = Num(Fraction(10**300))
    typed = Typed(Mul((huge, X, T(X), huge)), ("m", "m"))
    with pytest.raises(FormatError) as e:
        values(typed)
    assert e.value.message == "this expression grows too large to evaluate at random matrices; simplify it"

"""pca_autoencoder from a chat: gradients, conditions, part (ii), and every derivation step checked."""
import shutil
from pathlib import Path

import pytest

from grader.pipeline import grade_path
from problems.pca_autoencoder import derivations as dv
from problems.pca_autoencoder import transcript as pt
from tests.chat_helpers import SEED, answers, region
from tests.conftest import IN_CI


def need_seed() -> None:
    """Skip without the homework transcript; in CI, fail."""
    if not SEED.is_file():
        if IN_CI:
            pytest.fail(f"the homework transcript {SEED} is missing")
        pytest.skip("no ../shared/seeds beside this checkout")


@pytest.fixture
def seed_submission(tmp_path) -> Path:
    need_seed()
    folder = tmp_path / "seed_student"
    folder.mkdir()
    shutil.copy(SEED, folder / "transcript.md")
    return folder


def pca(text: str) -> dict:
    """The graded PCA answers of a chat."""
    return answers(text, "pca_autoencoder")


def judged(text: str) -> list:
    """Every equation of the chat's PCA region, judged."""
    return list(dv.judge(pca(text)[pt.EQUATIONS]))


def steps(text: str) -> dict:
    """{equation as written: [(step, verdict, why), ...]} for the equations judged as chains."""
    return {" = ".join(j.sides): [(s.index, s.verdict, s.why) for s in j.steps] for j in judged(text)
            if j.kind == "steps"}


def verdicts(text: str) -> list:
    """Every step's verdict, in order."""
    return [v for chain in steps(text).values() for _, v, _ in chain]


TRACE_SLIP = (r"its right side cannot be evaluated: these matrices cannot be multiplied: 'W_1 X X^\top' is k×m but "
              r"'W_2^\top' is k×m (m columns against k rows)")


def test_the_homework_transcript_is_graded_for_pca(seed_submission):
    report = grade_path(seed_submission, problems=("pca_autoencoder",), use_bwrap=shutil.which("bwrap") is not None)
    parts = {p.part: (p.status, p.score) for p in report.parts}
    assert parts == {"grad_W1": ("passed", 3), "grad_W2": ("passed", 3), "first_order_conditions": ("passed", 4),
                     "pca_weights": ("not_answered", 0), "pca_argument": ("pending", 0), "derivations": ("wrong", 0)}
    checks = {c.claim: c for c in report.checks if c.part == "derivations"}
    gradients = checks["derivation_steps_about_the_gradients_hold"]
    argument = checks["derivation_steps_of_the_pca_argument_hold"]
    # The trace step the annotator missed, and the derivative chain beside it that carries the same slip.
    assert gradients.message.startswith("3 of the 10 derivation steps about the gradients and conditions (part (i)) "
                                        "do not hold:\nturn 2, part (i): `\\text{tr}(X^\\top W_2 W_1 X)` = "
                                        "`\\text{tr}(W_1 X X^\\top W_2^\\top)` does not hold: " + TRACE_SLIP)
    assert (argument.status, argument.message) == (
        "passed", "all 59 derivation steps about the PCA argument (part (ii)) hold")
    t = report.transcript
    assert (t.count("holds"), t.count("fails"), t.count("unread")) == (66, 3, 0)


def test_every_chain_of_the_homework_transcript_is_read_and_only_the_slips_fail():
    need_seed()
    found = steps(SEED.read_text(encoding="utf-8"))
    failing = {chain: [s for s in chain_steps if s[1] != "holds"] for chain, chain_steps in found.items()}
    failing = {c: s for c, s in failing.items() if s}
    assert failing == {
        r"\text{tr}(X^\top W_2 W_1 X) = \text{tr}(W_1 X X^\top W_2^\top)": [(1, "fails", TRACE_SLIP)],
        (r"\frac{\partial}{\partial W_1} \text{tr}(W_1 X X^\top W_2^\top) = W_2^\top W_2 \cdot "
         r"\frac{\partial}{\partial W_1} \text{tr}(W_1 X X^\top) = W_2^\top X X^\top"): [
            (1, "fails", TRACE_SLIP.replace("right side", "left side")),
            (2, "fails", r"its left side cannot be evaluated: the trace needs a square matrix, but 'W_1 X X^\top' "
                         "is k×m")],
    }
    # The part (ii) chains are checked where W1 = U_kᵀ and W2 = U_k, with U_kᵀU_k = I and XXᵀU_k = U_kD_k:
    # the block matrices of the official solution included.
    assert found[r"V_2 V_1 - I = \begin{pmatrix} 0 & 0 \\ 0 & -I_{m-k} \end{pmatrix}"] == [(1, "holds", "")]
    assert [v for _, v, _ in found[r"W_2 W_1 X X^\top W_1^\top = U_k U_k^\top \cdot X X^\top \cdot U_k = "
                                   r"U_k U_k^\top \cdot U_k D_k = U_k \cdot I_k \cdot D_k = U_k D_k"]] == ["holds"] * 4


def test_the_homework_transcript_answers_and_their_revisions():
    need_seed()
    found = pca(SEED.read_text(encoding="utf-8"))
    assert found["grad_W1"] == r"-2W_2^\top X X^\top + 2W_2^\top W_2 W_1 X X^\top"
    # The tagged conditions of turn 2 are restated, factored, in turn 6: the later one is graded.
    assert found["first_order_conditions"] == [r"W_2^\top (W_2 W_1 - I) X X^\top = 0",
                                               r"(W_2 W_1 - I) X X^\top W_1^\top = 0"]
    tagged = [f for f in found["_found"] if f.name == "first_order_conditions"][0]
    assert tagged.value == [r"W_2^\top W_2 W_1 X X^\top = W_2^\top X X^\top",
                            r"W_2 W_1 X X^\top W_1^\top = X X^\top W_1^\top"]
    assert tagged.how == "the equations tagged (Condition 1) and (Condition 2)"
    # The revised part (ii), after the user pushed back, is the argument; nothing of the other chats leaks in.
    assert found["pca_argument"].startswith("Part (ii): Revised")
    assert not any(w in found["pca_argument"].lower() for w in ("resnet", "translation", "lambda", "weight decay"))
    assert any(n.startswith("pca_argument: answered 2 times; graded the last, in turn 4") for n in found["_notes"])


# ---------------------------------------------------------------- small chats written for these tests

def chat(answer: str) -> str:
    return ("**User**\n\nHelp with the PCA question: gradients of the linear autoencoder loss, "
            "then show the principal components satisfy the conditions.\n\n**Assistant**\n\n" + answer)


GOOD = chat(r"""
### Part (i)

$$\frac{\partial \mathcal{L}}{\partial W_1} = 2 W_2^\top (W_2 W_1 - I) X X^\top$$

$$\frac{\partial \mathcal{L}}{\partial W_2} = 2 (W_2 W_1 - I) X X^\top W_1^\top = 0$$

$$W_2^\top (W_2 W_1 - I) X X^\top = 0 \tag{Condition 1}$$

$$(W_2 W_1 - I) X X^\top W_1^\top = 0 \qquad \text{(Condition 2)}$$

### Part (ii)

With $W_1 = U_k^\top$ and $W_2 = U_k$ both conditions reduce to the eigenvector equation of $XX^\top$.
""")


def test_gradients_conditions_and_argument_are_read():
    found = pca(GOOD)
    assert found["grad_W1"] == r"2 W_2^\top (W_2 W_1 - I) X X^\top"
    assert found["grad_W2"] == r"2 (W_2 W_1 - I) X X^\top W_1^\top"  # the trailing '= 0' is passed over
    assert found["first_order_conditions"] == [r"W_2^\top (W_2 W_1 - I) X X^\top = 0",
                                               r"(W_2 W_1 - I) X X^\top W_1^\top = 0"]
    assert found["pca_argument"].startswith("### Part (ii)")
    assert "eigenvector equation" in found["pca_argument"]
    assert "pca_weights" not in found


SIGN_SLIP = chat(r"""
### Part (i)

Expanding the product:

$$\frac{\partial \mathcal{L}}{\partial W_1} = 2 W_2^\top (W_2 W_1 - I) X X^\top = 2 W_2^\top W_2 W_1 X X^\top - W_2^\top X X^\top$$
""")


def test_a_slip_in_one_step_is_named_with_the_smallest_counterexample():
    assert steps(SIGN_SLIP) == {
        (r"\frac{\partial \mathcal{L}}{\partial W_1} = 2 W_2^\top (W_2 W_1 - I) X X^\top = "
         r"2 W_2^\top W_2 W_1 X X^\top - W_2^\top X X^\top"): [
            (1, "holds", ""),
            (2, "fails", "the two sides differ at m=2, n=3, k=1 with X = [[2, 0, 0], [0, 1, 0]], W1 = [[2, 1]], "
                         "W2 = [[1], [2]]: the left side is [[72, 6]], the right side [[76, 8]]")]}


def test_a_chain_across_aligned_rows_is_joined_and_checked():
    found = steps(chat(r"""
Part (i):

$$\begin{aligned}
\frac{\partial \mathcal{L}}{\partial W_2} &= -2 (X - W_2 W_1 X) X^\top W_1^\top \\
&= 2 W_2 W_1 X X^\top W_1^\top - 2 X X^\top W_1^\top \\
&= 2 (W_2 W_1 - I) X^\top X W_1^\top
\end{aligned}$$
"""))
    (chain, chain_steps), = found.items()
    assert chain.endswith(r"= 2 (W_2 W_1 - I) X^\top X W_1^\top")
    assert chain_steps[:2] == [(1, "holds", ""), (2, "holds", "")]
    assert chain_steps[2] == (3, "fails", r"its right side cannot be evaluated: these matrices cannot be multiplied: "
                                          r"'(W_2 W_1 - I)' is m×m but 'X^\top' is n×m (m columns against n rows)")


def test_u_k_chains_are_checked_at_the_principal_components():
    found = steps(chat(r"""
Part (ii): set $W_1 = U_k^\top$ and $W_2 = U_k$, where $X X^\top U_k = U_k \Lambda_k$.

$$W_2 W_1 X X^\top W_1^\top = U_k U_k^\top X X^\top U_k = U_k \Lambda_k = X X^\top W_1^\top$$

$$W_2 W_1 X X^\top = U_k U_k^\top X X^\top = X X^\top$$
"""))
    assert [v for _, v, _ in found[r"W_2 W_1 X X^\top W_1^\top = U_k U_k^\top X X^\top U_k = U_k \Lambda_k = "
                                   r"X X^\top W_1^\top"]] == ["holds"] * 3
    (_, verdict, why), = [s for s in found[r"W_2 W_1 X X^\top = U_k U_k^\top X X^\top = X X^\top"] if s[0] == 2]
    assert verdict == "fails" and why.startswith("the two sides differ at m=2, n=3, k=1 with X = [[2, 0, 0], "
                                                 "[0, 1, 0]]: the left side is [[4, 0], [0, 0]], the right side "
                                                 "[[4, 0], [0, 1]]")


def test_steps_that_hold_by_the_assumptions_are_not_flagged():
    # Random matrices would not satisfy U_kᵀU_k = I; the points here do, as the problem assumes.
    found = steps(chat(r"""
Part (ii): with $U_k^\top U_k = I_k$,

$$(U_k^\top U_k U_k^\top - U_k^\top) X X^\top = (U_k^\top - U_k^\top) X X^\top = 0$$

$$X X^\top = U \Sigma V^\top V \Sigma^\top U^\top = U D U^\top$$
"""))
    assert [v for chain in found.values() for _, v, _ in chain] == ["holds"] * 5


def test_names_the_chat_defines_mean_what_it_says():
    found = steps(chat(r"""
Part (ii): let $V_1 := W_1 U$ and let $\Lambda$ be given by $X X^\top U_k = U_k \Lambda$; take $W_1 = U_k^\top$, $W_2 = U_k$.

$$V_1 = U_k^\top U = \begin{pmatrix} I_k & 0 \end{pmatrix}$$

$$W_2 W_1 X X^\top W_1^\top = U_k \Lambda = U_k D_k$$

$$V_1 = \begin{pmatrix} I_k & 0 \end{pmatrix} = \begin{pmatrix} I_k & I \end{pmatrix}$$
"""))
    assert [v for _, v, _ in found[r"V_1 = U_k^\top U = \begin{pmatrix} I_k & 0 \end{pmatrix}"]] == ["holds", "holds"]
    assert [v for _, v, _ in found[r"W_2 W_1 X X^\top W_1^\top = U_k \Lambda = U_k D_k"]] == ["holds", "holds"]
    assert found[r"V_1 = \begin{pmatrix} I_k & 0 \end{pmatrix} = \begin{pmatrix} I_k & I \end{pmatrix}"][1][1] == "fails"


def test_unknown_names_are_could_not_be_read_never_wrong():
    found = steps(chat(r"""
Part (ii):

$$W_2 W_1 = U_k U_k^\top = P_k$$

$$W_2^\top W_2 = U_k^\top U_k = I_k$$
"""))
    assert found == {
        r"W_2 W_1 = U_k U_k^\top = P_k": [
            (1, "unread", "it uses U_k (or U, Σ, D) with W1, W2, but the chat has not set W1, W2 (as W1 = U_kᵀ, "
                          "W2 = U_k) before it"),
            (2, "unread", "P_k is not a matrix of this problem and the chat does not define it")],
        r"W_2^\top W_2 = U_k^\top U_k = I_k": [
            (1, "unread", "it uses U_k (or U, Σ, D) with W1, W2, but the chat has not set W1, W2 (as W1 = U_kᵀ, "
                          "W2 = U_k) before it"),
            (2, "holds", "")]}


def test_conditions_without_tags_follow_the_mention_and_use_the_gradients():
    found = pca(chat(r"""
Part (i): the gradients are

$$\nabla_{W_1} \mathcal{L} = 2 W_2^\top (W_2 W_1 - I) X X^\top$$

$$\nabla_{W_2} \mathcal{L} = 2 (W_2 W_1 - I) X X^\top W_1^\top$$

Setting the gradients to zero:

$$\frac{\partial \mathcal{L}}{\partial W_1} = 0$$

$$W_2 W_1 X X^\top W_1^\top = X X^\top W_1^\top$$
"""))
    assert found["first_order_conditions"] == [r"2 W_2^\top (W_2 W_1 - I) X X^\top = 0",
                                               r"W_2 W_1 X X^\top W_1^\top = X X^\top W_1^\top"]


def test_other_problems_are_left_out():
    text = chat(r"""
Part (i):

$$\frac{\partial \mathcal{L}}{\partial W_1} = 2 W_2^\top (W_2 W_1 - I) X X^\top$$

**User**

Now the ResNet blog questions.

**Assistant**

Part (ii): the ResNet baseline trains in 297 seconds.
""") + r"""
**User**

Next, the regularized linear autoencoder.

**Assistant**

With the penalty $\lambda\|W_1\|_F^2 + \lambda\|W_2\|_F^2$:

$$\frac{\partial \mathcal{L}}{\partial W_2} = 2 (W_2 W_1 - I) X X^\top W_1^\top + 2 W_2$$

Part (ii): yes, the columns of W_2 are nearly orthonormal.
"""
    found = pca(text)
    assert found["grad_W1"] == r"2 W_2^\top (W_2 W_1 - I) X X^\top"
    assert "grad_W2" not in found and "pca_argument" not in found


def test_the_pca_answers_are_found_when_another_question_comes_first():
    text = ("**User**\n\nFirst the l2-regularized autoencoder: how many linear layers do you need?\n\n**Assistant**\n\n"
            "Answer: 2 linear layers\n\n" + GOOD.split("**Assistant**", 1)[0] + "**Assistant**" + GOOD.split("**Assistant**", 1)[1])
    assert pca(text)["grad_W1"] == r"2 W_2^\top (W_2 W_1 - I) X X^\top"
    assert answers(text, "regularized_autoencoder")["num_linear_layers"] == 2


def test_no_pca_discussion_has_no_region():
    assert region("**User**\n\nTranslate this.\n\n**Assistant**\n\nAnswer: <sos>, I, see, a, dog",
                  "pca_autoencoder").segments == ()


def test_the_argument_is_capped():
    found = pca(chat("Part (ii): the argument\n\n" + "The principal components work. " * 400))
    assert len(found["pca_argument"]) <= pt.MAX_ARGUMENT_CHARS + 10
    assert found["pca_argument"].endswith("[...]")


def test_tags_are_read_and_lhs_equals_rhs_is_not_a_step():
    rows = pt.rows(region(chat(r"""
Part (i):

$$A = B \quad (\text{Condition 2}).$$

$$\boxed{C = D} \tag{FOC 1}$$

$$\text{LHS} = \text{RHS} \quad \checkmark$$
"""), "pca_autoencoder"))
    assert [(r.text, r.tag) for r in rows] == [("A = B", "Condition 2"), ("C = D", "FOC 1"),
                                               (r"\text{LHS} = \text{RHS}", None)]
    # A = B, C = D define names the problem does not know; LHS = RHS is a remark.
    assert [j.kind for j in dv.judge(pt.equations(rows)[0])] == ["definition", "definition", "other"]


def test_a_trailing_zero_states_a_condition_and_is_not_a_step():
    found = steps(chat(r"""
Part (i):

$$\frac{\partial \mathcal{L}}{\partial W_1} = -2 W_2^\top (X - W_2 W_1 X) X^\top = 2 W_2^\top (W_2 W_1 - I) X X^\top = 0$$
"""))
    assert list(found.values()) == [[(1, "holds", ""), (2, "holds", "")]]


def test_in_part_ii_a_chain_in_w_holds_by_the_pca_substitution():
    text = r"""
Part (ii): take $W_1 = U_k^\top$ and $W_2 = U_k$.

$$W_2^\top W_2 W_1 X X^\top = W_1 X X^\top = W_2^\top X X^\top$$
"""
    assert verdicts(chat(text)) == ["holds", "holds"]
    # The same chain in part (i), where nothing is substituted, does not hold.
    found = steps(chat(text.replace(r"Part (ii): take $W_1 = U_k^\top$ and $W_2 = U_k$.", "Part (i):")))
    (_, verdict, why), _ = found[r"W_2^\top W_2 W_1 X X^\top = W_1 X X^\top = W_2^\top X X^\top"]
    assert verdict == "fails" and why.startswith("the two sides differ at m=2, n=3, k=1 with X = ")


TRACES = chat(r"""
### Part (i)

By $\|A\|_F^2 = \operatorname{tr}(A^\top A)$ and $\operatorname{tr}(AB) = \operatorname{tr}(BA)$, with $k = m = 5$ say,

$$\mathcal{L} = \|X - W_2 W_1 X\|_F^2 = \operatorname{tr}(X^\top X) - 2\operatorname{tr}(X^\top W_2 W_1 X) + \operatorname{tr}(X^\top W_1^\top W_2^\top W_2 W_1 X)$$

The middle term: $\operatorname{tr}(X^\top W_2 W_1 X) = \operatorname{tr}(W_1 X X^\top W_2)$, and the last one
\(\tr(X^\top W_1^\top W_2^\top W_2 W_1 X) = \tr(W_1 X X^\top W_1^\top W_2^\top W_2)\). Also $d\mathcal{L} = -2\operatorname{tr}(R^\top W_2\, dW_1\, X)$.

$$\frac{\partial \mathcal{L}}{\partial W_1} = 2 W_2^\top (W_2 W_1 - I) X X^\top$$

Setting the gradients to zero, the first-order conditions are

$$\operatorname{tr}(W_1 X X^\top W_2) = \operatorname{tr}(W_2 W_1 X X^\top)$$

$$W_2^\top W_2 W_1 X X^\top = W_2^\top X X^\top$$

$$W_2 W_1 X X^\top W_1^\top = X X^\top W_1^\top$$

Check: $W_2^\top W_2 W_1 X X^\top = W_2^\top X X^\top$ holds at the minimum.
""")


def test_trace_rewrites_are_checked_inline_and_displayed():
    kinds = [(j.kind, len(j.steps)) for j in judged(TRACES)]
    # Rules for unnamed A, B, the prose k = m = 5 and the differential are not steps; the two-sided matrix
    # equations are conditions.
    assert kinds == [("rule", 0), ("rule", 0), ("prose", 0), ("steps", 2), ("steps", 1), ("steps", 1), ("rule", 0),
                     ("steps", 1), ("steps", 1), ("condition", 0), ("condition", 0), ("condition", 0)]
    assert set(verdicts(TRACES)) == {"holds"}
    # A trace equation compares numbers: it is never taken for a first-order condition.
    assert pca(TRACES)["first_order_conditions"] == [r"W_2^\top W_2 W_1 X X^\top = W_2^\top X X^\top",
                                                     r"W_2 W_1 X X^\top W_1^\top = X X^\top W_1^\top"]


def test_a_wrong_trace_rewrite_is_named():
    wrong = TRACES.replace(r"\tr(W_1 X X^\top W_1^\top W_2^\top W_2)", r"\tr(W_1^\top W_2^\top W_2 W_1 X^\top X)")
    found = steps(wrong)
    assert found[r"\tr(X^\top W_1^\top W_2^\top W_2 W_1 X) = \tr(W_1^\top W_2^\top W_2 W_1 X^\top X)"] == [
        (1, "fails", r"its right side cannot be evaluated: these matrices cannot be multiplied: "
                     r"'W_1^\top W_2^\top W_2 W_1' is m×m but 'X^\top' is n×m (m columns against n rows)")]


def test_a_trace_of_a_non_square_matrix_does_not_hold():
    found = steps(chat(r"Part (i): we have $\operatorname{tr}(W_1 X) = \operatorname{tr}(X W_1)$."))
    assert found == {r"\operatorname{tr}(W_1 X) = \operatorname{tr}(X W_1)": [
        (1, "fails", "its left side cannot be evaluated: the trace needs a square matrix, but 'W_1 X' is k×n")]}


def test_a_step_between_different_shapes_says_both():
    found = steps(chat(r"""
Part (i):

$$W_2^\top W_2 W_1 X X^\top = W_2^\top W_2 W_1 X X^\top = X X^\top W_1^\top W_2^\top W_2$$
"""))
    assert list(found.values())[0][1] == (2, "fails", "its left side is k×m, its right side m×k")


def test_a_dropped_transpose_in_one_step_is_caught():
    found = steps(chat(r"""
Part (i):

$$\frac{\partial \mathcal{L}}{\partial W_2} = 2 (W_2 W_1 - I) X X^\top W_1^\top = 2 (W_1^\top W_2^\top - I) X X^\top W_1^\top$$
"""))
    (_, first), (_, second) = [(s[0], s) for s in list(found.values())[0]]
    assert first[1] == "holds" and second[1] == "fails" and second[2].startswith("the two sides differ at m=2, n=3")


def test_a_pca_answer_that_mentions_weight_decay_in_passing_is_kept():
    aside = GOOD.replace("### Part (ii)", "(Unlike weight decay, nothing in this loss shrinks the weights.)\n\n### Part (ii)")
    found = pca(aside)
    assert found["grad_W1"] == r"2 W_2^\top (W_2 W_1 - I) X X^\top"
    assert found["pca_argument"] == pca(GOOD)["pca_argument"]


def test_a_turn_that_opens_with_the_regularized_problem_is_left_out():
    regularized = chat(r"""
For the $\ell_2$-regularized autoencoder with weight decay $\lambda$:

$$\frac{\partial \mathcal{L}}{\partial W_1} = 2 W_2^\top (W_2 W_1 - I) X X^\top + 2 \lambda W_1$$
""")
    assert region(regularized, "pca_autoencoder").segments == ()
    assert "grad_W1" not in pca(regularized)

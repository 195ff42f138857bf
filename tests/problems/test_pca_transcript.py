"""pca_autoencoder from a chat transcript: gradients, conditions, part (ii), and derivation chains checked step by step."""
import shutil
from pathlib import Path

import pytest

from grader.pipeline import grade_path
from problems.pca_autoencoder import transcript as pt
from tests.conftest import IN_CI, ROOT

SEED = ROOT.parent / "shared" / "seeds" / "000_2945ca7109d06edc.txt"


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


def test_the_homework_transcript_is_graded_for_pca(seed_submission):
    report = grade_path(seed_submission, problems=("pca_autoencoder",), use_bwrap=shutil.which("bwrap") is not None)
    parts = {p.part: (p.status, p.score) for p in report.parts}
    assert parts == {"grad_W1": ("passed", 3), "grad_W2": ("passed", 3), "first_order_conditions": ("passed", 4),
                     "pca_weights": ("not_answered", 0), "pca_argument": ("pending", 0)}
    notes = "\n".join(report.notes)
    assert "first_order_conditions read from the equations tagged (Condition 1) and (Condition 2)" in notes
    # Its line 104, inline: the cyclic shift kept W2ᵀ, so W1XXᵀ (k×m) meets W2ᵀ (k×m) and the right side is not even
    # a product. Line 108, tr(XᵀW1ᵀW2ᵀW2W1X) = tr(W2ᵀW2W1XXᵀW1ᵀ), is a right cyclic shift.
    assert ("pca_autoencoder: derivation in part (i): step 1 does not hold: "
            r"`\text{tr}(X^\top W_2 W_1 X)` = `\text{tr}(W_1 X X^\top W_2^\top)` (its right side cannot be evaluated: "
            r"these matrices cannot be multiplied: 'W_1 X X^\top' is k×m but 'W_2^\top' is k×m "
            "(m columns against k rows))") in report.notes
    assert notes.count("does not hold") == 2  # that step, and the count
    assert "9 derivation chains checked step by step, 1 with a step that does not hold; 2 not checked" in notes


def test_the_homework_transcript_trace_steps():
    need_seed()
    turns = pt.scope(SEED.read_text(encoding="utf-8"))
    found = {c.sides: pt.check_chain(c, {"substitution": False, "eigen": []})
             for c in pt.chains(pt.all_rows(turns, inline=True)) if c.sides[0].startswith(r"\text{tr}")}
    assert found == {
        (r"\text{tr}(X^\top W_2 W_1 X)", r"\text{tr}(W_1 X X^\top W_2^\top)"): ("broken", (1, (
            r"its right side cannot be evaluated: these matrices cannot be multiplied: 'W_1 X X^\top' is k×m but "
            r"'W_2^\top' is k×m (m columns against k rows)"))),
        (r"\text{tr}(X^\top W_1^\top W_2^\top W_2 W_1 X)",
         r"\text{tr}(W_2^\top W_2 W_1 X X^\top W_1^\top)"): ("ok", None),
    }


def test_the_homework_transcript_keeps_to_the_pca_conversation():
    need_seed()
    found = pt.extract(SEED.read_text(encoding="utf-8"))
    assert found["grad_W1"] == r"-2W_2^\top X X^\top + 2W_2^\top W_2 W_1 X X^\top"
    assert found["first_order_conditions"] == [r"W_2^\top W_2 W_1 X X^\top = W_2^\top X X^\top",
                                               r"W_2 W_1 X X^\top W_1^\top = X X^\top W_1^\top"]
    # The revised part (ii) is the argument; nothing of the ResNet, translation or regularized chats leaks in.
    assert found["pca_argument"].startswith("Part (ii): Revised")
    assert not any(w in found["pca_argument"].lower() for w in ("resnet", "translation", "lambda", "weight decay"))


# ---------------------------------------------------------------- small transcripts written for these tests

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
    found = pt.extract(GOOD)
    assert found["grad_W1"] == r"2 W_2^\top (W_2 W_1 - I) X X^\top"
    assert found["grad_W2"] == r"2 (W_2 W_1 - I) X X^\top W_1^\top"  # the trailing '= 0' is passed over
    assert found["first_order_conditions"] == [r"W_2^\top (W_2 W_1 - I) X X^\top = 0",
                                               r"(W_2 W_1 - I) X X^\top W_1^\top = 0"]
    assert found["pca_argument"].startswith("### Part (ii)")
    assert "eigenvector equation" in found["pca_argument"]
    assert "pca_weights" not in found


BROKEN = chat(r"""
### Part (i)

Expanding the product:

$$\frac{\partial \mathcal{L}}{\partial W_1} = 2 W_2^\top (W_2 W_1 - I) X X^\top = 2 W_2^\top W_2 W_1 X X^\top - W_2^\top X X^\top$$
""")


def test_a_broken_step_is_named():
    found = pt.extract(BROKEN)
    assert ("derivation in part (i): step 2 does not hold: "
            r"`2 W_2^\top (W_2 W_1 - I) X X^\top` = `2 W_2^\top W_2 W_1 X X^\top - W_2^\top X X^\top` "
            "(the two sides differ at random W1, W2, X)") in found["_notes"]
    assert "1 derivation chain checked step by step, 1 with a step that does not hold" in found["_notes"]


def test_a_chain_across_aligned_rows_is_joined_and_checked():
    found = pt.extract(chat(r"""
Part (i):

$$\begin{aligned}
\frac{\partial \mathcal{L}}{\partial W_2} &= -2 (X - W_2 W_1 X) X^\top W_1^\top \\
&= 2 W_2 W_1 X X^\top W_1^\top - 2 X X^\top W_1^\top \\
&= 2 (W_2 W_1 - I) X^\top X W_1^\top
\end{aligned}$$
"""))
    assert found["grad_W2"] == r"2 (W_2 W_1 - I) X^\top X W_1^\top"
    assert ("derivation in part (i): step 3 does not hold: "
            r"`2 W_2 W_1 X X^\top W_1^\top - 2 X X^\top W_1^\top` = `2 (W_2 W_1 - I) X^\top X W_1^\top` "
            r"(its right side cannot be evaluated: these matrices cannot be multiplied: '(W_2 W_1 - I)' is m×m "
            r"but 'X^\top' is n×m (m columns against n rows))") in found["_notes"]


def test_u_k_chains_are_checked_at_the_principal_components():
    found = pt.extract(chat(r"""
Part (ii): set $W_1 = U_k^\top$ and $W_2 = U_k$, where $X X^\top U_k = U_k \Lambda_k$.

$$W_2 W_1 X X^\top W_1^\top = U_k U_k^\top X X^\top U_k = U_k \Lambda_k = X X^\top W_1^\top$$

$$W_2 W_1 X X^\top = U_k U_k^\top X X^\top = X X^\top$$
"""))
    notes = found["_notes"]
    assert (r"derivation in part (ii): step 2 does not hold: `U_k U_k^\top X X^\top` = `X X^\top` (the two sides "
            "differ at random X, with W1 = U_kᵀ and W2 = U_k its top-k eigenvectors)") in notes
    assert "2 derivation chains checked step by step, 1 with a step that does not hold" in notes


def test_unknown_symbols_are_not_checked_and_not_called_wrong():
    found = pt.extract(chat(r"""
Part (ii): in the eigenbasis, with $V_1 = W_1 U$ and $V_2 = U^\top W_2$,

$$(V_2 V_1 - I) D V_1^\top = \begin{pmatrix} 0 & 0 \\ 0 & -I \end{pmatrix} \begin{pmatrix} D_k \\ 0 \end{pmatrix} = 0$$

$$X X^\top = U D U^\top = U \Sigma \Sigma^\top U^\top = U D U^\top$$

$$W_2 W_1 = U_k U_k^\top = P_k$$
"""))
    notes = found["_notes"]
    assert not any("does not hold" in n for n in notes)
    assert any(n.startswith("0 derivation chains checked step by step; 2 not checked") for n in notes)


def test_u_k_with_w_but_no_substitution_is_not_checked():
    found = pt.extract(chat(r"""
Part (ii):

$$W_2^\top W_2 = U_k^\top U_k = I_k$$
"""))
    assert not any("does not hold" in n for n in found["_notes"])
    assert any("1 not checked" in n for n in found["_notes"])


def test_conditions_without_tags_follow_the_mention_and_use_the_gradients():
    found = pt.extract(chat(r"""
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
    found = pt.extract(text)
    assert found["grad_W1"] == r"2 W_2^\top (W_2 W_1 - I) X X^\top"
    assert "grad_W2" not in found and "pca_argument" not in found


def test_no_pca_discussion_says_so():
    found = pt.extract("**User**\n\nTranslate this.\n\n**Assistant**\n\nAnswer: <sos>, I, see, a, dog")
    assert set(found) == {"_notes"}
    assert found["_notes"][0].startswith("no PCA / linear-autoencoder answers found")


def test_the_argument_is_capped():
    found = pt.extract(chat("Part (ii): the argument\n\n" + "The principal components work. " * 400))
    assert len(found["pca_argument"]) <= pt.MAX_ARGUMENT_CHARS + 10
    assert found["pca_argument"].endswith("[...]")


def test_lhs_equals_rhs_is_not_a_tag():
    assert pt.clean(r"\text{LHS} = \text{RHS} \quad \checkmark") == (r"\text{LHS} = \text{RHS}", None)
    assert pt.clean(r"A = B \quad (\text{Condition 2}).") == ("A = B", "Condition 2")
    assert pt.clean(r"\boxed{A = B} \tag{FOC 1}") == ("A = B", "FOC 1")


def test_a_trailing_zero_states_a_condition_and_is_not_a_step():
    found = pt.extract(chat(r"""
Part (i):

$$\frac{\partial \mathcal{L}}{\partial W_1} = -2 W_2^\top (X - W_2 W_1 X) X^\top = 2 W_2^\top (W_2 W_1 - I) X X^\top = 0$$
"""))
    assert found["grad_W1"] == r"2 W_2^\top (W_2 W_1 - I) X X^\top"
    assert found["_notes"][-1] == "1 derivation chain checked step by step, every step holds"


def test_in_part_ii_a_chain_in_w_may_hold_by_the_pca_substitution():
    text = r"""
Part (ii): take $W_1 = U_k^\top$ and $W_2 = U_k$.

$$W_2^\top W_2 W_1 X X^\top = W_1 X X^\top = W_2^\top X X^\top$$
"""
    assert pt.extract(chat(text))["_notes"][-1] == "1 derivation chain checked step by step, every step holds"
    # The same chain in part (i), where nothing is substituted, does not hold.
    notes = pt.extract(chat(text.replace("Part (ii)", "Part (i)")))["_notes"]
    assert (r"derivation in part (i): step 1 does not hold: `W_2^\top W_2 W_1 X X^\top` = `W_1 X X^\top` "
            "(the two sides differ at random W1, W2, X)") in notes


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
    found = pt.extract(TRACES)
    # The displayed expansion, two inline rewrites and the displayed tr = tr; the rules for unnamed A, B,
    # the prose k = m = 5, the differential and the two-sided matrix conditions are not steps.
    assert found["_notes"][-1] == "4 derivation chains checked step by step, every step holds"
    # A trace equation compares numbers: it is never taken for a first-order condition.
    assert found["first_order_conditions"] == [r"W_2^\top W_2 W_1 X X^\top = W_2^\top X X^\top",
                                               r"W_2 W_1 X X^\top W_1^\top = X X^\top W_1^\top"]


def test_a_wrong_trace_rewrite_is_named():
    wrong = TRACES.replace(r"\tr(W_1 X X^\top W_1^\top W_2^\top W_2)", r"\tr(W_1^\top W_2^\top W_2 W_1 X^\top X)")
    notes = pt.extract(wrong)["_notes"]
    assert (r"derivation in part (i): step 1 does not hold: `\tr(X^\top W_1^\top W_2^\top W_2 W_1 X)` = "
            r"`\tr(W_1^\top W_2^\top W_2 W_1 X^\top X)` (its right side cannot be evaluated: these matrices cannot be "
            r"multiplied: 'W_1^\top W_2^\top W_2 W_1' is m×m but 'X^\top' is n×m (m columns against n rows))") in notes
    assert notes[-1] == "4 derivation chains checked step by step, 1 with a step that does not hold"


def test_a_trace_of_a_non_square_matrix_cannot_be_evaluated():
    notes = pt.extract(chat(r"Part (i): we have $\operatorname{tr}(W_1 X) = \operatorname{tr}(X W_1)$."))["_notes"]
    assert ("derivation in part (i): `\\operatorname{tr}(W_1 X)` cannot be evaluated: "
            "the trace needs a square matrix, but 'W_1 X' is k×n") in notes


def test_the_trace_spellings_of_the_grammar_are_recognized():
    from tests.unit.test_pca_parser import NORMS, TRACES as SPELLINGS

    for text in SPELLINGS + NORMS:
        assert pt.TRACE_WORD.search(text), text


def test_a_step_between_different_shapes_says_both():
    found = pt.extract(chat(r"""
Part (i):

$$W_2^\top W_2 W_1 X X^\top = W_2^\top W_2 W_1 X X^\top = X X^\top W_1^\top W_2^\top W_2$$
"""))
    assert (r"derivation in part (i): step 2 does not hold: `W_2^\top W_2 W_1 X X^\top` = "
            r"`X X^\top W_1^\top W_2^\top W_2` (its left side is k×m, its right side m×k)") in found["_notes"]


def test_a_pca_answer_that_mentions_weight_decay_in_passing_is_kept():
    aside = GOOD.replace("### Part (ii)", "(Unlike weight decay, nothing in this loss shrinks the weights.)\n\n### Part (ii)")
    assert pt.about_regularized(aside.split("**Assistant**")[1]) is False
    found = pt.extract(aside)
    assert found["grad_W1"] == r"2 W_2^\top (W_2 W_1 - I) X X^\top"
    assert found["pca_argument"] == pt.extract(GOOD)["pca_argument"]


def test_a_turn_that_opens_with_the_regularized_problem_is_left_out():
    regularized = chat(r"""
For the $\ell_2$-regularized autoencoder with weight decay $\lambda$:

$$\frac{\partial \mathcal{L}}{\partial W_1} = 2 W_2^\top (W_2 W_1 - I) X X^\top + 2 \lambda W_1$$
""")
    assert pt.about_regularized(regularized.split("**Assistant**")[1]) is True
    assert "grad_W1" not in pt.extract(regularized)

"""The extractors' text helpers: each finds what it looks for and says where it is."""
from grader.transcripts import markdown as md


def test_answer_lines_with_their_places():
    text = "intro\n**Answer:** `x`, y.\n(ii) **Answer:** nn.MSELoss\nFinal answer: $26$ s\nNo answer here"
    found = md.answer_lines(text)
    assert [p.text for p in found] == ["x, y", "nn.MSELoss", "26 s"]
    assert text[found[0].start:found[0].end] == "`x`, y."


def test_displayed_and_inline_math_in_order_with_their_places():
    text = r"a $$x = 1$$ b \[y = 2\] c $z = 3$ and \(w = 4\), costs \$5 and \$6"
    assert [p.text for p in md.math_blocks(text)] == ["x = 1", "y = 2"]
    inline = md.inline_math(text)
    assert [p.text for p in inline] == ["z = 3", "w = 4"]
    assert all(text[p.start:p.end] == p.text for p in md.math_blocks(text) + inline)


def test_an_unbalanced_dollar_is_not_math():
    assert md.math_blocks("$$ a = b") == [] and md.inline_math("price $5 and more") == []


def test_clean_inline():
    assert md.clean_inline("**`<sos>`, I, saw**.") == "<sos>, I, saw"

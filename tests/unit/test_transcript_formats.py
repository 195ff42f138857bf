"""Chat exports read into turns: Markdown role lines, ChatGPT's and Claude's JSON, saved HTML, and what is refused."""
import json

import pytest

from grader.errors import SubmissionError
from grader.load import load
from grader.transcripts.formats import ChatFormatError, find_transcript, read_chat, role_line
from tests import chat_formats as cf


def turns(text: str, name: str = "transcript.md") -> list:
    return [(t.role, t.text) for t in read_chat(name, text).turns]


@pytest.mark.parametrize("user, assistant", list(cf.MARKDOWN_STYLES.values()) + [
    ("#### You said:", "#### ChatGPT said:"), ("## Prompt:", "## Response:"), ("**User:**", "**Claude 3.5 Sonnet:**"),
    ("_User_", "_Assistant_"), ("### USER", "### GPT-4o")])
def test_role_lines_of_the_usual_exports(user, assistant):
    text = f"{user}\nWhat is 2+2?\n\n{assistant}\nAnswer: 4\n\n{user}\nthanks"
    assert turns(text) == [("user", "What is 2+2?"), ("assistant", "Answer: 4"), ("user", "thanks")]


def test_a_role_with_text_on_its_line():
    assert turns("**You:** What is 2+2?\n**ChatGPT:** Answer: 4") == [("user", "What is 2+2?"), ("assistant", "Answer: 4")]
    assert turns("User: q\nAssistant: a") == [("user", "q"), ("assistant", "a")]


def test_a_remark_after_a_role_word_needs_that_word_alone_elsewhere():
    # The homework's own export: "User I pasted the PDF", and elsewhere "User" on its own line.
    text = "User I pasted the PDF\nWhat is 2+2?\nCursor\nAnswer: 4\nUser\nthanks\nCursor\nbye"
    assert turns(text) == [("user", "I pasted the PDF\nWhat is 2+2?"), ("assistant", "Answer: 4"), ("user", "thanks"),
                           ("assistant", "bye")]
    # Without such a line, "User input ..." in a reply is text.
    assert turns("**User**\nq\n**Assistant**\nUser input goes to the encoder.") == [
        ("user", "q"), ("assistant", "User input goes to the encoder.")]


def test_weak_role_words_are_headings_in_a_chat_with_real_role_lines():
    text = "**User**\nBuild a model.\n**ChatGPT**\n## Model\nTwo linear layers.\n## Response time\nfast"
    assert turns(text) == [("user", "Build a model."), ("assistant", "## Model\nTwo linear layers.\n## Response time\nfast")]


def test_role_lines_inside_code_fences_do_not_split():
    text = "**User**\nq\n**Assistant**\n```\nUser: not a turn\n```\ndone"
    assert turns(text) == [("user", "q"), ("assistant", "```\nUser: not a turn\n```\ndone")]


def test_exported_on_lines_start_a_conversation_with_their_title():
    text = ("# First chat\n_Exported on 12/2/2025 from Cursor (2.1.46)_\n**User**\nq1\n**Cursor**\na1\n\nSecond chat\n\n"
            "Exported on 12/3/2025 at 02:38:01 PST from Cursor (2.1.46)\n\n**User**\nq2\n**Cursor**\na2")
    chat = read_chat("t.md", text)
    assert [(t.role, t.conversation) for t in chat.turns] == [
        ("meta", 0), ("user", 0), ("assistant", 0), ("meta", 1), ("user", 1), ("assistant", 1)]
    assert chat.turns[3].text.startswith("Second chat\n") and chat.turns[2].text == "a1"
    assert [chat.number(i) for i in range(6)] == [0, 1, 2, 2, 3, 4]


def test_a_file_without_role_lines_is_the_assistant_s_reply_and_says_so():
    chat = read_chat("t.md", "Answer: <sos>, I, see, a, dog")
    assert [(t.role, t.text) for t in chat.turns] == [("assistant", "Answer: <sos>, I, see, a, dog")]
    assert chat.notes[0].startswith("no line naming a speaker")


def test_chatgpt_export_follows_the_branch_the_user_saw():
    chat = read_chat("conversations.json", cf.chatgpt_json())
    assert chat.format == "chatgpt-json"
    texts = [t.text for t in chat.turns]
    # Oldest conversation first; the system message, the tool call, the regenerated and the edited turns left out.
    assert texts[:2] == ["something else", "What is a GPU?"]
    assert texts[2] == "HW7 questions" and [t.role for t in chat.turns[3:]] == ["user", "assistant"] * 4
    assert texts[3:] == [text for _, text in cf.CHAT]
    assert not any("see, a, dog**" in t for t in texts) and "print(1)" not in "".join(texts)


def test_chatgpt_export_without_a_current_node_reads_the_latest_branch():
    data = json.loads(cf.chatgpt_json())
    del data[0]["current_node"]
    chat = read_chat("conversations.json", json.dumps(data))
    assert [t.text for t in chat.turns if t.role == "assistant"][-1] == cf.REGAE_REPLY
    assert chat.notes == ("conversation 2 names no current message; the latest branch is read",)


def test_claude_export_reads_the_text_blocks_of_the_newest_branch():
    chat = read_chat("conversations.json", cf.claude_json())
    assert chat.format == "claude-json"
    assert [t.text for t in chat.turns] == ["HW7"] + [text for _, text in cf.CHAT]
    assert [t.speaker for t in chat.turns[1:3]] == ["Human", "Claude"]


def test_a_saved_page_keeps_math_and_tables_and_drops_scripts():
    chat = read_chat("transcript.html", cf.saved_page())
    assert chat.format == "html" and chat.turns[0] == chat.turns[0].__class__("meta", "HW7 questions")
    pca = chat.turns[2].text
    assert r"$$\frac{\partial \mathcal{L}}{\partial W_1} = -2 W_2^\top (X - W_2 W_1 X) X^\top" in pca
    assert r"Take $W_1 = U_k^\top$ and $W_2 = U_k$" in pca
    seq2seq = chat.turns[6].text
    assert "| w3 | see |" in seq2seq and "**Answer: <sos>, I, saw, a, dog**" in seq2seq
    everything = "\n".join(t.text for t in chat.turns)
    assert "alert" not in everything and "console" not in everything and "Copy" not in everything
    assert "New chat" not in everything


def test_saved_pages_of_claude_gemini_and_mathjax():
    page = ('<html><body><div data-testid="user-message">What is 2+2?</div><div class="font-claude-message">'
            '<p>It is <script type="math/tex">2 + 2 = 4</script>.</p><script type="math/tex; mode=display">x = y</script>'
            '</div><user-query>And 3+3?</user-query><model-response><p>Six: <math alttext="3+3=6"><mn>6</mn></math>'
            '</p></model-response></body></html>')
    assert turns(page, "t.html") == [("user", "What is 2+2?"), ("assistant", "It is $2 + 2 = 4$.\n\n$$x = y$$"),
                                     ("user", "And 3+3?"), ("assistant", "Six: $3+3=6$")]


def test_a_page_without_chat_markup_is_read_by_its_role_lines():
    assert turns("<html><body><p>User: q</p><p>Assistant: a</p></body></html>", "t.html") == [
        ("user", "q"), ("assistant", "a")]


def test_deeply_nested_and_broken_markup_is_read_as_text():
    page = "<html><body><div data-message-author-role='assistant'>" + "<div><span>" * 3000 + "deep" + \
           "</b></i>" * 10 + "</span></div>" * 3000 + "</div></body></html>"
    assert turns(page, "t.html") == [("assistant", "deep")]


@pytest.mark.parametrize("name, text, why", [
    ("conversations.json", '{"messages": []}', "it is JSON, but neither ChatGPT's export"),
    ("transcript.json", '{"mapping": ', "its JSON cannot be read"),
    ("transcript.md", "", "it is empty"),
    ("transcript.md", "a\x00b", "it holds binary data"),
    ("transcript.md", "**User**\nonly a question", "read as markdown, it holds no reply of an assistant"),
])
def test_what_is_not_a_chat_is_refused_naming_the_formats_read(name, text, why):
    with pytest.raises(ChatFormatError) as err:
        read_chat(name, text)
    assert why in str(err.value)
    assert str(err.value).endswith("and an HTML page saved from a chat.")
    assert "ChatGPT's data export (conversations.json" in str(err.value)


def test_a_transcript_file_in_a_folder(tmp_path):
    folder = tmp_path / "alice"
    folder.mkdir()
    (folder / "conversations.json").write_text(cf.claude_json(), encoding="utf-8")
    assert find_transcript(folder).name == "conversations.json"
    sub = load(folder, tmp_path / "scratch")
    assert sub.kind == "transcript" and sub.chat.format == "claude-json"
    (folder / "transcript.md").write_text("**User**\nq\n**Assistant**\na", encoding="utf-8")
    with pytest.raises(SubmissionError, match="found several transcripts"):
        load(folder, tmp_path / "scratch")


def test_a_huge_export_is_refused_with_a_message(tmp_path):
    folder = tmp_path / "bob"
    folder.mkdir()
    (folder / "transcript.md").write_text("**User**\nq\n**Assistant**\n" + "x" * (3 * 1024 * 1024), encoding="utf-8")
    with pytest.raises(SubmissionError, match=r"transcript.md is 3072 KiB; at most 2048 KiB is allowed"):
        load(folder, tmp_path / "scratch")


def test_a_single_json_or_html_file_is_graded_as_a_transcript(tmp_path):
    page = tmp_path / "carol" / "chat.html"
    page.parent.mkdir()
    page.write_text(cf.saved_page(), encoding="utf-8")
    sub = load(page, tmp_path / "scratch")
    assert (sub.student, sub.kind, sub.chat.format) == ("carol", "transcript", "html")


def test_role_line_is_none_for_prose():
    assert role_line("The user sees the answer.") is None
    assert role_line("Answer: 4") is None
    assert role_line("**Cursor**").role == "assistant"


def test_a_report_keeps_its_marked_chat_through_report_json(tmp_path):
    from grader.extract import extract_answers
    from grader.model import Report, Submission
    from grader.store import report_from_json, report_to_json
    from tests.chat_helpers import problems

    sub = extract_answers(Submission("s", tmp_path, "transcript", chat=read_chat("t.json", cf.chatgpt_json())), problems())
    report = Report("s", "grade", "transcript", transcript=sub.transcript)
    back = report_from_json(json.loads(json.dumps(report_to_json(report))))
    assert back.transcript == sub.transcript and back.transcript.count("graded") >= 10

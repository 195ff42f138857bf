"""Chat exports → turns: Markdown or text with role lines, ChatGPT's and Claude's JSON exports, saved HTML pages.

The format is chosen by content, not by the file's name: JSON that holds a
ChatGPT `mapping` tree or Claude `chat_messages`, HTML (parsed with the
standard library's HTML parser, never a regular expression over tags), and
anything else as text with role lines. Every reader is bounded: file size,
characters of chat, number of messages and nesting depth, so a hostile file
gives a `ChatFormatError` (a `SubmissionError`: the submission is reported as
unreadable, with what was wrong and the formats that are read) or a chat,
never a crash or a hang.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from grader.errors import SubmissionError

MAX_TEXT_BYTES = 2 * 1024 * 1024  # a Markdown or text export
MAX_EXPORT_BYTES = 20 * 1024 * 1024  # a JSON export or a saved HTML page (pages carry styles, exports metadata)
MAX_CHAT_CHARS = 2_000_000  # the text of all turns together
MAX_MESSAGES = 20_000  # messages walked in a JSON export
MAX_HTML_DEPTH = 400  # open elements tracked; deeper markup is read as text, without structure
MAX_ROLE_LINE = 120  # a role line is short; longer lines are text

# The names a submission folder may give its transcript (the export's own name included).
TRANSCRIPT_NAMES = ("transcript.md", "transcript.markdown", "transcript.txt", "transcript.json", "conversations.json",
                    "transcript.html", "transcript.htm")

FORMATS_READ = (
    "Markdown or text exports with a line naming each speaker (Cursor: **User** / **Cursor**; ChatGPT: "
    "## User / ## ChatGPT or **You:** / **ChatGPT:**; Claude: Human: / Assistant: or **Claude**; Gemini: "
    "**Gemini**; plain User: / Assistant:), ChatGPT's data export (conversations.json with a 'mapping' of "
    "messages), Claude's export (conversations.json with 'chat_messages'), and an HTML page saved from a chat")


class ChatFormatError(SubmissionError):
    """A transcript that is not a chat the grader can read; the message names what it reads."""

    def __init__(self, name: str, why: str):
        super().__init__(f"{name} is not a chat export the grader can read: {why}. It reads: {FORMATS_READ}.")


@dataclass(frozen=True)
class Turn:
    """One turn of a chat: who spoke and what; 'meta' turns (titles, export lines) are shown, never graded."""

    role: str  # "user" | "assistant" | "meta"
    text: str
    speaker: str = ""  # the speaker as the export names it ("Cursor", "ChatGPT", "Human")
    conversation: int = 0  # which conversation of the export (a file may hold several)


@dataclass(frozen=True)
class Chat:
    """A transcript read: its format, its turns in the order the user saw them, and notes on how it was read."""

    format: str  # "markdown" | "chatgpt-json" | "claude-json" | "html"
    turns: tuple[Turn, ...]
    notes: tuple[str, ...] = ()

    @property
    def assistant_turns(self) -> tuple[int, ...]:
        """The indices of the assistant's turns."""
        return tuple(i for i, t in enumerate(self.turns) if t.role == "assistant")

    def number(self, index: int) -> int:
        """A turn as a reader counts them: 1 for the first message (conversation titles are not counted)."""
        return turn_number(self.turns, index)


def turn_number(turns, index: int) -> int:
    """The reader's number of turn `index`: its position among the messages, titles left out."""
    return sum(1 for t in turns[:index + 1] if t.role != "meta")


# ---------------------------------------------------------------- files

def find_transcript(folder: Path) -> Path | None:
    """The transcript file of a submission folder, or None; a SubmissionError when it holds several."""
    found = [folder / n for n in TRANSCRIPT_NAMES if (folder / n).is_file() and not (folder / n).is_symlink()]
    if len(found) > 1:
        raise SubmissionError("found several transcripts (" + ", ".join(p.name for p in found)
                              + "); a submission holds exactly one")
    return found[0] if found else None


def read_transcript(path: Path) -> tuple[str, Chat]:
    """Read a transcript file: (its text, the Chat in it); ChatFormatError or SubmissionError when it cannot be."""
    size = path.stat().st_size
    cap = MAX_EXPORT_BYTES if path.suffix.lower() in (".json", ".html", ".htm") else MAX_TEXT_BYTES
    if size > cap:
        raise SubmissionError(f"{path.name} is {size // 1024} KiB; at most {cap // 1024} KiB is allowed"
                              + (" (export only this homework's conversation)" if cap == MAX_EXPORT_BYTES else ""))
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ChatFormatError(path.name, f"it is not UTF-8 text (byte {exc.start})") from None
    return text, read_chat(path.name, text)


def read_chat(name: str, text: str) -> Chat:
    """The chat in `text`, its format chosen by content; ChatFormatError when it is none of those read."""
    if "\x00" in text:
        raise ChatFormatError(name, "it holds binary data (NUL bytes)")
    head = text.lstrip()[:2000]
    if head[:1] in "[{":
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            if name.lower().endswith(".json"):
                raise ChatFormatError(name, f"its JSON cannot be read ({str(exc)[:120]})") from None
            data = None  # text that happens to start with a bracket
        if data is not None:
            return _checked(name, _json_chat(name, data))
    if re.match(r"\s*(?:<!doctype\s+html|<html\b|<head\b|<body\b|<meta\b|<div\b|<main\b|<article\b)", head, re.I):
        return _checked(name, html_chat(text))
    if not text.strip():
        raise ChatFormatError(name, "it is empty")
    return _checked(name, markdown_chat(text))


def _checked(name: str, chat: Chat) -> Chat:
    """The chat, refused when it has no text or more than the grader reads."""
    total = sum(len(t.text) for t in chat.turns)
    if total > MAX_CHAT_CHARS:
        raise SubmissionError(f"{name}: the chat holds {total:,} characters; at most {MAX_CHAT_CHARS:,} are read "
                              "(export only this homework's conversation)")
    if not any(t.role == "assistant" and t.text.strip() for t in chat.turns):
        raise ChatFormatError(name, f"read as {chat.format}, it holds no reply of an assistant")
    return chat


# ---------------------------------------------------------------- Markdown and text

USER_WORDS = {"user", "you", "human", "student", "me", "prompt", "question"}
ASSISTANT_WORDS = {"assistant", "ai", "model", "bot", "response", "cursor"}
ASSISTANT_NAMES = ("chatgpt", "gpt", "claude", "gemini", "bard", "copilot", "cursor", "deepseek", "llama", "mistral",
                   "grok", "o1", "o3", "o4")
# Words that are also ordinary headings or labels ("## Model", "Response: 200 ms"): read as roles only in a
# file that has no role line of a stronger kind.
WEAK_WORDS = {"ai", "model", "bot", "response", "prompt", "me", "question"}
_VERSION = r"(?:[\s-]+(?:\d[\w.]*|[a-z]\d[\w.]*|opus|sonnet|haiku|pro|flash|ultra|mini|turbo|plus|advanced|thinking))"
_BARE = re.compile(r"(?P<word>[A-Za-z][A-Za-z0-9.]*(?:-[A-Za-z0-9.]+)?)" + _VERSION + r"{0,3}(?:\s+said)?", re.I)
_COLON = re.compile(r"(?P<open>[*_]{0,2})\s*(?P<word>[A-Za-z][A-Za-z0-9.-]*)(?:\s+said)?\s*(?P<close>[*_]{0,2})\s*:"
                    r"\s*[*_]{0,2}\s*(?P<rest>\S.*)$")
_REMARK = re.compile(r"(?P<word>[A-Z][A-Za-z]*)\s+(?P<rest>\S.*)$")
_EXPORTED = re.compile(r"^[\s*_>]*exported\s+on\b.{0,120}\bfrom\b", re.I)
_FENCE = re.compile(r"^\s*(```|~~~)")
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")


def role_of(word: str) -> str | None:
    """'user' or 'assistant' for a speaker's name, None for other words."""
    w = word.lower()
    if w in USER_WORDS:
        return "user"
    if w in ASSISTANT_WORDS or any(w == n or w.startswith(n + "-") or (w.startswith(n) and n not in ("o1", "o3", "o4"))
                                   for n in ASSISTANT_NAMES):
        return "assistant"
    return None


@dataclass(frozen=True)
class _RoleLine:
    role: str
    speaker: str
    rest: str  # text after the role on the same line
    kind: str  # "bare" (the line is only the role), "colon" (Role: text) or "remark" (Role text)
    weak: bool


def role_line(line: str) -> _RoleLine | None:
    """The role a line names, if it is a role line in one of the usual styles."""
    core = line.strip()
    heading = core.startswith("#")
    core = core.lstrip("#").strip()
    if not core:
        return None
    bare = re.sub(r"[*_`]", "", core).strip().rstrip(":").strip()
    if len(bare) <= MAX_ROLE_LINE:
        m = _BARE.fullmatch(bare)
        if m and (role := role_of(m.group("word"))):
            return _RoleLine(role, m.group("word"), "", "bare", m.group("word").lower() in WEAK_WORDS)
    m = _COLON.match(core[:MAX_ROLE_LINE + 2000])
    if m and (role := role_of(m.group("word"))):
        marked = bool(m.group("open") or m.group("close") or heading)
        weak = m.group("word").lower() in WEAK_WORDS
        if not weak or marked:
            return _RoleLine(role, m.group("word"), m.group("rest").strip().strip("*_").strip(), "colon", weak)
    m = _REMARK.match(core)
    if m and not heading and (role := role_of(m.group("word"))):
        return _RoleLine(role, m.group("word"), m.group("rest").strip(), "remark", m.group("word").lower() in WEAK_WORDS)
    return None


def markdown_chat(text: str) -> Chat:
    """Turns from a Markdown or text export, split at the lines naming a speaker.

    A line with a role and more text without a colon ("User I pasted the PDF")
    is a role line only where the same role word also stands alone on a line
    elsewhere in the file. Lines inside code fences never split. "Exported on
    ... from ..." lines (with the title before them) start a new conversation.
    Without any role line the whole file is read as the assistant's reply.
    """
    lines = text.splitlines()
    candidates: list[tuple[int, _RoleLine]] = []
    fenced = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced and (found := role_line(line)) is not None:
            candidates.append((i, found))
    strong = any(not c.weak for _, c in candidates)
    # A plain-text export writes its role lines as the bare word ("User", "Cursor"), and may add a remark
    # after it on one line; where role lines are marked up (**User**), "User input ..." is prose.
    bare_words = {c.speaker.lower() for i, c in candidates if c.kind == "bare" and lines[i].strip() == c.speaker}
    accepted = {i: c for i, c in candidates
                if (not strong or not c.weak) and (c.kind != "remark" or c.speaker.lower() in bare_words)}
    if not accepted:
        body = text.strip("\n")
        return Chat("markdown", (Turn("assistant", body),),
                    ("no line naming a speaker (such as **User** / **Assistant**) was found, so the whole file is "
                     "read as the assistant's reply",))
    turns: list[Turn] = []
    role, speaker, buf, conversation = "meta", "", [], 0

    def flush():
        """End the turn being read (its surrounding rules and blank lines dropped)."""
        # Exports put a rule (---) between turns: it belongs to neither.
        while buf and (not buf[-1].strip() or _RULE.match(buf[-1])):
            buf.pop()
        while buf and (not buf[0].strip() or _RULE.match(buf[0])):
            buf.pop(0)
        body = "\n".join(buf)
        if body.strip():
            turns.append(Turn(role, body, speaker, conversation))

    for i, line in enumerate(lines):
        if i in accepted:
            flush()
            c = accepted[i]
            role, speaker, buf = c.role, c.speaker, ([c.rest] if c.rest else [])
            continue
        if _EXPORTED.match(line) and i not in accepted:
            # A new conversation: its title is the last short line before the export line.
            title = []
            while buf and not buf[-1].strip():
                buf.pop()
            if buf and len(buf[-1].strip()) <= 100 and not buf[-1].rstrip().endswith((".", ":", "?", "$")):
                title = [buf.pop()]
            flush()
            if turns or role != "meta":
                conversation += 1
            role, speaker, buf = "meta", "", title + [line]
            continue
        buf.append(line)
    flush()
    return Chat("markdown", tuple(turns))


# ---------------------------------------------------------------- JSON exports

def _json_chat(name: str, data) -> Chat:
    """A ChatGPT or Claude export (one conversation or a list of them)."""
    if isinstance(data, dict) and isinstance(data.get("conversations"), list):
        data = data["conversations"]
    convs = data if isinstance(data, list) else [data]
    convs = [c for c in convs if isinstance(c, dict)]
    if any(isinstance(c.get("mapping"), dict) for c in convs):
        return _chatgpt(name, [c for c in convs if isinstance(c.get("mapping"), dict)])
    if any(isinstance(c.get("chat_messages"), list) for c in convs):
        return _claude(name, [c for c in convs if isinstance(c.get("chat_messages"), list)])
    raise ChatFormatError(name, "it is JSON, but neither ChatGPT's export (conversations with a 'mapping' of "
                                "messages) nor Claude's (conversations with 'chat_messages')")


def _time(value) -> float:
    """A sortable creation time (epoch seconds or an ISO string); 0 when there is none."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        digits = re.sub(r"\D", "", value)[:20]
        return float(digits) if digits else 0.0
    return 0.0


def _chronological(convs: list[dict], key: str) -> list[dict]:
    """Conversations oldest first (exports list the newest first); the file's order where times are missing."""
    return [c for _, c in sorted(enumerate(convs), key=lambda ic: (_time(ic[1].get(key)), ic[0]))]


CHATGPT_TEXT = ("text", "multimodal_text")


def _chatgpt_text(message: dict) -> str | None:
    """The visible text of one ChatGPT message, or None for tool calls, system and hidden messages."""
    author = message.get("author") if isinstance(message.get("author"), dict) else {}
    role = author.get("role")
    meta = message.get("metadata") if isinstance(message.get("metadata"), dict) else {}
    if role not in ("user", "assistant") or meta.get("is_visually_hidden_from_conversation"):
        return None
    if message.get("recipient") not in (None, "all"):
        return None  # a call to a tool (code, browsing): not what the user read
    content = message.get("content") if isinstance(message.get("content"), dict) else {}
    if content.get("content_type") not in CHATGPT_TEXT:
        return None
    parts = content.get("parts") if isinstance(content.get("parts"), list) else []
    texts = [p if isinstance(p, str) else p.get("text") for p in parts if isinstance(p, (str, dict))]
    body = "\n".join(t for t in texts if isinstance(t, str)).strip()
    return body or None


def _chatgpt(name: str, convs: list[dict]) -> Chat:
    """ChatGPT's export: for each conversation, the branch from the root to `current_node` (what the user saw)."""
    turns, notes, walked = [], [], 0
    for index, conv in enumerate(_chronological(convs, "create_time")):
        mapping = conv["mapping"]
        node = conv.get("current_node")
        if not isinstance(node, str) or node not in mapping:
            node = _last_leaf(mapping)
            notes.append(f"conversation {index + 1} names no current message; the latest branch is read")
        branch, seen = [], set()
        while isinstance(node, str) and node in mapping and node not in seen:
            walked += 1
            if walked > MAX_MESSAGES:
                raise SubmissionError(f"{name}: the export holds more than {MAX_MESSAGES:,} messages; export only "
                                      "this homework's conversation")
            seen.add(node)
            entry = mapping[node] if isinstance(mapping[node], dict) else {}
            branch.append(entry)
            node = entry.get("parent")
        title = conv.get("title")
        if isinstance(title, str) and title.strip():
            turns.append(Turn("meta", title.strip()[:300], "", index))
        for entry in reversed(branch):
            message = entry.get("message")
            if isinstance(message, dict) and (body := _chatgpt_text(message)) is not None:
                role = message["author"]["role"]
                turns.append(Turn(role, body, "ChatGPT" if role == "assistant" else "You", index))
    return Chat("chatgpt-json", tuple(turns), tuple(notes))


def _last_leaf(mapping: dict) -> str | None:
    """The newest leaf of a message tree: from the root, always the last child."""
    roots = [k for k, v in mapping.items() if isinstance(v, dict) and v.get("parent") not in mapping]
    node, steps = (roots[0] if roots else None), 0
    while node is not None and steps < MAX_MESSAGES:
        steps += 1
        children = mapping[node].get("children") if isinstance(mapping.get(node), dict) else None
        children = [c for c in children if isinstance(c, str) and c in mapping] if isinstance(children, list) else []
        if not children:
            return node
        node = children[-1]
    return node


def _claude_text(message: dict) -> str:
    """The text blocks of one Claude message (thinking and tool blocks left out), with pasted attachments."""
    content = message.get("content")
    if isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "text" for b in content):
        body = "\n\n".join(b["text"] for b in content
                           if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str))
    else:
        body = message.get("text") if isinstance(message.get("text"), str) else ""
    for att in message.get("attachments") or []:
        if isinstance(att, dict) and isinstance(att.get("extracted_content"), str):
            body += "\n\n" + att["extracted_content"]
    return body.strip()


def _claude(name: str, convs: list[dict]) -> Chat:
    """Claude's export: each conversation's messages; where they form a tree, the branch ending at the newest."""
    turns, total = [], 0
    for index, conv in enumerate(_chronological(convs, "created_at")):
        messages = [m for m in conv["chat_messages"] if isinstance(m, dict)]
        total += len(messages)
        if total > MAX_MESSAGES:
            raise SubmissionError(f"{name}: the export holds more than {MAX_MESSAGES:,} messages; export only "
                                  "this homework's conversation")
        by_id = {m.get("uuid"): m for m in messages if isinstance(m.get("uuid"), str)}
        if messages and any(isinstance(m.get("parent_message_uuid"), str) and m["parent_message_uuid"] in by_id
                            for m in messages):
            newest = max(enumerate(messages), key=lambda im: (_time(im[1].get("created_at")), im[0]))[1]
            branch, seen, node = [], set(), newest
            while isinstance(node, dict) and id(node) not in seen:
                seen.add(id(node))
                branch.append(node)
                node = by_id.get(node.get("parent_message_uuid"))
            messages = list(reversed(branch))
        title = conv.get("name")
        if isinstance(title, str) and title.strip():
            turns.append(Turn("meta", title.strip()[:300], "", index))
        for m in messages:
            sender = m.get("sender")
            if sender not in ("human", "assistant"):
                continue
            body = _claude_text(m)
            if body:
                turns.append(Turn("user" if sender == "human" else "assistant", body,
                                  "Human" if sender == "human" else "Claude", index))
    return Chat("claude-json", tuple(turns))


# ---------------------------------------------------------------- saved HTML pages

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
SKIPPED = {"script", "style", "noscript", "template", "svg", "button", "head", "select", "textarea", "canvas",
           "iframe", "object"}
BLOCK = {"p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote", "ul", "ol", "li",
         "table", "thead", "tbody", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "br", "figure", "details",
         "summary", "dl", "dt", "dd"}


def _role_of_element(tag: str, attrs: dict) -> str | None:
    """The speaker an element of a chat page holds: ChatGPT's, Claude's and Gemini's markup."""
    role = attrs.get("data-message-author-role")
    if role in ("user", "assistant"):
        return role
    if tag in ("user-query",):
        return "user"
    if tag in ("model-response",):
        return "assistant"
    testid = attrs.get("data-testid") or ""
    classes = attrs.get("class") or ""
    if testid == "user-message" or "font-user-message" in classes:
        return "user"
    if "font-claude-message" in classes or "font-claude-response" in classes:
        return "assistant"
    return None


class _PageReader(HTMLParser):
    """Collects the text of a chat page by speaker, with math (TeX from KaTeX or MathJax) and tables kept."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []  # (tag, what it opened: "", "skip", "role", "math", "annotation")
        self.skip = 0  # depth inside skipped elements
        self.math: dict | None = None  # the formula being collected: its TeX, its other text, display or inline
        self.pre = 0
        self.turns: list[list] = []  # [role, pieces]
        self.outside: list[str] = []  # text outside any speaker's element
        self.cell = 0  # cells written in the current table row
        self.in_cell = 0  # open table cells: a paragraph inside one stays on the row's line
        self.title: list[str] = []
        self.in_title = False
        self.roles = 0

    def _out(self) -> list[str]:
        """Where text goes now: the open speaker's turn, or the page outside any."""
        if any(what == "role" for _, what in self.stack):
            return self.turns[-1][1]
        return self.outside

    def _write(self, text: str) -> None:
        if not self.skip and self.math is None:
            self._out().append(" " if text == "\n" and self.in_cell else text)

    def _open_math(self, display: bool, alt: str | None) -> None:
        self.math = {"tex": [], "text": [], "display": display, "alt": alt}

    def handle_starttag(self, tag, attrs):
        """Open an element: a speaker's message, math, a skipped part, or layout that becomes text."""
        attrs = {k: (v or "") for k, v in attrs}
        classes = attrs.get("class", "").split()
        if tag == "title" and not self.title:
            self.in_title = True
        if tag in VOID:
            if tag in ("br", "hr"):
                self._write("\n")
            if tag == "img" and "math" in " ".join(classes) and attrs.get("alt"):
                self._write(f"${attrs['alt']}$")
            return
        if len(self.stack) >= MAX_HTML_DEPTH:
            self._write(" ")  # too deep to track: the text stays, the structure goes
            return
        hidden = tag in SKIPPED or attrs.get("aria-hidden") == "true" or "sr-only" in classes
        if self.skip or self.math is not None:
            if tag == "script" and not self.skip or hidden:
                what = "skip"
            elif self.math is not None and tag == "annotation" and "tex" in attrs.get("encoding", ""):
                what = "annotation"
            else:
                what = ""
        elif tag == "script" and attrs.get("type", "").startswith("math/tex"):
            what = "math"
            self._open_math("display" in attrs.get("type", ""), None)
            self.math["script"] = True
        elif "katex-display" in classes or (tag == "math" and attrs.get("display") == "block"):
            what = "math"
            self._open_math(True, attrs.get("alttext") or None)
        elif "katex" in classes or tag == "math":
            what = "math"
            self._open_math(False, attrs.get("alttext") or None)
        elif hidden:
            what = "skip"
        elif (role := _role_of_element(tag, attrs)) is not None and not any(w == "role" for _, w in self.stack):
            what = "role"
            self.roles += 1
            self.turns.append([role, []])
        else:
            what = ""
        if what == "skip":
            self.skip += 1
        self.stack.append((tag, what))
        if self.skip or self.math is not None:
            return
        if tag in BLOCK:
            self._write("\n")
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._write("#" * int(tag[1]) + " ")
        elif tag == "li":
            self._write("- ")
        elif tag == "tr":
            self.cell = 0
            self._write("\n| ")
        elif tag in ("td", "th"):
            if self.cell:
                self._write(" | ")
            self.cell += 1
            self.in_cell += 1
        elif tag == "pre":
            self.pre += 1
            self._write("```\n")
        elif tag in ("strong", "b"):
            self._write("**")

    def handle_endtag(self, tag):
        """Close the element (and any left open inside it)."""
        if tag == "title":
            self.in_title = False
        if tag in VOID:
            return
        # Close up to the matching element; an end tag that matches nothing recently opened is ignored.
        for depth in range(len(self.stack) - 1, max(-1, len(self.stack) - 50), -1):
            if self.stack[depth][0] == tag:
                break
        else:
            return
        while len(self.stack) > depth:
            self._close(*self.stack.pop())

    def _close(self, tag: str, what: str) -> None:
        if what == "skip":
            self.skip -= 1
            return
        if what == "math" and self.math is not None:
            m, self.math = self.math, None
            tex = m["alt"] or "".join(m["tex"]) or "".join(m["text"])
            tex = " ".join(tex.split())
            if tex:
                self._write(f"\n$${tex}$$\n" if m["display"] else f"${tex}$")
            return
        if self.skip or self.math is not None:
            return
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
            self._write("\n```")
        elif tag == "tr":
            self._write(" |")
        elif tag in ("td", "th"):
            self.in_cell = max(0, self.in_cell - 1)
        elif tag in ("strong", "b"):
            self._write("**")
        if tag in BLOCK:
            self._write("\n")

    def handle_data(self, data):
        """Text: into the title, the formula being read, or the open message."""
        if self.in_title:
            self.title.append(data)
            return
        if self.skip:
            return
        if self.math is not None:
            inside = any(w == "annotation" for _, w in self.stack) or self.math.get("script")
            self.math["tex" if inside else "text"].append(data)
            return
        self._write(data if self.pre else re.sub(r"\s+", " ", data))


def _tidy(pieces: list[str]) -> str:
    """Joined text with each line stripped and runs of blank lines cut to one."""
    lines = [line.strip() for line in "".join(pieces).splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def html_chat(text: str) -> Chat:
    """A saved chat page: turns from the speakers' elements (ChatGPT, Claude, Gemini markup), else role lines."""
    reader = _PageReader()
    try:
        reader.feed(text)
        reader.close()
    except (AssertionError, ValueError) as exc:  # the parser's own refusals of broken markup
        raise ChatFormatError("the page", f"its HTML cannot be parsed ({exc})") from None
    title = " ".join("".join(reader.title).split())
    if reader.roles:
        turns = [Turn("meta", title[:300])] if title else []
        for role, pieces in reader.turns:
            body = _tidy(pieces)
            if body:
                turns.append(Turn(role, body, "ChatGPT" if role == "assistant" else "You"))
        return Chat("html", tuple(turns))
    # A page without a chat's markup (a Markdown export rendered to HTML, say): its text, split at role lines.
    inner = markdown_chat(_tidy(reader.outside))
    turns = ((Turn("meta", title[:300]),) if title else ()) + inner.turns
    return Chat("html", turns, inner.notes)

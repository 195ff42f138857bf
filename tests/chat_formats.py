"""One chat answering all four problems, written out in every export format the grader reads.

`CHAT` is the conversation as the user saw it: (role, Markdown text) turns.
Each writer turns it into one export: Markdown with the role lines of Cursor,
ChatGPT, Claude, Gemini or a plain chat; ChatGPT's conversations.json (a
`mapping` tree, with an abandoned regenerated reply and an edited question
that must not count); Claude's conversations.json (with a stale branch); a
saved ChatGPT page (HTML with KaTeX math, a table and a script).
"""
from __future__ import annotations

import html
import json
import re

PCA_REPLY = r"""### Part (i): gradients and first-order conditions

$$\frac{\partial \mathcal{L}}{\partial W_1} = -2 W_2^\top (X - W_2 W_1 X) X^\top = 2 W_2^\top (W_2 W_1 - I) X X^\top$$

$$\frac{\partial \mathcal{L}}{\partial W_2} = -2 (X - W_2 W_1 X) X^\top W_1^\top = 2 (W_2 W_1 - I) X X^\top W_1^\top$$

Setting both gradients to zero gives the first-order conditions:

$$W_2^\top W_2 W_1 X X^\top = W_2^\top X X^\top \quad (\text{Condition 1})$$

$$W_2 W_1 X X^\top W_1^\top = X X^\top W_1^\top \quad (\text{Condition 2})$$

### Part (ii): the principal components satisfy them

Take $W_1 = U_k^\top$ and $W_2 = U_k$, where $X X^\top U_k = U_k D_k$ and $U_k^\top U_k = I_k$.

$$W_2^\top W_2 W_1 X X^\top = U_k^\top U_k U_k^\top X X^\top = U_k^\top X X^\top = W_2^\top X X^\top$$

$$W_2 W_1 X X^\top W_1^\top = U_k U_k^\top X X^\top U_k = U_k U_k^\top U_k D_k = U_k D_k = X X^\top W_1^\top$$

Both conditions hold, so the PCA weights are a critical point of the loss."""

RESNET_REPLY = """## (a) Training time and accuracy

**Baseline:** the series starts from the DAWNBench entry, which reached **94%** test accuracy on CIFAR-10 in **341 seconds**.

**Final:** after the whole series the same 94% accuracy takes **26 s** on one V100.

## (b) What I learned

Speed came mostly from removing waste. The authors measured where each second went and found that data loading,
repeated preprocessing and an oversized network cost more than the arithmetic that trains the model. They showed
that batch size, learning rate and weight decay must be tuned together.

## (c) Most interesting approach

The architecture search interested me most. Instead of keeping the ResNet they started with, the authors tried
small variations and kept a network with nine layers, which trained to the same accuracy in far less time."""

SEQ2SEQ_REPLY = """### Part (a): stacking the networks vertically

Feeding encoder state h_t into decoder step t ties output position t to input position t, but the two sentences
have different lengths and word orders.

### Part (b): training tokens

With teacher forcing the decoder reads the reference tokens:

| step | token |
|------|-------|
| w1 | <sos> |
| w2 | I |
| w3 | see |
| w4 | a |
| w5 | dog |

### Part (c): Evaluation tokens

**Answer: <sos>, I, saw, a, dog**"""

REGAE_REPLY = """### Part (a)

(i) **Answer:** 2 (an encoder and a decoder, without bias)

(ii) **Answer:** `nn.MSELoss`, since the reconstruction term is a squared error.

(iii) Answer: Weight Decay and SGD optimizer. Dropout and the normalization layers are not part of (6).

### Part (b)

Yes. The squared Frobenius norm is the sum of squared singular values, so for a fixed product the penalty is smallest
when the two factors share their singular values, which are close to 1 when lambda is small."""

CHAT = (
    ("user", "Please answer HW7 question 3b on PCA and linear autoencoders: (i) the first-order optimality "
             "conditions, (ii) show that the principal components satisfy them."),
    ("assistant", PCA_REPLY),
    ("user", "Now question 4, the blog series How to train your ResNet: baseline and final time and accuracy, "
             "what you learned, and the most interesting approach."),
    ("assistant", RESNET_REPLY),
    ("user", "Next, machine translation with an RNN encoder-decoder: (a) vertical stacking, (b) the decoder's "
             "training tokens w1..w5, (c) its evaluation tokens."),
    ("assistant", SEQ2SEQ_REPLY),
    ("user", "Last, the l2-regularized linear autoencoder: how many linear layers, which loss, what is needed to "
             "optimize (6) exactly, and (b) is W_2 biased towards orthonormal columns?"),
    ("assistant", REGAE_REPLY),
)

# The role lines of the Markdown exports: (user line, assistant line), each on its own line.
MARKDOWN_STYLES = {
    "cursor": ("**User**", "**Cursor**"),
    "chatgpt-headings": ("## User", "## ChatGPT"),
    "chatgpt-bold": ("**You:**", "**ChatGPT:**"),
    "claude-plain": ("Human:", "Assistant:"),
    "claude-bold": ("**Human**", "**Claude**"),
    "gemini": ("**You**", "**Gemini**"),
    "plain": ("User:", "Assistant:"),
}


def markdown(style: str, chat=CHAT) -> str:
    """The chat as a Markdown export with the given role lines."""
    user, assistant = MARKDOWN_STYLES[style]
    title = "# HW7 chat\n_Exported on 12/2/2025 at 02:10:12 PST from Cursor (2.1.46)_\n\n---\n\n"
    body = "\n\n---\n\n".join(f"{user if role == 'user' else assistant}\n\n{text}" for role, text in chat)
    return (title if style == "cursor" else "") + body + "\n"


def chatgpt_json(chat=CHAT) -> str:
    """ChatGPT's conversations.json: a message tree, with an abandoned regenerated reply and an edited question."""
    mapping = {"root": {"id": "root", "message": None, "parent": None, "children": []}}
    system = {"id": "sys", "author": {"role": "system"}, "content": {"content_type": "text", "parts": [""]},
              "metadata": {"is_visually_hidden_from_conversation": True}}
    mapping["sys"] = {"id": "sys", "message": system, "parent": "root", "children": []}
    mapping["root"]["children"].append("sys")
    parent = "sys"
    for n, (role, text) in enumerate(chat):
        node = f"m{n}"
        message = {"id": node, "author": {"role": role}, "recipient": "all", "create_time": 1700000000 + n,
                   "content": {"content_type": "text", "parts": [text]}, "metadata": {}}
        mapping[node] = {"id": node, "message": message, "parent": parent, "children": []}
        mapping[parent]["children"].insert(0, node)
        if role == "user" and n == 4:
            # The question as first asked, then edited: its branch (and the reply to it) no longer counts.
            mapping["edit"] = {"id": "edit", "parent": parent, "children": ["edit-reply"], "message": {
                "author": {"role": "user"}, "content": {"content_type": "text", "parts": ["Machine translation?"]}}}
            mapping["edit-reply"] = {"id": "edit-reply", "parent": "edit", "children": [], "message": {
                "author": {"role": "assistant"}, "content": {"content_type": "text",
                                                             "parts": ["**Answer: <sos>, I, see, a, dog**"]}}}
            mapping[parent]["children"].insert(0, "edit")
        if role == "assistant":
            # A reply the user regenerated: still in the tree, on a branch the user left.
            stale = f"stale{n}"
            wrong = {"id": stale, "author": {"role": "assistant"}, "recipient": "all",
                     "content": {"content_type": "text", "parts": ["**Answer: <sos>, I, see, a, dog**\n"
                                                                    "Final: 34 seconds at 94%"]}, "metadata": {}}
            mapping[stale] = {"id": stale, "message": wrong, "parent": parent, "children": []}
            mapping[parent]["children"].insert(0, stale)
        parent = node
    # A tool call the user never read as a reply.
    mapping["tool"] = {"id": "tool", "parent": parent, "children": [], "message": {
        "author": {"role": "assistant"}, "recipient": "python", "content": {"content_type": "code", "text": "print(1)"}}}
    conv = {"title": "HW7 questions", "create_time": 1700000000.0, "mapping": mapping, "current_node": parent}
    older = {"title": "something else", "create_time": 1600000000.0, "current_node": "x", "mapping": {
        "x": {"id": "x", "parent": None, "children": [], "message": {
            "author": {"role": "user"}, "content": {"content_type": "text", "parts": ["What is a GPU?"]}}}}}
    return json.dumps([conv, older], indent=1)


def claude_json(chat=CHAT) -> str:
    """Claude's conversations.json: chat_messages with parents, and a stale branch the user left."""
    messages, parent = [], None
    for n, (role, text) in enumerate(chat):
        uuid = f"u{n}"
        messages.append({"uuid": uuid, "sender": "human" if role == "user" else "assistant", "text": text,
                         "content": [{"type": "text", "text": text}], "created_at": f"2025-12-02T10:{n:02d}:00Z",
                         "parent_message_uuid": parent or "00000000-0000-4000-8000-000000000000"})
        if role == "assistant" and n == 5:
            messages.append({"uuid": "old", "sender": "assistant", "text": "**Answer: <sos>, I, see, a, dog**",
                             "content": [{"type": "thinking", "thinking": "..."},
                                         {"type": "text", "text": "**Answer: <sos>, I, see, a, dog**"}],
                             "created_at": f"2025-12-02T10:{n:02d}:30Z", "parent_message_uuid": parent})
        parent = uuid
    return json.dumps([{"uuid": "c1", "name": "HW7", "created_at": "2025-12-02T10:00:00Z", "chat_messages": messages}])


def _tex(tex: str, display: bool) -> str:
    """KaTeX's markup for a formula: the TeX in an annotation, and a rendering hidden from the text."""
    inner = (f'<span class="katex"><span class="katex-mathml"><math><semantics><mrow><mi>x</mi></mrow>'
             f'<annotation encoding="application/x-tex">{html.escape(tex)}</annotation></semantics></math></span>'
             f'<span class="katex-html" aria-hidden="true"><span class="mord">{html.escape(tex[:5])}</span></span></span>')
    return f'<span class="katex-display">{inner}</span>' if display else inner


def _inline_html(line: str) -> str:
    out, pos = [], 0
    for m in re.finditer(r"\$([^$]+)\$|\*\*([^*]+)\*\*|`([^`]+)`", line):
        out.append(html.escape(line[pos:m.start()]))
        if m.group(1) is not None:
            out.append(_tex(m.group(1), False))
        elif m.group(2) is not None:
            out.append(f"<strong>{_inline_html(m.group(2))}</strong>")
        else:
            out.append(f"<code>{html.escape(m.group(3))}</code>")
        pos = m.end()
    out.append(html.escape(line[pos:]))
    return "".join(out)


def _body_html(text: str) -> str:
    """A reply's Markdown as a chat page renders it."""
    out = []
    blocks = re.split(r"\n\s*\n", text)
    for block in blocks:
        block = block.strip()
        if block.startswith("$$") and block.endswith("$$"):
            out.append(_tex(block[2:-2], True))
        elif block.startswith("#"):
            level = len(block) - len(block.lstrip("#"))
            out.append(f"<h{level}>{_inline_html(block.lstrip('#').strip())}</h{level}>")
        elif block.startswith("|"):
            rows = [r for r in block.splitlines() if not re.fullmatch(r"[\s|:-]+", r)]
            cells = ["".join(f"<td>{_inline_html(c.strip())}</td>" for c in r.strip().strip("|").split("|")) for r in rows]
            out.append("<table><tbody>" + "".join(f"<tr>{c}</tr>" for c in cells) + "</tbody></table>")
        else:
            out.append(f"<p>{_inline_html(' '.join(block.splitlines()))}</p>")
    return "\n".join(out)


def saved_page(chat=CHAT) -> str:
    """A chat page saved from the browser: styles, scripts, and each message in an element naming its author."""
    turns = "\n".join(
        f'<div data-message-author-role="{role}"><div class="markdown prose">{_body_html(text)}</div>'
        f'<button aria-label="Copy">Copy</button></div>' for role, text in chat)
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>HW7 questions</title>"
            "<style>.x{color:red}</style><script>window.alert('hi')</script></head><body><nav>New chat</nav>"
            f"<main>{turns}</main><script>console.log('</div>')</script></body></html>")


FORMATS = {**{f"markdown-{s}": (lambda s=s: ("transcript.md", markdown(s))) for s in MARKDOWN_STYLES},
           "chatgpt-json": lambda: ("conversations.json", chatgpt_json()),
           "claude-json": lambda: ("conversations.json", claude_json()),
           "html": lambda: ("transcript.html", saved_page())}


def replace_reply(index: int, old: str, new: str, chat=CHAT) -> tuple:
    """The chat with one turn's text edited (to plant an error)."""
    turns = list(chat)
    role, text = turns[index]
    assert old in text, old
    turns[index] = (role, text.replace(old, new))
    return tuple(turns)

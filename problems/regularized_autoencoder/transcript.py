"""Reading the regularized_autoencoder answers out of this problem's region of a chat (text only, nothing is run).

In each reply about the problem, each "Answer: ..." line is classified by
what it names: a loss, options of the select-all question, a yes/no, or a
count of layers. The yes/no may also open a paragraph ("Yes, the solution
...") after the question on orthonormal columns; the argument is the text
that follows it. Every answer seen is reported, so that a later reply that
answers again (a revised count, a changed yes/no) is the one graded. The
code parts (build_model, train) cannot be answered in a transcript.
"""
from __future__ import annotations

import re

from grader.transcripts.regions import Extraction, Found, Region
from problems.regularized_autoencoder import normalize

# "Answer: ...", also after a part label on the same line ("(ii) **Answer:** nn.MSELoss").
ANSWER_LINE = re.compile(r"^[ \t>*_#-]*(?:\(?(?:[ivx]{1,4}|[a-h])\)[ \t*_]*)?(?:final\s+)?answer[*_]*\s*[:：]\s*"
                         r"(?P<text>.+)$", re.IGNORECASE | re.MULTILINE)
VERDICT_LINE = re.compile(r"^[ \t>*_-]*(?:answer[*_]*\s*[:：]\s*)?[*_]*(?P<word>yes|no)\b[*_]*[,.:;!]?(?P<rest>.*)$",
                          re.IGNORECASE | re.MULTILINE)
LOSS = re.compile(r"\b(?:torch\.)?(?:nn\.)?(MSELoss|L1Loss|CrossEntropyLoss)\b", re.IGNORECASE)
# The options as the homework writes them, for the extracted list.
DISPLAY = {"weight decay": "Weight Decay", "dropout": "Dropout", "layer norm": "Layer Norm", "batch norm": "Batch Norm",
           "sgd optimizer": "SGD optimizer"}
# The part (b) question: a line that mentions orthonormal columns and asks something.
BIAS_QUESTION = re.compile(r"^.*orthonormal.*\?[\s*_]*$", re.IGNORECASE | re.MULTILINE)
COUNT = re.compile(r"^[\s*_`]*(\d+|zero|one|two|three|four)\b", re.IGNORECASE)
# The end of the answer proper: a sentence end, a dash or a parenthesis.
FIRST_CLAUSE = re.compile(r"[.;!]\s|[.;!]$|\s[-\u2013\u2014]+\s|\(|,\s*(?:since|because|as)\b", re.IGNORECASE)
MAX_ARGUMENT_CHARS = 4000
PART_B = re.compile(r"^\s*(?:#{1,6}\s*)?[*_]{0,2}\s*(?:part\s*)?\(?\s*b\s*[).:][^\n]*$", re.IGNORECASE | re.MULTILINE)


def classify(answer: str) -> tuple[str, object] | None:
    """(answer name, value) for one "Answer: ..." text, or None when it answers none of the short questions."""
    # Only the first clause is the answer: what follows is explanation, which
    # may name the options that were *not* chosen ("Dropout is not needed").
    answer = FIRST_CLAUSE.split(answer, maxsplit=1)[0]
    loss = LOSS.search(answer)
    if loss:
        key = normalize.loss_name(loss.group(1))
        return "loss_function", normalize.LOSS_OPTIONS[key]
    options = normalize.options_in(answer)
    if options:
        return "needed_to_optimize_exactly", [DISPLAY[o] for o in options]
    verdict = normalize.yes_no(answer.strip(" *_`"))
    if verdict is not None:
        return "orthonormal_bias", "yes" if verdict else "no"
    count = COUNT.match(answer)
    if count:
        value = normalize.layer_count(count.group(1))
        if value is not None:
            return "num_linear_layers", value
    return None


def argument_after(text: str, start: int) -> str:
    """The free-response text from `start` on, capped, without trailing blank lines."""
    body = text[start:].strip()
    if len(body) > MAX_ARGUMENT_CHARS:
        body = body[:MAX_ARGUMENT_CHARS].rstrip() + " [...]"
    return body


def verdict_line(part: str, asked: bool = False) -> re.Match | None:
    """The yes/no that opens the answer to part (b): the first one after the last line asking about orthonormality.

    When the reply does not restate the question but the user `asked` it, the first yes/no of the reply's
    part (b) section counts.
    """
    questions = list(BIAS_QUESTION.finditer(part))
    if questions:
        return VERDICT_LINE.search(part, questions[-1].end())
    mention = part.lower().find("orthonormal")
    if mention >= 0:
        return VERDICT_LINE.search(part, mention)
    if asked:
        heading = PART_B.search(part)
        return VERDICT_LINE.search(part, heading.end()) if heading else None
    return None


def extract(region: Region) -> Extraction:
    """Every answer to this problem's short questions in the region, with where it was written."""
    found = []
    asked = any("orthonormal" in q.text.lower() for q in region.questions)
    for segment in region.segments:
        text, bias_at = segment.text, None
        for m in ANSWER_LINE.finditer(text):
            kind = classify(m.group("text"))
            if kind is not None:
                found.append(Found.at(kind[0], kind[1], segment, m.start("text"), m.end("text"), "the Answer: line"))
                if kind[0] == "orthonormal_bias":
                    bias_at = m.start()
        if bias_at is None:
            verdict = verdict_line(text, asked)
            if verdict is not None:
                found.append(Found.at("orthonormal_bias", verdict.group("word").lower(), segment,
                                      verdict.start("word"), verdict.end("word"), "the yes/no opening the argument"))
                bias_at = verdict.start()
        if bias_at is not None:
            # The argument is what follows the verdict (the verdict line included, for context).
            argument = argument_after(text, bias_at)
            lead = bias_at + len(text[bias_at:]) - len(text[bias_at:].lstrip())
            found.append(Found.at("orthonormal_argument", argument, segment, lead,
                                  min(len(text), lead + len(argument)), "the paragraphs after the yes/no"))
    return Extraction(found=tuple(found))

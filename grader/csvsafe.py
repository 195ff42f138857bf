"""Every CSV the grader writes, made safe to open in a spreadsheet (no cell runs as a formula).

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and some also after a tab or a carriage
return) as a formula: a student folder named `=HYPERLINK(...)` or `-2+3+cmd|' -C calc'!A0` would become one in
grades.csv. As OWASP advises, such a cell is written as text with a leading `'`; a plain number such as `-1.5`
cannot be a formula and is left as it is. Reading a sheet back undoes the prefix (`read_cell`), whether the
spreadsheet kept it or not.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def safe_cell(value) -> str:
    """The cell as text that no spreadsheet runs: a leading `'` when it could start a formula."""
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def read_cell(text: str) -> str:
    """A cell read back from a sheet the grader wrote: without the `'` that `safe_cell` added."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def write_csv(path: Path, header, rows) -> None:
    """Write `header` and `rows` to `path` in UTF-8, every cell made safe."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([safe_cell(c) for c in header])
        writer.writerows([safe_cell(c) for c in row] for row in rows)


def csv_lines(rows) -> str:
    """`rows` as CSV text, every cell made safe (for lines a TA pastes into a sheet)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([safe_cell(c) for c in row] for row in rows)
    return buffer.getvalue().rstrip("\n")

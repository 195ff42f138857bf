"""Chat transcripts: read any export into turns, cut them into one region per problem, mark what was graded.

- `formats`: a file (Markdown or text with role lines, ChatGPT's or Claude's
  `conversations.json`, a saved HTML page) becomes a `Chat` of turns.
- `regions`: the assistant's turns cut into one `Region` per problem, from the
  problems' `Recognize` declarations; a problem's extractor reads only its own.
- `markdown`: text helpers for extractors (answer lines, part sections, math blocks, tables).
- `marks`: where each answer and each checked step sits in the chat, and `transcript.html`.

A problem's `transcript.py` imports `grader.transcripts.regions` (Region,
Extraction, Found, Place) and `grader.transcripts.markdown`; nothing else of
the engine. Nothing in a transcript is ever run: it is text, parsed.
"""

"""text/enriched (RFC 1896) and its ancestor text/richtext (RFC 1341) as the plain text a
reader of either would see.

Not a file format a library reads: no maintained PyPI package converts either, and the whole
grammar is "<command>", "</command>", "<<" and line-break folding, so a bounded scan is done
here. What is kept: the words, the paragraph breaks, <nofill> lines as written. What goes:
every command (formatting has no plain-text meaning), and <param> / <comment> contents,
which are arguments for the formatting, not text.
"""

from __future__ import annotations

import re

ENRICHED = "text/enriched"
RICHTEXT = "text/richtext"
TYPES = frozenset({ENRICHED, RICHTEXT})

# A command is up to 60 letters, digits or hyphens (RFC 1896 §2); anything else after "<"
# is text. "<<" is a literal "<" in text/enriched.
_TOKEN = re.compile(r"<<|<(/?)([A-Za-z0-9-]{1,60})>|\n+")
_SKIPPED = frozenset({"param", "comment"})  # contents are arguments, not text
# text/richtext writes line breaks and "<" as commands; its own line breaks are spaces.
_RICHTEXT_COMMANDS = {"nl": "\n", "np": "\n\n", "lt": "<"}


def enriched_to_text(text: str, subtype: str = ENRICHED) -> str:
    """The plain text of a text/enriched or text/richtext body."""
    richtext = subtype == RICHTEXT
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    skipping = 0  # depth inside <param> / <comment>
    nofill = 0  # depth inside <nofill>: line breaks are kept as they are
    pos = 0
    for match in _TOKEN.finditer(text):
        if not skipping:
            out.append(text[pos : match.start()])
        pos = match.end()
        token = match.group(0)
        if token == "<<":
            if not skipping:
                out.append("<" if not richtext else "<<")
            continue
        if token.startswith("\n"):
            if skipping:
                continue
            if richtext and not nofill:
                out.append(" ")
            elif nofill:
                out.append(token)
            else:  # RFC 1896 §3: one break is a space, n breaks are n - 1 line breaks
                out.append(" " if len(token) == 1 else token[1:])
            continue
        closing, name = match.group(1) == "/", match.group(2).lower()
        if name in _SKIPPED:
            skipping = max(0, skipping - 1) if closing else skipping + 1
        elif skipping:
            continue
        elif name == "nofill":
            nofill = max(0, nofill - 1) if closing else nofill + 1
        elif richtext and not closing and name in _RICHTEXT_COMMANDS:
            out.append(_RICHTEXT_COMMANDS[name])
    if not skipping:
        out.append(text[pos:])
    return "".join(out)

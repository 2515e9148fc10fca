"""Markdown helpers for the case file: free text (a manager's comment, a rule's finding) is escaped so it
renders as text in the Prefect UI and cannot add HTML, links or table cells."""

from __future__ import annotations

import re
from collections.abc import Sequence

_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def inline(text: object) -> str:
    """One line of Markdown-safe text: line breaks become spaces, markup characters are escaped."""
    one_line = " ".join(str(text).split())
    return _SPECIAL.sub(r"\\\1", one_line).replace("&", "&amp;")


def fenced(text: str, info: str = "text") -> str:
    """``text`` in a code fence longer than any backtick run inside it (so the text cannot end the fence)."""
    longest, run = 0, 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip()}\n{fence}\n"


def table(header: list[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; every cell escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(inline(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"

"""A readable difference between two versions of an article's text. Pure."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed", "same" or "gap"
    text: str


def diff_lines(old: str, new: str, *, context: int = 3) -> list[DiffLine]:
    """Lines added and removed from ``old`` to ``new``, with ``context`` unchanged
    lines around each change and a "gap" line where unchanged lines are left out."""
    lines: list[DiffLine] = []
    diff = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=context))
    for line in diff[2:]:  # after the "---" and "+++" file headers
        if line.startswith("@@"):
            lines.append(DiffLine("gap", line))
        elif line.startswith("+"):
            lines.append(DiffLine("added", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("removed", line[1:]))
        else:
            lines.append(DiffLine("same", line[1:]))
    return lines

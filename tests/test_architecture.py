"""The one-place rules, checked on the source (the import contracts are in
``make lint``): visibility is decided in ``tickets/access.py``, events are
written by ``tickets/events.py``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent / "frontline"


def places(pattern: str, *, allowed: set[str]) -> list[str]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        if "/migrations/" in relative or relative in allowed:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(pattern, line):
                found.append(f"{relative}:{number}: {line.strip()}")
    return found


@pytest.mark.parametrize("query", ["for_agent", "for_requester"])
def test_only_the_access_module_asks_which_tickets_someone_may_see(query):
    assert places(rf"\.{query}\(", allowed={"tickets/access.py", "tickets/models.py"}) == []


# An event row made: by the ORM, or built to be written (``lib.prepared.insert``).
WRITES_AN_EVENT = r"(?<!class )TicketEvent(\.objects\.create|\.objects\.bulk_create|\()"


def test_events_are_written_only_through_record_event():
    assert places(WRITES_AN_EVENT, allowed={"tickets/events.py"}) == []


def test_the_checks_see_what_they_look_for():
    """Without the exceptions, each search finds the one place allowed to do it."""
    assert any(p.startswith("tickets/access.py:") for p in places(r"\.for_agent\(", allowed=set()))
    assert any(p.startswith("tickets/events.py:") for p in places(WRITES_AN_EVENT, allowed=set()))

"""How a demo ticket is written: the request, then a list of steps.

A step names an action and who takes it; ``answer`` and ``confirm`` are the
requester's. The builder in :mod:`frontline.ops.demo` plays them through the
ticket actions on a scripted clock. ``age_days`` is how long ago the request
came in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from frontline.tickets.models import Channel, Status


@dataclass(frozen=True)
class Step:
    act: str
    by: str = ""  # a username; empty means the requester
    text: str = ""
    to: str = ""
    team: str = ""
    value: Any = None
    hours: float | None = None  # gap before this step; None lets the builder pick one


@dataclass(frozen=True)
class Script:
    lang: str
    requester: str
    category: str
    subject: str
    body: str
    age_days: float
    steps: tuple[Step, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)
    channel: str = Channel.WEB
    opened_by: str = ""  # staff who registered a call on the requester's behalf
    files: tuple[tuple[str, bytes], ...] = ()


def take(by: str, note: str = "") -> Step:
    return Step("assign", by, note, to=by)


def handoff(by: str, to: str, team: str, note: str) -> Step:
    return Step("assign", by, note, to=to, team=team)


def reply(by: str, text: str, hours: float | None = None) -> Step:
    return Step("reply", by, text, hours=hours)


def note(by: str, text: str, hours: float | None = None) -> Step:
    return Step("note", by, text, hours=hours)


def ask(by: str, text: str) -> Step:
    return Step("ask", by, text)


def answer(text: str, hours: float | None = None) -> Step:
    return Step("answer", "", text, hours=hours)


def waiting_on_third_party(by: str, reason: str) -> Step:
    return Step("status", by, reason, value=Status.WAITING_THIRD_PARTY)


def priority(by: str, value: int, reason: str) -> Step:
    return Step("priority", by, reason, value=value)


def tags(by: str, *names: str) -> Step:
    return Step("tags", by, value=list(names))


def resolve(by: str, text: str, hours: float | None = None) -> Step:
    return Step("resolve", by, text, hours=hours)


def confirm() -> Step:
    return Step("confirm")


HW, BILLING, ACCESS, SOFTWARE, OTHER = (
    "Hardware problem",
    "Billing",
    "Access and accounts",
    "Software",
    "Other",
)

"""Triage rules, evaluated: plain data in, verdicts with reasons out. No database.

A rule matches when all (or any) of its conditions hold on the ticket's facts.
Rules run in order; a matched rule marked "stop" ends the run. Every verdict
carries a sentence saying why, which the dry-run page shows.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

# Text longer than this is cut before matching: rules look at what a person
# wrote, and a regex over a megabyte of pasted log is a way to stall a worker.
MAX_TEXT = 20_000

FIELDS = (
    "channel",
    "category",
    "organisation",
    "plan",
    "sender_domain",
    "language",
    "subject",
    "body",
    "text",
    "form_field",
    "time_of_day",
)
LABELS = {"plan": "service plan", "sender_domain": "sender domain", "time_of_day": "time of day"}
OPERATORS = ("equals", "not_equals", "contains", "not_contains", "regex", "one_of", "between")


@dataclass(frozen=True)
class Facts:
    """What rules may look at, read off a ticket."""

    channel: str = ""
    category: str = ""
    organisation: str = ""
    plan: str = ""  # the organisation's service plan (the highest), e.g. "VIP"
    sender_domain: str = ""
    language: str = ""
    subject: str = ""
    body: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    local_time: datetime.time = datetime.time(12, 0)


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: str
    key: str = ""  # the form field's key, for field == "form_field"

    def describe(self) -> str:
        subject = LABELS.get(self.field, self.field)
        if self.field == "form_field":
            subject = f"form field “{self.key}”"
        return f"{subject} {self.operator.replace('_', ' ')} “{self.value}”"


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    conditions: tuple[Condition, ...]
    actions: tuple[tuple[str, str], ...]
    match_all: bool = True
    stop: bool = False


@dataclass(frozen=True)
class Check:
    condition: Condition
    passed: bool
    explanation: str


@dataclass(frozen=True)
class Verdict:
    rule: Rule
    matched: bool
    checks: tuple[Check, ...]
    skipped: bool = False  # an earlier matched rule said stop

    @property
    def explanation(self) -> str:
        if self.skipped:
            return "not evaluated: an earlier rule stopped the run"
        if not self.rule.conditions:
            return "matches every ticket (no conditions)"
        joiner = "all of" if self.rule.match_all else "any of"
        state = "matched" if self.matched else "did not match"
        return f"{state}: needs {joiner} {len(self.checks)} conditions"


def _actual(condition: Condition, facts: Facts) -> Any:
    if condition.field == "form_field":
        return facts.fields.get(condition.key, "")
    if condition.field == "text":
        return f"{facts.subject}\n{facts.body}"
    if condition.field == "time_of_day":
        return facts.local_time
    return getattr(facts, condition.field)


def _parse_hhmm(text: str) -> datetime.time:
    hours, _, minutes = text.strip().partition(":")
    return datetime.time(int(hours), int(minutes or 0))


def _between(value: datetime.time, spec: str) -> bool:
    start_text, _, end_text = spec.partition("-")
    start, end = _parse_hhmm(start_text), _parse_hhmm(end_text)
    if start <= end:
        return start <= value < end
    return value >= start or value < end  # across midnight, e.g. 22:00-06:00


def check(condition: Condition, facts: Facts) -> Check:
    """Whether one condition holds, and a sentence saying what was compared."""
    actual = _actual(condition, facts)
    text = str(actual if actual is not None else "")[:MAX_TEXT]
    wanted = condition.value
    op = condition.operator
    try:
        if op == "between":
            if not isinstance(actual, datetime.time):
                raise ValueError("“between” compares times of day")
            passed = _between(actual, wanted)
        elif op == "equals":
            passed = text.casefold() == wanted.casefold()
        elif op == "not_equals":
            passed = text.casefold() != wanted.casefold()
        elif op == "contains":
            passed = wanted.casefold() in text.casefold()
        elif op == "not_contains":
            passed = wanted.casefold() not in text.casefold()
        elif op == "one_of":
            options = {o.strip().casefold() for o in wanted.split(",") if o.strip()}
            passed = text.casefold() in options
        elif op == "regex":
            passed = re.search(wanted, text, re.IGNORECASE) is not None
        else:
            raise ValueError(f"unknown operator “{op}”")
    except (ValueError, re.error) as exc:
        return Check(condition, False, f"{condition.describe()}: cannot check ({exc})")
    shown = text if len(text) <= 60 else text[:57] + "…"
    if condition.field == "plan" and not text:
        return Check(condition, passed, f"{condition.describe()}: {_yes(passed)} (no plan)")
    return Check(condition, passed, f"{condition.describe()}: {_yes(passed)} (was “{shown}”)")


def _yes(passed: bool) -> str:
    return "yes" if passed else "no"


def evaluate(rules: Sequence[Rule], facts: Facts) -> list[Verdict]:
    """Every rule's verdict, in order. After a matched rule with ``stop``, the rest
    are reported as skipped and do not apply."""
    verdicts: list[Verdict] = []
    stopped = False
    for rule in rules:
        if stopped:
            verdicts.append(Verdict(rule, False, (), skipped=True))
            continue
        checks = tuple(check(c, facts) for c in rule.conditions)
        results = [c.passed for c in checks]
        matched = (all(results) if rule.match_all else any(results)) if checks else True
        verdicts.append(Verdict(rule, matched, checks))
        stopped = matched and rule.stop
    return verdicts


def matched_actions(verdicts: Iterable[Verdict]) -> list[tuple[Rule, str, str]]:
    """(rule, kind, value) for every action of every matched rule, in order."""
    return [(v.rule, kind, value) for v in verdicts if v.matched for kind, value in v.rule.actions]

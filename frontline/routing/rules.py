"""Triage rules, evaluated: plain data in, verdicts with reasons out. No database.

A rule matches when all (or any) of its conditions hold on the ticket's facts.
Rules run in order; a matched rule marked "stop" ends the run. Every verdict
carries a sentence saying why, which the dry-run page shows.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import re2

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


PatternFault = Literal["syntax", "unsupported", "word_boundary"]


class PatternError(ValueError):
    """A "regex" condition's pattern that rules cannot run, with the reason.

    ``kind`` says why: ``"syntax"`` (not a regular expression at all),
    ``"unsupported"`` (a construct RE2 does not have: back-references,
    look-ahead and look-behind, atomic groups, possessive quantifiers...) or
    ``"word_boundary"`` (``\\b`` or ``\\B`` next to a letter RE2 does not count
    as part of a word, where it would not mean what it means in Python)."""

    def __init__(self, reason: str, kind: PatternFault = "syntax") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


# Rule patterns are written by admins, but the text they run on is written by
# customers, so they run on RE2 (google-re2): time linear in the text whatever
# the pattern, where Python's re backtracks for hours on ``(a+)+$`` against
# "aaaa…!". The price: no back-references, look-around, atomic groups or
# possessive quantifiers; such patterns are refused when saved.
#
# RE2's \w, \d, \s and \b know ASCII only; Python's know every script. Before
# compiling, \w \W \d \D \s \S (and \w \d \s inside brackets) are spelled out
# as the Unicode classes Python means, Python's \Z, \uXXXX and \UXXXXXXXX as
# RE2's \z and \x{...}. \b cannot be spelled out (RE2 has no look-around), so
# a \b or \B right next to a non-ASCII letter (``\bключ``, which would never
# match) is refused. Still different: \b next to \w or a class (``\b\w+\b``
# finds no Cyrillic word), and ``$`` matches only at the very end, not also
# before a final newline.
_CLASSES = {  # Python's meaning of the escape, as members of a bracket class
    "w": r"\p{L}\p{N}_",
    "d": r"\p{Nd}",
    "s": r"\t-\r\x1c-\x1f\x85\p{Z}",
}
_SURROGATES = re.compile("[\ud800-\udfff]")
_HEX_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})")


def _escape_in_re2(pattern: str, at: int, in_brackets: bool) -> tuple[str, int]:
    """The escape starting at ``pattern[at]`` (a backslash) in RE2's dialect,
    and how many characters of the pattern it took."""
    escaped = pattern[at + 1]
    members = _CLASSES.get(escaped.lower())
    if members and escaped.islower():
        return (members if in_brackets else f"[{members}]"), 2
    if members and not in_brackets:
        return f"[^{members}]", 2
    # \W \D \S inside brackets stay ASCII: rare, and not expressible there.
    if escaped == "Z" and not in_brackets:
        return r"\z", 2
    if hex_escape := _HEX_ESCAPE.match(pattern, at):
        return rf"\x{{{hex_escape[1] or hex_escape[2]}}}", hex_escape.end() - at
    if escaped == "Q":  # RE2's quoted literal text, up to \E: as it is
        end = pattern.find(r"\E", at + 2)
        end = len(pattern) if end < 0 else end + 2
        return pattern[at:end], end - at
    if escaped in "bB" and not in_brackets:
        around = pattern[at - 1 : at] + pattern[at + 2 : at + 3]
        if any(not c.isascii() and c.isalnum() for c in around):
            raise PatternError(rf"\{escaped} next to “{around}”", kind="word_boundary")
    return pattern[at : at + 2], 2


def _to_re2(pattern: str) -> str:
    """A Python-style pattern in RE2's dialect, with Python's Unicode meaning
    of the class escapes. Anything else is left for RE2 to accept or refuse."""
    out: list[str] = []
    in_brackets = False
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\" and i + 1 < n:
            text, taken = _escape_in_re2(pattern, i, in_brackets)
            out.append(text)
            i += taken
            continue
        out.append(char)
        i += 1
        if in_brackets:
            if char == "]":
                in_brackets = False
            elif char == "[" and pattern.startswith(":", i):  # [:alpha:]
                end = pattern.find(":]", i)
                if end >= 0:
                    out.append(pattern[i : end + 2])
                    i = end + 2
        elif char == "[":
            in_brackets = True
            for literal in "^]":  # a ] first in the brackets is itself
                if pattern.startswith(literal, i):
                    out.append(literal)
                    i += 1
    return "".join(out)


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> re2._Regexp[str]:
    """A condition's pattern compiled by RE2, case-insensitive, ready to search
    anywhere in a text. Raises PatternError saying why it cannot be. Cached:
    every rule runs on every ticket and every customer's reply."""
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # RE2 would print every refused pattern to stderr
    try:
        return re2.compile(_to_re2(pattern), options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else ""
        if isinstance(reason, bytes):
            reason = reason.decode(errors="replace")
        try:
            re.compile(pattern)  # only to tell a typo from a construct RE2 lacks
        except re.error:
            raise PatternError(str(reason)) from exc
        raise PatternError(str(reason), kind="unsupported") from exc


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
            pattern = compile_pattern(wanted)
            try:
                found = pattern.search(text)
            except UnicodeEncodeError:  # lone surrogates (JSON can carry them); RE2 reads UTF-8
                found = pattern.search(_SURROGATES.sub("\ufffd", text))
            passed = found is not None
        else:
            raise ValueError(f"unknown operator “{op}”")
    except ValueError as exc:  # PatternError is one
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

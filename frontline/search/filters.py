"""Filters in a query (``status:open``, ``assignee:me``, ``created:>2026-01-01``,
``updated:<7d``...): what they mean as conditions on tickets, and a clear
message for a value that means nothing."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import User
from frontline.tickets.models import WAITING_STATUSES, Channel, Priority, Status

RELATIVE = re.compile(r"(\d{1,4})([hdw])")
UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def ticket_conditions(filters: tuple[tuple[str, str], ...], *, user: User) -> tuple[Q, list[str]]:
    """The filters as one condition on tickets, and a message for each value that
    cannot be read (then the search does not run)."""
    condition = Q()
    errors: list[str] = []
    for key, value in filters:
        try:
            condition &= _condition(key, value, user)
        except ValueError as exc:
            errors.append(str(exc))
    return condition, errors


def _condition(key: str, value: str, user: User) -> Q:
    v = value.strip().lower()
    if not v:
        raise ValueError(_("%(key)s: needs a value.") % {"key": key})
    match key:
        case "status":
            if v == "open":
                return Q(is_open=True)
            if v == "waiting":
                return Q(status__in=WAITING_STATUSES)
            return Q(status=_choice(key, v, Status.values))
        case "priority":
            names = {label.lower(): number for number, label in _english(Priority)}
            return Q(priority=names[_choice(key, v, list(names))])
        case "channel":
            return Q(channel=_choice(key, v, Channel.values))
        case "assignee":
            if v == "me":
                return Q(assignee=user)
            if v == "none":
                return Q(assignee__isnull=True)
            return Q(assignee__username__iexact=value)
        case "team":
            return Q(team__isnull=True) if v == "none" else Q(team__name__iexact=value)
        case "org":
            return Q(organisation__name__iexact=value)
        case "category":
            return Q(category__name__iexact=value)
        case "tag":
            return Q(tags__name=v)
        case "requester":
            field = "email" if "@" in v else "username"
            return Q(**{f"requester__{field}__iexact": value})
        case "created" | "updated":
            return _when(f"{key}_at", value)
    raise ValueError(_("%(key)s: unknown filter.") % {"key": key})


def _choice(key: str, value: str, allowed: list[Any]) -> str:
    if value not in allowed:
        raise ValueError(
            _("%(key)s: “%(value)s” is not one of %(allowed)s.")
            % {"key": key, "value": value, "allowed": ", ".join(map(str, allowed))}
        )
    return value


def _english(choices: Any) -> list[tuple[Any, str]]:
    # Filter words are typed in English in every language, like the keys.
    return [(member.value, member.name) for member in choices]


def _when(field: str, value: str) -> Q:
    """``>2026-01-01`` after that day, ``<2026-01-01`` before it, ``2026-01-01``
    on it; ``<7d`` less than 7 days ago, ``>7d`` more (also ``h`` and ``w``)."""
    op, rest = (value[0], value[1:]) if value[:1] in "<>" else ("", value)
    now = timezone.now()
    if found := RELATIVE.fullmatch(rest.lower()):
        ago = now - datetime.timedelta(**{UNITS[found.group(2)]: int(found.group(1))})
        if op == "<":
            return Q(**{f"{field}__gte": ago})
        if op == ">":
            return Q(**{f"{field}__lt": ago})
    elif span := _day(rest):
        start, end = span
        if op == ">":
            return Q(**{f"{field}__gte": end})
        if op == "<":
            return Q(**{f"{field}__lt": start})
        return Q(**{f"{field}__gte": start, f"{field}__lt": end})
    raise ValueError(
        _("%(key)s: “%(value)s” is not a date; try >2026-01-01, <2026-01-01 or <7d.")
        % {"key": field.removesuffix("_at"), "value": value}
    )


def _day(text: str) -> tuple[datetime.datetime, datetime.datetime] | None:
    """When the day ``text`` (``2026-01-01``) starts and ends; None if it is no
    date, or a day at the calendar's end (9999-12-31 has no next day)."""
    try:
        start = timezone.make_aware(
            datetime.datetime.combine(datetime.date.fromisoformat(text), datetime.time())
        )
        return start, start + datetime.timedelta(days=1)
    except (ValueError, OverflowError):
        return None

"""@mentions in internal notes, as the desk checks and offers them.

The mail reaction (``frontline.mail.outbound.mentioned_staff``) tells the
colleagues named who may see the ticket; this module says, on the page, who
was not told and why, and suggests names while the agent types. Both read
names with the same pattern and decide visibility through
``frontline.tickets.access``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from frontline.accounts.models import User
from frontline.mail.outbound import MENTION
from frontline.tickets.access import staff_who_may_see
from frontline.tickets.models import Ticket

SUGGESTIONS = 8


def mentioned_names(body: str) -> list[str]:
    """The ``@names`` in ``body``, in order, each once (case-insensitively)."""
    seen: dict[str, str] = {}
    for name in MENTION.findall(body):
        name = name.rstrip(".")
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def unreachable_mentions(ticket: Ticket, body: str) -> list[tuple[str, User | None]]:
    """Each ``@name`` in ``body`` that reaches nobody, with the colleague of
    that name (``None``: there is none) who may not see ``ticket``."""
    names = mentioned_names(body)
    if not names:
        return []
    query = Q()
    for name in names:
        query |= Q(username__iexact=name)
    staff = {u.username.lower(): u for u in User.objects.agents().filter(query)}
    may_see = {u.pk for u in staff_who_may_see(ticket, staff.values())}
    found: list[tuple[str, User | None]] = []
    for name in names:
        person = staff.get(name.lower())
        if person is None or person.pk not in may_see:
            found.append((person.username if person else name, person))
    return found


def mention_warnings(ticket: Ticket, body: str) -> list[str]:
    """One sentence for each ``@name`` in a saved note that reached nobody: no
    colleague by that name, or a colleague who may not see ``ticket``."""
    warnings = []
    for name, person in unreachable_mentions(ticket, body):
        if person is None:
            warnings.append(
                _("No colleague is called @%(name)s: nobody was told.") % {"name": name}
            )
        else:
            warnings.append(
                _("%(person)s (@%(name)s) cannot see this ticket, so was not told.")
                % {"person": person.display_name, "name": name}
            )
    return warnings


@dataclass(frozen=True)
class MentionCheck:
    """What the agent reads before a note with unreachable ``@names`` is saved:
    one sentence each, and the names that "Save the note anyway" confirms."""

    warnings: list[str]
    names: str


def check_mentions(ticket: Ticket, body: str, confirmed: str = "") -> MentionCheck | None:
    """The question to ask before saving a note whose ``@names`` reach nobody,
    or ``None`` when every name reaches someone or the agent has already
    confirmed these very names (``confirmed``: the names, space-separated, that
    the "anyway" button sent). A name added since asks again."""
    unreachable = unreachable_mentions(ticket, body)
    agreed = {name.lower() for name in confirmed.split()}
    if all(name.lower() in agreed for name, _person in unreachable):
        return None
    warnings = []
    for name, person in unreachable:
        if person is None:
            warnings.append(
                _("No colleague is called @%(name)s: nobody will be told.") % {"name": name}
            )
        else:
            warnings.append(
                _("%(person)s (@%(name)s) cannot see this ticket and will not be told.")
                % {"person": person.display_name, "name": name}
            )
    return MentionCheck(warnings, " ".join(name for name, _person in unreachable))


def mention_suggestions(ticket: Ticket, prefix: str) -> list[User]:
    """Colleagues who may see ``ticket`` whose username or name starts with
    ``prefix``, for the note box's autocomplete."""
    prefix = prefix.strip().lstrip("@")[:150]
    if not prefix:
        return []
    candidates = (
        User.objects.agents()
        .filter(
            Q(username__istartswith=prefix)
            | Q(first_name__istartswith=prefix)
            | Q(last_name__istartswith=prefix)
        )
        .order_by("username")[: SUGGESTIONS * 2]
    )
    found: list[User] = []
    for person in candidates:  # one visibility check each, stopping at enough
        found += staff_who_may_see(ticket, [person])
        if len(found) == SUGGESTIONS:
            break
    return found

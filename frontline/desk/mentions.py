"""@mentions in internal notes, as the desk checks and offers them.

The mail reaction (``frontline.mail.outbound.mentioned_staff``) tells the
colleagues named who may see the ticket; this module says, on the page, who
was not told and why, and suggests names while the agent types. Both read
names with the same pattern and decide visibility through
``frontline.tickets.access``.
"""

from __future__ import annotations

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


def mention_warnings(ticket: Ticket, body: str) -> list[str]:
    """One sentence for each ``@name`` in ``body`` that reaches nobody: no
    colleague by that name, or a colleague who may not see ``ticket``."""
    names = mentioned_names(body)
    if not names:
        return []
    query = Q()
    for name in names:
        query |= Q(username__iexact=name)
    staff = {u.username.lower(): u for u in User.objects.agents().filter(query)}
    may_see = {u.pk for u in staff_who_may_see(ticket, staff.values())}
    warnings = []
    for name in names:
        person = staff.get(name.lower())
        if person is None:
            warnings.append(
                _("No colleague is called @%(name)s: nobody was told.") % {"name": name}
            )
        elif person.pk not in may_see:
            warnings.append(
                _("%(person)s (@%(name)s) cannot see this ticket, so was not told.")
                % {"person": person.display_name, "name": person.username}
            )
    return warnings


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

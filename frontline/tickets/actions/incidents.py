"""Mass incidents: one known problem (an outage) and the many tickets it causes.

An incident is a ticket marked ``is_incident``; the tickets of the customers it
hits are attached to it as its children (a CHILD link, so one incident each).
A public update on the incident is a public reply on every attached ticket,
each in its customer's language where the agent wrote one, and so reaches them
the way each ticket speaks to its customer (mail from its own reply address,
the portal). Resolving the incident resolves them (``tickets.reactions``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from frontline.accounts.models import User

from ..access import unseen_among, visible_tickets
from ..events import record_event
from ..models import Channel, EventKind, LinkKind, Message, Status, Ticket, TicketQuerySet
from ._base import _require_staff, _set_status, _touch, lock_ticket
from .changes import change_status
from .messages import _add_public_message
from .relations import _may_relate, link_tickets

# Most tickets attached in one go (a page of search results is fewer).
ATTACH_AT_ONCE = 200


def incident_children(incident: Ticket) -> TicketQuerySet:
    """The tickets attached to ``incident``, whoever may see them (callers that
    show them filter through ``tickets/access.py``)."""
    return Ticket.objects.filter(links_out__target=incident, links_out__kind=LinkKind.CHILD)


def mark_incident(ticket: Ticket, *, by: User, on: bool = True) -> Ticket:
    """Mark ``ticket`` as an incident (``on``) or no longer one; an INCIDENT
    event. Unmarking is refused while tickets are attached (``ValidationError``)."""
    _require_staff(by)
    _may_relate(by, ticket)
    now = timezone.now()
    with transaction.atomic():
        ticket = lock_ticket(ticket.pk)
        if ticket.is_incident == on:
            return ticket
        if on and ticket.merged_into_id is not None:
            raise ValidationError(_("A merged ticket cannot be an incident."))
        if not on and incident_children(ticket).exists():
            raise ValidationError(_("Tickets are attached to this incident; detach them first."))
        ticket.is_incident = on
        record_event(ticket, EventKind.INCIDENT, by=by, at=now, on=on)
        _touch(ticket, now, "is_incident")
    return ticket


def attach_to_incident(incident: Ticket, *, tickets: Sequence[Ticket], by: User) -> int:
    """Attach ``tickets`` to ``incident`` as its children (a LINKED event on
    each end, as ``link_tickets`` writes). All or none: ``ValidationError``
    naming the ticket for one that cannot be attached (the incident itself,
    another incident, a merged ticket, one with another parent);
    ``PermissionDenied`` for one ``by`` may not see. Returns how many were new."""
    _require_staff(by)
    if not incident.is_incident:
        raise ValidationError(_("Mark the ticket as an incident first."))
    if len(tickets) > ATTACH_AT_ONCE:
        raise ValidationError(
            _("Attach at most %(count)s tickets at once.") % {"count": ATTACH_AT_ONCE}
        )
    attached = 0
    with transaction.atomic():
        already = set(incident_children(incident).values_list("pk", flat=True))
        for ticket in tickets:
            if ticket.pk in already:
                continue
            if ticket.pk == incident.pk or ticket.is_incident:
                raise ValidationError(
                    _("%(ref)s is an incident itself.") % {"ref": ticket.reference}
                )
            if ticket.merged_into_id is not None:
                raise ValidationError(_("%(ref)s is merged.") % {"ref": ticket.reference})
            try:
                link_tickets(ticket, to=incident, kind=LinkKind.CHILD, by=by)
            except ValidationError as exc:
                raise ValidationError(
                    f"{ticket.reference}: {' '.join(exc.messages)}", code="attach"
                ) from exc
            already.add(ticket.pk)
            attached += 1
    return attached


def _reached(incident: Ticket) -> TicketQuerySet:
    """The attached tickets an update reaches: all but the closed ones (their
    customers confirmed the end) and those merged away (their survivor is
    attached or not on its own)."""
    return (
        incident_children(incident)
        .exclude(status=Status.CLOSED)
        .filter(merged_into__isnull=True)
        .select_related("requester")
        .order_by("pk")
    )


def unseen_reached(incident: Ticket, *, by: User) -> int:
    """How many of the tickets an update on ``incident`` would reach ``by`` may
    not see (attached by someone else, or moved to another team since): while
    there is one, ``by`` may not post an update. One query."""
    return unseen_among(by, _reached(incident)).count()


def _in_language(texts: Mapping[str, str], body: str, language: str) -> str:
    text = texts.get((language or "").lower(), "")
    return text if text.strip() else body


def post_incident_update(
    incident: Ticket,
    *,
    body: str,
    by: User,
    translations: Mapping[str, str] | None = None,
    resolve: bool = False,
) -> int:
    """A public update on ``incident`` that reaches every attached ticket's
    customers: a public reply on the incident, then one on each attached
    ticket (not closed, not merged), in ``translations[<the requester's
    language>]`` when given, else ``body``. Only this text goes: nothing else
    of the incident (never its internal notes). The attached tickets keep
    their assignee (none is taken on by the update). With ``resolve`` the
    incident and the attached tickets are resolved as well. An
    INCIDENT_UPDATE event on the incident; returns how many tickets were
    reached. One transaction: all or none.

    An update speaks on every attached ticket, so only someone who may see
    each of them posts it: ``PermissionDenied`` (saying how many they may not
    see) while one is out of ``by``'s sight. Reaching only the visible ones
    would leave customers of the incident silently uninformed."""
    _require_staff(by)
    _may_relate(by, incident)
    if not incident.is_incident:
        raise ValidationError(_("This ticket is not an incident."))
    texts = {k.lower(): v for k, v in (translations or {}).items()}
    now = timezone.now()
    with transaction.atomic():
        unseen = unseen_reached(incident, by=by)
        if unseen:
            raise PermissionDenied(unseen_message(unseen))
        message: Message = _add_public_message(
            incident, body=body, by=by, files=(), channel=Channel.WEB, take_on=False
        )
        reached = 0
        for child in _reached(incident):
            text = _in_language(texts, body, child.requester.language)
            _add_public_message(
                child, body=text, by=by, files=(), channel=Channel.WEB, take_on=False
            )
            if resolve and child.status != Status.RESOLVED:
                change_status(child, status=Status.RESOLVED, by=by)
            reached += 1
        record_event(
            incident,
            EventKind.INCIDENT_UPDATE,
            by=by,
            at=now,
            message=message.pk,
            reached=reached,
            resolve=resolve,
        )
        if resolve and incident.status != Status.RESOLVED:
            change_status(incident, status=Status.RESOLVED, by=by)
    return reached


def unseen_message(count: int) -> str:
    """Why an update is refused to someone who may not see ``count`` of the
    tickets it would reach (the action's error, and the incident's page)."""
    return ngettext(
        "%(count)s attached ticket is in a queue you may not see, and an update "
        "must reach every affected customer: ask a supervisor, or someone who "
        "sees every attached ticket, to post it.",
        "%(count)s attached tickets are in queues you may not see, and an update "
        "must reach every affected customer: ask a supervisor, or someone who "
        "sees every attached ticket, to post it.",
        count,
    ) % {"count": count}


def resolve_attached(incident: Ticket, *, by: User | None) -> int:
    """The incident is resolved: every attached ticket still open is resolved
    too, each with a public note in its customer's language saying so (the
    reaction to the incident's resolution). The note and the resolution are
    ``by``'s on the tickets ``by`` may see, Frontline's (no author) on the
    others: resolving an incident is not a way to write on tickets out of
    one's sight. Safe to run twice: the resolved ones are left alone. Returns
    how many were resolved."""
    resolved = 0
    children = _reached(incident).filter(is_open=True)
    seen = (
        set(visible_tickets(by).filter(pk__in=children.values("pk")).values_list("pk", flat=True))
        if by is not None
        else set()
    )
    for child in children:
        author = by if child.pk in seen else None
        with translation.override(child.requester.language or "en"):
            note = _(
                "The incident %(ref)s that this request is part of is resolved. "
                "If anything still does not work for you, simply reply."
            ) % {"ref": incident.reference}
        with transaction.atomic():
            _add_public_message(
                child, body=note, by=author, files=(), channel=Channel.WEB, take_on=False
            )
            child = lock_ticket(child.pk)
            if child.is_open:
                now = timezone.now()
                _touch(child, now, *_set_status(child, Status.RESOLVED, author, now))
                resolved += 1
    return resolved

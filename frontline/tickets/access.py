"""The one place that decides who may see a ticket or an attachment.

Views fetch objects only through these functions. Each raises ``Http404`` for
what the user may not see, so a stranger cannot even learn that it exists.
"""

from __future__ import annotations

import datetime
import functools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from frontline.accounts.models import Organisation, Role, User
from frontline.lib.prepared import Prepared

from .models import (
    LINK_LABELS_FROM_TARGET,
    UNDO_MERGE_WITHIN,
    Attachment,
    LinkKind,
    Message,
    MessageQuerySet,
    Ticket,
    TicketLink,
    TicketParticipant,
    TicketQuerySet,
    requester_branches,
)


def visible_tickets(user: User) -> TicketQuerySet:
    """Tickets ``user`` may see, in the desk for staff and on the portal for customers."""
    if not user.is_authenticated or not user.is_active:
        return Ticket.objects.none()
    if user.is_staff_member:
        return Ticket.objects.for_agent(user)
    return Ticket.objects.for_requester(user)


def visible_tickets_by_branch(user: User) -> tuple[TicketQuerySet, tuple[Q, ...]]:
    """:func:`visible_tickets`, and for a customer who sees tickets by more than
    one rule (their own, their organisation's, those they take part in) those
    rules apart, as conditions whose union is the set: a page of a list reads
    each as one bounded walk of its own index, then merges them. Staff: no
    branches (their sets split otherwise, by open and closed)."""
    if not user.is_authenticated or not user.is_active or user.is_staff_member:
        return visible_tickets(user), ()
    branches = requester_branches(user)
    return Ticket.objects.filter(functools.reduce(operator.or_, branches)), branches


def sees_internal(user: User) -> bool:
    """Whether ``user`` may see internal notes, call logs and their files: staff only."""
    return bool(user.is_authenticated and user.is_active and user.is_staff_member)


def visible_messages(user: User, *, of: Iterable[int] | None = None) -> MessageQuerySet:
    """Messages ``user`` may read: those of tickets they may see (among ticket ids
    ``of``, if given), and for customers never an internal note or call log."""
    messages = Message.objects.filter(ticket__in=_visible_among(user, of))
    return messages if sees_internal(user) else messages.public()


def visible_attachments(user: User, *, of: Iterable[int] | None = None) -> QuerySet[Attachment]:
    """Files ``user`` may open: those of tickets they may see (among ticket ids
    ``of``, if given), and for customers never a file of an internal note."""
    files = Attachment.objects.filter(ticket__in=_visible_among(user, of))
    return files if sees_internal(user) else files.filter(is_internal=False)


def _visible_among(user: User, ids: Iterable[int] | None) -> TicketQuerySet:
    # Narrowed to known ids the subquery stays small, even for a supervisor.
    tickets = visible_tickets(user)
    return tickets if ids is None else tickets.filter(pk__in=list(ids))


def can_see_ticket(user: User, ticket: Ticket) -> bool:
    """Whether ``user`` may see ``ticket`` (in the desk or on the portal); one
    indexed query. For a yes/no question, where a 404 would be wrong (whom to
    mail, where to send someone after a change). No query for an active
    customer's own request (the first rule of ``for_requester``): the mail
    import asks it of every sender who copies someone."""
    if (
        ticket.requester_id is not None
        and ticket.requester_id == user.pk
        and user.is_authenticated
        and user.is_active
        and not user.is_staff_member
    ):
        return True
    return visible_tickets(user).filter(pk=ticket.pk).exists()


def unseen_among(user: User, tickets: TicketQuerySet) -> TicketQuerySet:
    """Those of ``tickets`` that ``user`` may not see (each checked by one
    indexed ``EXISTS``): what an act on many tickets at once must not reach,
    such as an incident's update."""
    return tickets.exclude(Exists(visible_tickets(user).filter(pk=OuterRef("pk"))))


def requester_tickets(user: User, *, organisation: bool) -> TicketQuerySet:
    """The portal's list: the customer's own requests and those they take part
    in, or with ``organisation`` (for a manager) their organisation's, the
    manager's own among them (one index range: every rule of ``for_requester``
    narrowed to the organisation is a part of it, so it is read alone, in the
    list's order, with no look-up of the tickets they take part in)."""
    if not user.is_authenticated or not user.is_active or user.is_staff_member:
        return Ticket.objects.none()
    if organisation and user.is_org_manager and user.organisation_id:
        return Ticket.objects.filter(organisation_id=user.organisation_id)
    return Ticket.objects.for_requester(user, with_organisation=False)


def may_write_by_mail(user: User, ticket: Ticket, *, via_token: bool = False) -> bool:
    """Whether mail from ``user`` may add to ``ticket``: its requester, a
    participant (copied on the ticket's mail, or added by an agent) or the
    requester's organisation's verified manager; staff only through the ticket's
    reply token and only on a ticket they may see, since a From header is easy
    to forge."""
    if user.is_staff_member:
        return via_token and can_see_ticket(user, ticket)
    if not user.is_active:
        return False
    if user.pk == ticket.requester_id:
        return True
    if TicketParticipant.objects.filter(ticket=ticket, user=user).exists():
        return True
    return bool(
        user.is_org_manager
        and user.organisation_id
        and user.organisation_id == ticket.organisation_id
        and user.email_verified_at
    )


def staff_who_may_see(ticket: Ticket, users: Iterable[User]) -> list[User]:
    """Those of ``users`` who are active staff and may see ``ticket`` (whom a
    note about it may be mailed to)."""
    return [u for u in users if u.is_active and u.is_staff_member and can_see_ticket(u, ticket)]


def access_ticket_for_requester(user: User, number: int) -> Ticket:
    """A ticket as its requester, a participant, or the requester's organisation's
    manager sees it on the portal."""
    if not user.is_authenticated or not user.is_active:
        raise Http404
    ticket = get_object_or_404(Ticket.objects.for_requester(user).with_list_relations(), pk=number)
    ticket._fetched_for = user.pk  # type: ignore[attr-defined]
    return ticket


def fetched_for(user: User, ticket: Ticket) -> bool:
    """Whether ``ticket`` is the object :func:`access_ticket_for_requester` or
    :func:`access_ticket_for_agent` just handed out for ``user`` (in this
    request: it sees it), so that what shows a part of it on the same page need
    not ask again. Only for reading: after a change to the ticket ask
    :func:`can_see_ticket`."""
    return getattr(ticket, "_fetched_for", None) == user.pk


class AgentTickets[R]:
    """A Prepared query (lib.prepared) over the tickets a staff member sees, in
    each shape of :meth:`TicketQuerySet.for_agent`: compiled once per shape.
    ``build(tickets, p)`` narrows the visible tickets with placeholders ``p``."""

    def __init__(self, build: Callable[[TicketQuerySet, Any], QuerySet[Any, R]]) -> None:
        self._all = Prepared(lambda p: build(Ticket.objects.all(), p))
        self._teams = Prepared(lambda p: build(Ticket.objects.for_agent_in(p.user, p.teams), p))
        self._alone = Prepared(lambda p: build(Ticket.objects.for_agent_in(p.user, ()), p))

    def __call__(self, user: User, **values: Any) -> list[R]:
        if not user.is_authenticated or not user.is_active or not user.is_staff_member:
            return []
        if user.sees_all_tickets:
            return self._all(**values)
        if teams := user.team_ids:
            return self._teams(user=user.pk, teams=teams, **values)
        return self._alone(user=user.pk, **values)


# Every desk page of a ticket starts here.
_TICKET_FOR_AGENT = AgentTickets(
    lambda tickets, p: (
        tickets.with_list_relations().select_related("handoff_by").filter(pk=p.number)
    )
)


def access_ticket_for_agent(user: User, number: int) -> Ticket:
    """A ticket as a staff member sees it in the desk: supervisors see all, agents
    their teams', their own and the not yet routed (``TicketQuerySet.for_agent``)."""
    if not 0 < number < 2**63:  # no ticket has it, and the driver cannot pass it
        raise Http404
    found = _TICKET_FOR_AGENT(user, number=number)
    if not found:
        raise Http404
    ticket = found[0]
    ticket._fetched_for = user.pk  # type: ignore[attr-defined]
    return ticket


_OTHERS_OF_REQUESTER = AgentTickets(
    lambda tickets, p: (
        tickets.filter(requester_id=p.requester)
        .exclude(pk=p.ticket)
        .order_by("-updated_at")
        .only("id", "subject", "status", "updated_at")[:5]
    )
)


def requester_history_for_agent(user: User, ticket: Ticket) -> list[Ticket]:
    """The requester's five latest other tickets that ``user`` sees (the desk's
    ticket page)."""
    return _OTHERS_OF_REQUESTER(user, requester=ticket.requester_id, ticket=ticket.pk)


def access_followed_ticket(user: User, number: int) -> Ticket:
    """A ticket a staff member follows but may no longer see in the desk (it was
    handed to a team they are not in): theirs to read, not to change. Staff who
    may see it get it from :func:`access_ticket_for_agent` instead."""
    if not user.is_authenticated or not user.is_active or not user.is_staff_member:
        raise Http404
    return get_object_or_404(
        Ticket.objects.filter(followers__user=user)
        .with_list_relations()
        .select_related("handoff_by"),
        pk=number,
    )


def staff_following(ticket: Ticket) -> list[User]:
    """The active staff who follow ``ticket`` (at most 50), whether or not it is
    still in their sight: a follower keeps hearing of it after a handoff, and
    reads it through :func:`access_followed_ticket`."""
    following = User.objects.filter(followed__ticket=ticket, is_active=True).order_by("pk")[:50]
    return [u for u in following if u.is_staff_member]


def access_ticket(user: User, number: int) -> Ticket:
    """A ticket as ``user`` sees it on their side: in the desk for staff, on the
    portal for customers (for a caller that serves both, e.g. the API)."""
    if user.is_authenticated and user.is_staff_member:
        return access_ticket_for_agent(user, number)
    return access_ticket_for_requester(user, number)


def access_message(user: User, message_id: int) -> Message:
    """A message, only if its ticket is visible to ``user``; internal notes and
    call logs only to staff."""
    message = get_object_or_404(Message.objects.select_related("ticket"), pk=message_id)
    if not visible_tickets(user).filter(pk=message.ticket_id).exists():
        raise Http404
    if message.is_internal and not sees_internal(user):
        raise Http404
    return message


def access_attachment(user: User, attachment_id: int) -> Attachment:
    """An attachment, only if its ticket is visible to ``user``; files of internal
    notes only to staff."""
    attachment = get_object_or_404(Attachment.objects.select_related("ticket"), pk=attachment_id)
    if not visible_tickets(user).filter(pk=attachment.ticket_id).exists():
        raise Http404
    if attachment.is_internal and not sees_internal(user):
        raise Http404
    return attachment


class LinkExpired(Exception):
    """A signed link that was genuine but is too old."""


def _answers_signer(ticket: Ticket) -> signing.TimestampSigner:
    # The ticket's own secret reply token in the salt: a link is good for one
    # ticket only, and changing the token would retire its links.
    return signing.TimestampSigner(salt=f"frontline.answers.{ticket.reply_token or ''}")


def answers_token(ticket: Ticket) -> str:
    """The signed token of the link that lets the requester answer the missing
    questions of ``ticket`` without signing in (``<number>:<time>:<signature>``)."""
    return _answers_signer(ticket).sign(str(ticket.pk))


def access_ticket_by_answers_token(token: str) -> Ticket:
    """The ticket a signed answers link is for; ``Http404`` for a forged or
    mangled token, :class:`LinkExpired` for one older than ``ANSWERS_LINK_DAYS``.
    The link proves only that its holder got the acknowledgement: it lets them
    answer the questions, nothing else."""
    number, _sep, _rest = token.partition(":")
    if not number.isdigit():
        raise Http404
    ticket = Ticket.objects.select_related("requester", "category").filter(pk=int(number)).first()
    if ticket is None:
        raise Http404
    days = settings.FRONTLINE["ANSWERS_LINK_DAYS"]
    try:
        value = _answers_signer(ticket).unsign(token, max_age=datetime.timedelta(days=days))
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise Http404 from None
    if value != str(ticket.pk):
        raise Http404
    return ticket


@dataclass(frozen=True)
class ShownLink:
    """A link as one of its tickets shows it: how it reads from this side, and the other end."""

    label: str
    other: Ticket
    kind: str
    # For a merge link shown on the survivor: the merged ticket, while the
    # merge can still be undone.
    undoable: bool = False


# On every desk ticket page (most have no link): compiled once (lib.prepared).
_LINKS_OF = Prepared(
    lambda p: TicketLink.objects.filter(Q(source_id=p.ticket) | Q(target_id=p.ticket)).order_by(
        "created_at"
    )[:100]
)


def visible_links(user: User, ticket: Ticket) -> list[ShownLink]:
    """The links of ``ticket`` whose other end ``user`` may see (staff only: a
    link may point to another customer's ticket). One query; two when it has links."""
    if not user.is_authenticated or not user.is_staff_member:
        return []
    links = _LINKS_OF(ticket=ticket.pk)
    if not links:
        return []
    others = {link.target_id if link.source_id == ticket.pk else link.source_id for link in links}
    seen = {
        t.pk: t
        for t in visible_tickets(user)
        .filter(pk__in=others)
        .only("id", "subject", "status", "merged_into")
    }
    shown = []
    for link in links:
        kind = LinkKind(link.kind)
        if link.source_id == ticket.pk:
            other, label = link.target_id, kind.label
        else:
            other, label = link.source_id, LINK_LABELS_FROM_TARGET[kind]
        undoable = (
            kind == LinkKind.MERGED
            and link.target_id == ticket.pk
            and timezone.now() - link.created_at < UNDO_MERGE_WITHIN
        )
        if other in seen:
            shown.append(ShownLink(str(label), seen[other], kind, undoable))
    return shown


# Contacts and organisations in the desk. Who may see a customer follows from
# the tickets: supervisors and admins see every customer; an agent sees a
# contact who asked or takes part in a ticket the agent may see, and an
# organisation with such a ticket (or every customer, with the setting
# AGENTS_SEE_ALL_CUSTOMERS). Customers never see these pages.


def _sees_all_customers(user: User) -> bool:
    return user.sees_all_tickets or settings.FRONTLINE["AGENTS_SEE_ALL_CUSTOMERS"]


def access_contact_for_staff(user: User, contact_id: int) -> User:
    """A customer's contact page for staff; ``Http404`` for customers, for
    staff accounts and for a contact with no ticket the agent may see."""
    if not user.is_authenticated or not user.is_active or not user.is_staff_member:
        raise Http404
    contact = get_object_or_404(
        User.objects.select_related("organisation"), pk=contact_id, role=Role.CUSTOMER
    )
    if _sees_all_customers(user):
        return contact
    tickets = Ticket.objects.for_agent(user)
    if tickets.filter(requester=contact).exists():
        return contact
    taking_part = TicketParticipant.objects.filter(user=contact).values("ticket_id")
    if tickets.filter(pk__in=taking_part).exists():
        return contact
    raise Http404


def access_organisation_for_staff(user: User, organisation_id: int) -> Organisation:
    """An organisation's page for staff; ``Http404`` for customers and for an
    organisation with no ticket the agent may see."""
    if not user.is_authenticated or not user.is_active or not user.is_staff_member:
        raise Http404
    organisation = get_object_or_404(Organisation, pk=organisation_id)
    if _sees_all_customers(user):
        return organisation
    if Ticket.objects.for_agent(user).filter(organisation=organisation).exists():
        return organisation
    raise Http404


def visible_contacts_for_staff(user: User) -> QuerySet[User]:
    """The contacts (customers) whose page ``user`` may open, by the rule of
    :func:`access_contact_for_staff`: every customer for supervisors and admins
    (and agents with ``AGENTS_SEE_ALL_CUSTOMERS``), for other agents those who
    asked or take part in a ticket the agent may see; none for customers.
    Each customer is checked by one indexed ``EXISTS``, so a page in id order
    stops after its rows."""
    if not user.is_authenticated or not user.is_active or not user.is_staff_member:
        return User.objects.none()
    customers = User.objects.filter(role=Role.CUSTOMER)
    if _sees_all_customers(user):
        return customers
    tickets = Ticket.objects.for_agent(user)
    asked = tickets.filter(requester=OuterRef("pk"))
    # From the participant's index to the ticket, not the agent's whole set of
    # tickets as a subquery for each customer.
    taking_part = tickets.filter(participations__user=OuterRef("pk"))
    return customers.filter(Exists(asked) | Exists(taking_part))


def visible_organisations_for_staff(user: User) -> QuerySet[Organisation]:
    """The organisations whose page ``user`` may open, by the rule of
    :func:`access_organisation_for_staff`; none for customers."""
    if not user.is_authenticated or not user.is_active or not user.is_staff_member:
        return Organisation.objects.none()
    if _sees_all_customers(user):
        return Organisation.objects.all()
    return Organisation.objects.filter(
        Exists(Ticket.objects.for_agent(user).filter(organisation=OuterRef("pk")))
    )

"""Knowledge acts: reply templates chosen and filled in for a ticket."""

from __future__ import annotations

from frontline.accounts.models import User
from frontline.tickets import actions as ticket_actions
from frontline.tickets.models import Message, Ticket

from .models import ReplyTemplate
from .render import render, values_for


def template_named(name: str, *, language: str = "") -> ReplyTemplate | None:
    """The active template of that name in ``language``, else the one for any language."""
    return (
        ReplyTemplate.objects.filter(name=name, is_active=True, language__in=[language, ""])
        .order_by("-language")
        .first()
    )


def filled_in(template: ReplyTemplate, ticket: Ticket, *, agent: User | None) -> str:
    return render(template.body, values_for(ticket, agent=agent))


def send_template_reply(ticket: Ticket, *, name: str) -> Message | None:
    """A public reply from the system (``by=None``) with the named template, in the
    customer's language when there is one. None when no such active template.

    A system reply stops no SLA clock (see ``add_reply``); outbound mail sends
    it like any public reply.
    """
    template = template_named(name, language=ticket.requester.language)
    if template is None:
        return None
    body = filled_in(template, ticket, agent=None)
    return ticket_actions.add_reply(ticket, body=body, by=None)

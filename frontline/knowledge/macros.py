"""Macros: a reply template that also changes the ticket, in one step.

``macro_steps`` is the preview (what applying would do to this ticket now,
each change that would change something); ``apply_macro`` does exactly those
steps, through the ticket actions, in one transaction, after writing a
``MACRO`` event that names the template and its steps (the audit line in the
timeline; each step then writes its own event as usual). The reply text is
never sent as it stands: the agent reads and edits it in the preview, and an
empty reply sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from frontline.accounts.models import User
from frontline.tickets import actions as ticket_actions
from frontline.tickets.events import record_event
from frontline.tickets.models import EventKind, Priority, Status, Ticket

from .actions import count_template_use
from .models import ReplyTemplate
from .render import render, values_for


@dataclass(frozen=True)
class Step:
    kind: str  # status, priority, tags, team, note, reply
    text: str  # what it does, in words


def macro_steps(template: ReplyTemplate, ticket: Ticket, *, agent: User) -> list[Step]:
    """What applying ``template`` to ``ticket`` would change, in the order it is done.
    Changes to what the ticket already is are left out. No query beyond the
    ticket's tags and team (when the macro touches them)."""
    steps = []
    if template.note.strip():
        steps.append(Step("note", _("Add an internal note")))
    if template.set_priority and template.set_priority != ticket.priority:
        steps.append(
            Step(
                "priority",
                _("Priority: %(new)s") % {"new": Priority(template.set_priority).label},
            )
        )
    new_tags = _new_tags(template, ticket)
    if new_tags:
        steps.append(Step("tags", _("Add tags: %(tags)s") % {"tags": ", ".join(new_tags)}))
    if template.set_status and template.set_status != ticket.status:
        steps.append(
            Step("status", _("Status: %(new)s") % {"new": Status(template.set_status).label})
        )
    if template.set_team_id and template.set_team_id != ticket.team_id:
        steps.append(Step("team", _("Hand over to %(team)s") % {"team": template.set_team}))
    return steps


def _new_tags(template: ReplyTemplate, ticket: Ticket) -> list[str]:
    wanted = template.tag_names
    if not wanted:
        return []
    have = set(ticket.tags.values_list("name", flat=True))
    return [t for t in dict.fromkeys(n[:50] for n in wanted) if t not in have]


def filled_note(template: ReplyTemplate, ticket: Ticket, *, agent: User) -> str:
    return render(template.note, values_for(ticket, agent=agent))


def apply_macro(
    template: ReplyTemplate, ticket: Ticket, *, by: User, reply: str = ""
) -> list[Step]:
    """Do what ``macro_steps`` shows for ``template`` on ``ticket``, as ``by``, in one
    transaction (one refused step undoes them all): a ``MACRO`` event, then each
    step through its ticket action, then ``reply`` (as ``by`` wrote or edited it;
    a trainee's raises ``ReplyNeedsReview``) if not empty. Counts the template's
    use. Returns the steps done."""
    if not (by.is_active and by.is_staff_member):
        raise PermissionDenied("Only staff apply macros.")
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        steps = macro_steps(template, ticket, agent=by)
        if reply.strip():
            steps.insert(0, Step("reply", _("Send the reply")))
        record_event(
            ticket,
            EventKind.MACRO,
            by=by,
            template=template.pk,
            name=template.name,
            steps=[s.kind for s in steps],
        )
        kinds = {s.kind for s in steps}
        if "reply" in kinds:  # first: a ticket is answered, then resolved
            ticket_actions.add_reply(ticket, body=reply, by=by)
        if "note" in kinds:
            ticket_actions.add_note(ticket, body=filled_note(template, ticket, agent=by), by=by)
        if "priority" in kinds and template.set_priority:
            ticket_actions.change_priority(ticket, priority=template.set_priority, by=by)
        if "tags" in kinds:
            have = list(ticket.tags.values_list("name", flat=True))
            ticket_actions.set_tags(ticket, names=[*have, *template.tag_names], by=by)
        if "status" in kinds:
            ticket.refresh_from_db()
            if ticket.status != template.set_status:
                ticket_actions.change_status(ticket, status=template.set_status, by=by)
        if "team" in kinds and template.set_team is not None:
            ticket_actions.assign_ticket(
                ticket,
                by=by,
                team=template.set_team,
                note=_("Macro “%(name)s”") % {"name": template.name},
            )
        count_template_use(template, by=by)
    return steps

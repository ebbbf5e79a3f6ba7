"""Who reacts to what: every consequence of a ticket change, in one table.

A ticket action writes its event (:func:`frontline.tickets.events.record_event`)
and nothing else. After the change commits, the reactions listed here for the
event's kind run in one background task, in this order, each with the event's
id and in its own savepoint (one that fails is retried alone). A reaction
lives in the app that owns the work (``<app>/reactions.py``), is a plain
function of the event id, and is safe to run twice. ``when`` (optional)
looks at the event as written and skips queueing a reaction with nothing to do.

A new consequence of a change is one line here; nothing in ``tickets`` changes.
The ticket core finds this table through ``settings.FRONTLINE_REACTIONS``, so
it imports none of the apps below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from frontline.api import reactions as api
from frontline.knowledge import reactions as knowledge
from frontline.knowledge import reviews
from frontline.mail import outbound as mail_out
from frontline.mail import reactions as mail
from frontline.reports import reactions as reports
from frontline.routing import reactions as routing
from frontline.search import reactions as search
from frontline.sla import reactions as sla
from frontline.tickets import actions as tickets
from frontline.tickets import reactions as incidents
from frontline.tickets.events import Reaction, by_customer, on
from frontline.tickets.models import EventKind

REACTIONS: dict[str, tuple[Reaction, ...]] = {
    EventKind.CREATED: (
        on(routing.triage_new_ticket),
        on(sla.recompute_deadlines),  # after triage, which may set the priority
        on(mail.learn_writers_language, when=mail.writer_without_language),
        on(mail.tell_request_received, when=mail.may_acknowledge),
        on(search.index_ticket),
        # Articles the requester opened while writing were not a deflection.
        on(knowledge.note_articles_read),
    ),
    EventKind.STATUS: (
        on(sla.recompute_deadlines),
        on(mail.tell_resolved_or_closed, when=mail.ends_the_work),
        on(reports.ask_for_rating, when=reports.resolves),
        on(incidents.resolve_incident_tickets, when=incidents.resolves),
    ),
    EventKind.PRIORITY: (on(sla.recompute_deadlines),),
    # Another requester may bring another organisation and so another service plan.
    EventKind.REQUESTER: (on(sla.recompute_deadlines), on(search.index_ticket)),
    EventKind.REPLY: (
        on(mail.learn_writers_language, when=mail.writer_without_language),
        on(mail.tell_reply),
        on(routing.rules_on_customer_reply, when=routing.may_have_reply_rules),
        on(sla.recompute_deadlines, when=by_customer),
        on(search.index_ticket),
    ),
    EventKind.NOTE: (on(mail.tell_mentioned, when=mail.may_mention), on(search.index_ticket)),
    EventKind.CALL: (on(search.index_ticket),),
    EventKind.FIELDS: (on(search.index_ticket),),
    # A delegation carries a handoff note, which staff can search.
    EventKind.TEAM: (on(routing.offer_to_team), on(search.index_ticket)),
    EventKind.ASSIGNEE: (
        on(mail.tell_assignee, when=mail.names_an_assignee),
        on(routing.offer_to_team, when=lambda event: not mail.names_an_assignee(event)),
        on(search.index_ticket, when=lambda event: bool(event.data.get("note"))),
    ),
    EventKind.MERGED: (on(mail.tell_merged),),
    # The writer of a message split off hears of their new request's number.
    EventKind.SPLIT: (on(mail.follow_split), on(mail.tell_split), on(search.index_ticket)),
    # The merged ticket is closed: its deadlines go.
    EventKind.MERGED_INTO: (on(sla.recompute_deadlines),),
    EventKind.SLA_WARNING: (on(sla.tell_people),),
    EventKind.SLA_BREACH: (on(sla.tell_people),),
    # A trainee's reply held for their mentor, or sent back: nothing goes to the
    # customer (the approved reply is a REPLY event, with ``approved_by``); the
    # mentor hears that one waits (the event names them: mail needs nothing
    # from knowledge, its sibling layer); the queue and the trainee's list read
    # the held rows themselves.
    EventKind.REPLY_HELD: (on(mail.tell_mentor),),
    EventKind.REPLY_RETURNED: (),
}

# The reports' rollup follows every change to a figure (before the webhooks).
for _kind in reports.FIGURE_KINDS:
    REACTIONS[_kind] = (*REACTIONS.get(_kind, ()), on(reports.refresh_figures))

# Every kind of event may be sent to webhook subscribers: last, after the work above.
for _kind in EventKind:
    REACTIONS[_kind] = (
        *REACTIONS.get(_kind, ()),
        on(api.send_webhooks, when=api.someone_subscribed),
    )


# Whose public replies wait for someone's approval before they go out (any channel):
# the ticket core asks each of these (found through ``settings.FRONTLINE_REPLY_REVIEW``)
# and refuses the reply (``ReplyNeedsReview``) when one says yes.
REPLY_REVIEWERS: tuple[Callable[..., bool], ...] = (reviews.needs_review,)
# Where such a reply waits when its channel cannot ask the writer to send it for
# review (mail, found through ``settings.FRONTLINE_HOLD_FOR_REVIEW``): the desk's
# "Send for review", ``hold_reply(ticket, *, body, by)``.
HOLD_FOR_REVIEW: Callable[..., Any] = reviews.hold_reply


# Accounts keep no event table: what follows a change to a person's account runs
# in that change's transaction, called by name from ``accounts/actions.py``
# (found through ``settings.FRONTLINE_ACCOUNT_REACTIONS``), with these keywords.
ACCOUNT_REACTIONS: dict[str, tuple[Callable[..., Any], ...]] = {
    # notice, user: a one-time link (address confirmation, password), made as it is sent,
    # called after the commit.
    "link_to_mail": (mail_out.send_account_mail,),
    # user, contacts (by, reason): the contacts are that person: the ones made from mail
    # once they proved the address, or two contacts staff merged.
    "contacts_merged": (tickets.take_over_requests,),
}

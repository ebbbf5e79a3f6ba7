"""Who reacts to what: every consequence of a ticket change, in one table.

A ticket action writes its event (:func:`frontline.tickets.events.record_event`)
and nothing else. After the change commits, each reaction listed here for the
event's kind runs in its own background task, in this order, with the event's
id. A reaction lives in the app that owns the work (``<app>/reactions.py``), is
a plain function of the event id, and is safe to run twice. ``when`` (optional)
looks at the event as written and skips queueing a reaction with nothing to do.

A new consequence of a change is one line here; nothing in ``tickets`` changes.
The ticket core finds this table through ``settings.FRONTLINE_REACTIONS``, so
it imports none of the apps below.
"""

from __future__ import annotations

from frontline.mail import reactions as mail
from frontline.routing import reactions as routing
from frontline.sla import reactions as sla
from frontline.tickets.events import Reaction, by_customer, on
from frontline.tickets.models import EventKind

REACTIONS: dict[str, tuple[Reaction, ...]] = {
    EventKind.CREATED: (
        on(routing.triage_new_ticket),  # also sets the first SLA deadlines
        on(mail.tell_request_received),
    ),
    EventKind.STATUS: (
        on(sla.recompute_deadlines),
        on(mail.tell_resolved_or_closed, when=mail.ends_the_work),
    ),
    EventKind.PRIORITY: (on(sla.recompute_deadlines),),
    EventKind.REPLY: (
        on(mail.tell_reply),
        on(routing.rules_on_customer_reply, when=routing.may_have_reply_rules),
        on(sla.recompute_deadlines, when=by_customer),
    ),
    EventKind.NOTE: (on(mail.tell_mentioned, when=mail.may_mention),),
    EventKind.TEAM: (on(routing.offer_to_team),),
    EventKind.ASSIGNEE: (
        on(mail.tell_assignee, when=mail.names_an_assignee),
        on(routing.offer_to_team, when=lambda event: not mail.names_an_assignee(event)),
    ),
    EventKind.SLA_WARNING: (on(sla.tell_people),),
    EventKind.SLA_BREACH: (on(sla.tell_people),),
}

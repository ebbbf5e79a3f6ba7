"""What each reaction to a new ticket costs, in SQL statements, pinned; and that
none of them reads a table whole (issue 19: at a million tickets the reactions
cost several times the create, and on SQLite they share its one writer).

The reactions are called as the worker's ``react`` task calls them, by their
names in the reactions table, each in its own savepoint, for the CREATED event
of a request a known customer opens through the portal's action.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from frontline.reactions import REACTIONS
from frontline.routing.models import RuleAction, RuleCondition, TriageRule
from frontline.tickets import actions
from frontline.tickets.events import _by_path
from frontline.tickets.models import EventKind

# Tables that grow with the tickets: reading one whole costs seconds at a million.
GROWING = re.compile(
    r"\bSCAN (tickets_\w+|reports_\w+|mail_(in|out)boundmessage|search_\w+|knowledge_suggestedread"
    r"|django_tasks_database_\w+)\b(?! USING| VIRTUAL)"
)


def new_request(people):
    # Carol's second request: the first made her and Acme known to the index.
    for subject in ("Invoice", "Toner"):
        ticket = actions.open_ticket(
            requester=people.carol,
            by=people.carol,
            subject=subject,
            body="The printer is out of toner.",
            category=people.billing,
        )
        event = ticket.events.get(kind=EventKind.CREATED)
        yield event


def run_reactions(event) -> dict[str, list[str]]:
    """Each reaction to ``event`` in its savepoint, as ``react`` runs them: the
    statements of each, by the reaction's name."""
    table = _by_path()
    statements: dict[str, list[str]] = {}
    for reaction in REACTIONS[EventKind.CREATED]:
        if reaction.when is not None and not reaction.when(event):
            continue
        with CaptureQueriesContext(connection) as ctx, transaction.atomic():
            table[reaction.path](event.pk)
        statements[reaction.path.rsplit(".", 1)[-1]] = [q["sql"] for q in ctx.captured_queries]
    return statements


def test_each_reaction_to_a_new_ticket_takes_a_fixed_few_statements(people):
    *_, event = new_request(people)
    run_reactions(event)  # the first run fills the per-process caches
    counted = {name: len(sql) for name, sql in run_reactions(event).items()}
    # Each counts its savepoint and release (2), and reads its event (1).
    # Triage: the ticket once (it was read three times), the priority matrix
    # has no pair, the plan, the rules (none: nothing more is read for them;
    # 14 before, with whether the rules ran, the first message and the plan
    # again); the assignment: savepoint, the ticket locked, the team's routing,
    # the team, release (11). SLA: savepoint, the ticket
    # locked, the policies, release (7). Writer's language: the message (4).
    # The acknowledgement: the ticket with its people, the message, our
    # addresses, savepoint, the form's questions, the admin's templates, the
    # mailbox it came in through and the first one, the thread (2: the
    # customer's latest ten and our latest ten; our first one only when ten
    # came back, and the customer's first ten were the same latest ten again:
    # 4 before), the rate, the mail, release (16). The index: the ticket, its messages, its files,
    # its row rewritten (4), the requester and the organisation built and
    # compared with their rows, not written again (5), in a savepoint (17; 23
    # when both were deleted and inserted each time). Articles read: one update
    # (4). The report rollup: the ticket's figures (6), its day's rows deleted
    # through the unique key, read and written (5), the day's reopenings and
    # handoffs: the ticket's own such events and its day's (2) (16).
    assert counted == {
        "triage_new_ticket": 11,
        "recompute_deadlines": 7,
        "learn_writers_language": 4,
        "tell_request_received": 16,
        "index_ticket": 17,
        "note_articles_read": 4,
        "refresh_figures": 16,
    }


def test_triage_reads_the_plan_once_when_rules_look_at_it(people):
    # An active rule that does not match: 11 as above, and the rules'
    # conditions and actions, whether they ran, the first message (15); the
    # plan is the one read for the minimum (it was read again for the facts).
    rule = TriageRule.objects.create(name="VIPs first")
    RuleCondition.objects.create(rule=rule, field="plan", operator="equals", value="VIP")
    RuleAction.objects.create(rule=rule, kind="set_priority", value="high")
    *_, event = new_request(people)
    run_reactions(event)
    statements = run_reactions(event)["triage_new_ticket"]
    assert sum("routing_serviceplan" in sql for sql in statements) == 1
    assert len(statements) == 15


@pytest.mark.skipif(connection.vendor != "sqlite", reason="EXPLAIN QUERY PLAN is SQLite's")
def test_no_reaction_to_a_new_ticket_reads_a_growing_table_whole(people):
    *_, event = new_request(people)
    scans = []
    with connection.cursor() as cursor:
        for name, statements in run_reactions(event).items():
            for sql in statements:
                if not sql.lstrip().upper().startswith(("SELECT", "DELETE", "UPDATE")):
                    continue
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                scans += [
                    (name, row[-1], sql[:200])
                    for row in cursor.fetchall()
                    if GROWING.search(row[-1])
                ]
    assert scans == []

"""No hot page reads the whole tickets table (issue 19's index review).

The SQL the hot pages run (the desk's queues, the ticket page, the portal's
list, the API's lists and one ticket) is captured through the test client and
each statement that reads ``tickets_ticket`` is explained with SQLite's
``EXPLAIN QUERY PLAN``: a plain ``SCAN tickets_ticket`` (every row, no index)
fails the test. On a million tickets such a scan costs a second or more; at
this size it is invisible in the timings, which is why the plan is checked.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from frontline.api.actions import create_token
from tests.conftest import login

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="EXPLAIN QUERY PLAN is SQLite's"
)


def full_scans(statements: list[str]) -> list[tuple[str, str]]:
    found = []
    with connection.cursor() as cursor:
        for sql in statements:
            if "tickets_ticket" not in sql or not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            for row in cursor.fetchall():
                detail = row[-1]
                # An alias of tickets_ticket (T3, U0...) or the table itself, read in full.
                if re.search(r"\bSCAN tickets_ticket\b(?! USING)", detail) or (
                    re.search(r"\bSCAN [TU]\d+\b(?! USING)", detail)
                    and re.search(r'"tickets_ticket" [TU]\d', sql)
                ):
                    found.append((detail, sql[:300]))
    return found


def captured(client, paths: list[str], **headers: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        for path in paths:
            assert client.get(path, **headers).status_code == 200, path
    return [q["sql"] for q in ctx.captured_queries]


QUEUES = ["mine", "team", "unassigned", "open", "due_soon", "waiting", "resolved"]


@pytest.mark.parametrize("who", ["sam", "alice"])
def test_desk_queues_and_the_ticket_page_use_indexes(client, people, ticket, who):
    login(client, getattr(people, who))
    paths = [f"/desk/q/{name}/" for name in QUEUES]
    paths += [f"/desk/q/open/?sort={sort}" for sort in ("priority", "updated")]
    paths += [f"/desk/tickets/{ticket.pk}/"]
    assert full_scans(captured(client, paths)) == []


def test_the_portal_list_and_the_api_lists_use_indexes(client, people, ticket):
    login(client, people.maria)
    statements = captured(client, ["/portal/", "/portal/?scope=org"])
    token = create_token(people.sam, name="plans", scope="read", by=people.sam)[1]
    statements += captured(
        client,
        ["/api/v1/tickets", f"/api/v1/tickets/{ticket.pk}", "/api/v1/tickets?status=open"],
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert full_scans(statements) == []


def test_a_full_scan_is_found(db):
    """The check itself can fail: an unindexed filter and an alias are caught."""
    assert full_scans(['SELECT id FROM "tickets_ticket" WHERE "subject" = \'x\''])
    assert full_scans(['SELECT U0."id" FROM "tickets_ticket" U0 WHERE U0."subject" = \'x\''])
    assert not full_scans(['SELECT id FROM "tickets_ticket" WHERE "id" = 1'])


def test_a_managers_organisation_list_walks_the_organisations_index_alone(
    client, people, ticket, django_assert_num_queries
):
    # Every rule of what a manager sees, narrowed to their organisation, is part
    # of it: the list reads that one index in its order (on PostgreSQL the rules
    # OR-ed together were read whole and sorted: 40 ms at a million) and asks
    # nothing about the tickets the manager takes part in.
    login(client, people.maria)
    client.get("/portal/?scope=org")  # the session's first-use writes
    with django_assert_num_queries(5):  # session, user, page ids, rows, organisation
        page = client.get("/portal/?scope=org")
    assert page.status_code == 200 and ticket.subject in page.content.decode()
    statements = captured(client, ["/portal/?scope=org"])
    ids = next(s for s in statements if s.startswith('SELECT "tickets_ticket"."id" AS "pk"'))
    assert "tickets_ticketparticipant" not in " ".join(statements)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {ids}")
            plan = " ".join(row[-1] for row in cursor.fetchall())
        assert "t_org_recent" in plan and "TEMP B-TREE" not in plan, plan

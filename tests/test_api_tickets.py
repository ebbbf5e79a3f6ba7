"""Tickets through the API: the desk's and portal's permission matrix again, the
acts as their own endpoints, the form rules of the portal, cursor pages, and
clear 4xx answers to bad requests."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from frontline.api import actions as api_actions
from frontline.tickets import actions
from frontline.tickets.models import (
    Channel,
    ClosureReason,
    EventKind,
    MessageKind,
    Priority,
    Status,
    Ticket,
)
from tests.conftest import last_use_statements


class Api:
    """A client speaking as one person through a token of theirs."""

    def __init__(self, user, scope: str = "write") -> None:
        _token, secret = api_actions.create_token(user, name="test", scope=scope, by=user)
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1{path}", params)

    def post(self, path: str, payload=None):
        return self.client.post(
            f"/api/v1{path}",
            json.dumps(payload if payload is not None else {}),
            content_type="application/json",
        )


def numbers(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {t["number"] for t in response.json()["items"]}


@pytest.fixture
def bobs_ticket(people) -> Ticket:
    """Dan's (Globex) ticket, handed to Second line with a note."""
    t = actions.open_ticket(
        requester=people.dan, by=people.dan, subject="Server down", body="Down since 9."
    )
    return actions.assign_ticket(t, by=people.sam, team=people.second_line, note="DB host")


# Who sees what: the same matrix as the desk and the portal.


def test_customers_see_their_own_and_managers_their_organisations(people, ticket, bobs_ticket):
    assert numbers(Api(people.carol).get("/tickets")) == {ticket.pk}
    assert numbers(Api(people.maria).get("/tickets")) == {ticket.pk}
    assert numbers(Api(people.erin).get("/tickets")) == set()
    assert numbers(Api(people.dan).get("/tickets")) == {bobs_ticket.pk}
    assert Api(people.carol).get(f"/tickets/{ticket.pk}").status_code == 200
    assert Api(people.maria).get(f"/tickets/{ticket.pk}").status_code == 200
    for stranger in (people.erin, people.dan):
        response = Api(stranger).get(f"/tickets/{ticket.pk}")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
    assert Api(people.carol).get(f"/tickets/{bobs_ticket.pk}").status_code == 404


def test_agents_see_their_teams_tickets_and_supervisors_all(people, ticket, bobs_ticket):
    assert numbers(Api(people.alice).get("/tickets")) == {ticket.pk}
    assert numbers(Api(people.bob).get("/tickets")) == {bobs_ticket.pk}
    assert numbers(Api(people.sam).get("/tickets")) == {ticket.pk, bobs_ticket.pk}
    assert Api(people.bob).get(f"/tickets/{ticket.pk}").status_code == 404
    assert Api(people.alice).get(f"/tickets/{bobs_ticket.pk}").status_code == 404
    assert Api(people.bob).post(f"/tickets/{ticket.pk}/notes", {"body": "x"}).status_code == 404


def test_customers_never_get_an_internal_note_or_a_handoff_note(people, ticket):
    alice = Api(people.alice)
    # Assigned first: a reply to an unassigned ticket would take it without a note.
    alice.post(f"/tickets/{ticket.pk}/assign", {"assignee": people.alice.pk, "note": "mine now"})
    assert alice.post(f"/tickets/{ticket.pk}/notes", {"body": "Refund is fishy"}).status_code == 201
    assert alice.post(f"/tickets/{ticket.pk}/replies", {"body": "Looking"}).status_code == 201
    alice.post(f"/tickets/{ticket.pk}/tags", {"tags": ["refund-fraud"]})
    actions.log_call(
        ticket, by=people.alice, direction="out", phone="", duration_seconds=60, summary="Called"
    )
    staff_kinds = [m["kind"] for m in alice.get(f"/tickets/{ticket.pk}/messages").json()["items"]]
    assert staff_kinds.count("note") == 1 and staff_kinds.count("call") == 1
    assert alice.get(f"/tickets/{ticket.pk}").json()["handoff_note"] == "mine now"
    for customer in (people.carol, people.maria):
        api = Api(customer)
        messages = api.get(f"/tickets/{ticket.pk}/messages").json()["items"]
        assert [m["kind"] for m in messages] == ["reply", "reply"]
        assert "fishy" not in json.dumps(messages)
        detail = api.get(f"/tickets/{ticket.pk}").json()
        assert detail["handoff_note"] is None
        assert (detail["priority"], detail["tags"]) == (None, [])
        assert "mine now" not in json.dumps(detail)


def test_customers_never_download_an_internal_file(people, ticket):
    note = actions.add_note(
        ticket, body="log", by=people.alice, files=[SimpleUploadedFile("log.txt", b"secret")]
    )
    reply = actions.add_reply(
        ticket, body="see", by=people.alice, files=[SimpleUploadedFile("fix.txt", b"do this")]
    )
    internal, public = note.attachments.get(), reply.attachments.get()
    carol = Api(people.carol)
    assert carol.get(f"/attachments/{internal.pk}").status_code == 404
    response = carol.get(f"/attachments/{public.pk}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"do this"
    assert Api(people.alice).get(f"/attachments/{internal.pk}").status_code == 200
    assert Api(people.dan).get(f"/attachments/{public.pk}").status_code == 404
    listed = carol.get(f"/tickets/{ticket.pk}/messages").json()["items"]
    assert [a["filename"] for m in listed for a in m["attachments"]] == ["fix.txt"]


# Acts: each its own endpoint, each the desk's or portal's action.


def test_a_customer_replies_but_may_not_do_the_desks_acts(people, ticket):
    carol = Api(people.carol)
    response = carol.post(f"/tickets/{ticket.pk}/replies", {"body": "Any news?"})
    assert response.status_code == 201
    assert response.json()["kind"] == "reply"
    assert ticket.messages.filter(body="Any news?", author=people.carol).exists()
    for path, payload in [
        ("notes", {"body": "x"}),
        ("status", {"status": "resolved"}),
        ("priority", {"priority": "urgent"}),
        ("assign", {"assignee": people.alice.pk, "note": "x"}),
        ("tags", {"tags": ["vip"]}),
    ]:
        response = carol.post(f"/tickets/{ticket.pk}/{path}", payload)
        assert response.status_code == 403, path
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee_id) == (
        Status.NEW,
        Priority.NORMAL,
        None,
    )
    assert not ticket.messages.filter(kind=MessageKind.NOTE).exists()


def test_a_read_only_token_cannot_write(people, ticket):
    for user in (people.carol, people.alice):
        response = Api(user, scope="read").post(f"/tickets/{ticket.pk}/replies", {"body": "x"})
        assert response.status_code == 403
        assert "read-only" in response.json()["title"]
    assert ticket.messages.count() == 1


def test_the_session_works_with_its_csrf_token(people, ticket):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people.carol)
    assert browser.get(f"/api/v1/tickets/{ticket.pk}").status_code == 200
    path = f"/api/v1/tickets/{ticket.pk}/replies"
    body = json.dumps({"body": "from the browser"})
    assert browser.post(path, body, content_type="application/json").status_code == 403
    browser.get("/portal/")  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    response = browser.post(path, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201


def test_staff_change_status_priority_tags_and_category(people, ticket):
    alice = Api(people.alice)
    n = ticket.pk
    assert alice.post(f"/tickets/{n}/status", {"status": "waiting_customer"}).json()["status"] == (
        "waiting_customer"
    )
    response = alice.post(f"/tickets/{n}/priority", {"priority": "high", "reason": "VIP"})
    assert response.json()["priority"] == "high"
    event = ticket.events.get(kind=EventKind.PRIORITY)
    assert (event.actor, event.data["reason"]) == (people.alice, "VIP")
    assert alice.post(f"/tickets/{n}/tags", {"tags": ["VIP", "refund"]}).json()["tags"] == [
        "refund",
        "vip",
    ]
    response = alice.post(f"/tickets/{n}/category", {"category": people.hardware.pk})
    assert response.json()["category"]["name"] == "Hardware"


def test_a_status_move_the_desk_refuses_is_a_400_that_says_why(people, ticket):
    response = Api(people.alice).post(f"/tickets/{ticket.pk}/status", {"status": "closed"})
    assert response.status_code == 400
    assert "cannot go from" in response.json()["detail"]


def test_handing_over_takes_a_note_and_the_ticket_leaves_the_agents_view(people, ticket):
    alice = Api(people.alice)
    response = alice.post(f"/tickets/{ticket.pk}/assign", {"assignee": people.bob.pk})
    assert response.status_code == 400
    assert "note" in response.json()["errors"]
    response = alice.post(
        f"/tickets/{ticket.pk}/assign", {"assignee": people.bob.pk, "note": "Needs a DBA"}
    )
    assert response.status_code == 200
    assert response.json()["team"]["name"] == "Second line"
    assert alice.get(f"/tickets/{ticket.pk}").status_code == 404
    assert Api(people.bob).get(f"/tickets/{ticket.pk}").json()["handoff_note"] == "Needs a DBA"


def test_tickets_go_to_active_staff_only(people, ticket):
    response = Api(people.alice).post(
        f"/tickets/{ticket.pk}/assign", {"assignee": people.carol.pk, "note": "x"}
    )
    assert response.status_code == 400
    assert "assignee" in response.json()["errors"]


def test_escalating_moves_to_the_next_line_with_the_note(people, ticket):
    response = Api(people.alice).post(f"/tickets/{ticket.pk}/escalate", {"note": "Tried X"})
    assert response.status_code == 200
    assert response.json()["team"]["name"] == "Second line"


def test_the_requester_confirms_the_solution(people, ticket):
    actions.change_status(ticket, status=Status.RESOLVED, by=people.alice)
    assert Api(people.erin).post(f"/tickets/{ticket.pk}/solved").status_code == 404
    response = Api(people.carol).post(f"/tickets/{ticket.pk}/solved")
    assert response.status_code == 200
    assert response.json()["status"] == "closed"


# Opening a ticket: the portal's form rules.


def test_a_customer_opens_a_ticket_with_the_forms_answers(people):
    response = Api(people.carol).post(
        "/tickets",
        {
            "subject": "Laptop broken",
            "body": "Screen flickers",
            "category": people.hardware.pk,
            "fields": {"serial": "SN-1", "model": "Laptop"},
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()
    ticket = Ticket.objects.get(pk=data["number"])
    assert (ticket.requester, ticket.channel) == (people.carol, Channel.API)
    assert ticket.fields == {"serial": "SN-1", "model": "Laptop"}
    assert data["team"]["name"] == "First line"
    assert ticket.messages.get().body == "Screen flickers"


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({}, "fields.serial"),
        ({"serial": ""}, "fields.serial"),
        ({"serial": "SN", "model": "Toaster"}, "fields.model"),
        ({"serial": "SN", "colour": "red"}, "fields.colour"),
    ],
)
def test_form_answers_are_refused_as_on_the_portal(people, fields, error):
    response = Api(people.carol).post(
        "/tickets",
        {"subject": "s", "body": "b", "category": people.hardware.pk, "fields": fields},
    )
    assert response.status_code == 400
    assert error in response.json()["errors"]
    assert not Ticket.objects.exists()


def test_an_inactive_or_unknown_category_is_refused(people):
    # Billing has no questions, hardware has some (read with its questions).
    for inactive in (people.billing, people.hardware):
        inactive.is_active = False
        inactive.save()
    for category in (people.billing.pk, people.hardware.pk, 999999):
        response = Api(people.carol).post(
            "/tickets", {"subject": "s", "body": "b", "category": category}
        )
        assert response.status_code == 400
        assert "category" in response.json()["errors"]


def test_staff_open_tickets_for_a_customer_and_customers_only_for_themselves(people):
    payload = {
        "subject": "Printer jam",
        "body": "Tray 2",
        "category": people.billing.pk,
        "requester": {"email": "newbie@example.org", "name": "New Bie"},
    }
    assert Api(people.carol).post("/tickets", payload).status_code == 403
    response = Api(people.alice).post("/tickets", payload)
    assert response.status_code == 201
    assert response.json()["requester"]["name"] == "New Bie"
    bad = {**payload, "requester": {"email": "not an address"}}
    assert Api(people.alice).post("/tickets", bad).status_code == 400


# Lists: the desk's filters and cursor pages.


def every_page(api, **params) -> list[dict]:
    """The list's items, page after page, following each next cursor."""
    rows, cursor = [], None
    while True:
        page = api.get("/tickets", **params, **({"cursor": cursor} if cursor else {})).json()
        rows += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


def test_cursor_pages_cover_every_ticket_once_in_order(people):
    for i in range(7):
        t = actions.open_ticket(
            requester=people.carol,
            by=people.carol,
            subject=f"T{i}",
            body="b",
            category=people.billing,
            priority=[Priority.LOW, Priority.HIGH][i % 2],
        )
        if i in (1, 2, 5):  # staff pages merge open and closed tickets read apart
            actions.change_status(t, status=Status.RESOLVED, by=people.sam)
    sam = Api(people.sam)
    keys = {
        "due": lambda t: (t["due_at"], t["number"]),
        "priority": lambda t: (t["priority"] == "low", t["due_at"], t["number"]),
        "updated": lambda t: (t["updated_at"], t["number"]),
        "created": lambda t: (t["created_at"], t["number"]),
    }
    for sort in ("due", "priority", "updated", "created"):
        rows = every_page(sam, limit=3, sort=sort)
        seen = [t["number"] for t in rows]
        assert len(seen) == len(set(seen)) == 7, sort
        newest_first = sort in ("updated", "created")
        assert rows == sorted(rows, key=keys[sort], reverse=newest_first), sort
        everything = [t["number"] for t in sam.get("/tickets", sort=sort).json()["items"]]
        assert seen == everything
    by_priority = sam.get("/tickets", sort="priority").json()["items"]
    assert [t["priority"] for t in by_priority] == ["high"] * 3 + ["low"] * 4


def test_a_managers_pages_merge_own_organisation_and_copied_tickets_once_in_order(people):
    # Maria manages Acme: she sees her own tickets (which are Acme's too), Carol's
    # (Acme's) and Dan's that she is copied on (Globex's); each rule is read apart.
    def opened(requester, i):
        return actions.open_ticket(
            requester=requester, by=requester, subject=f"T{i}", body="b", category=people.billing
        )

    mine = [opened(people.maria, i) for i in range(3)]
    carols = [opened(people.carol, i) for i in range(3, 6)]
    dans = [opened(people.dan, i) for i in range(6, 9)]
    actions.add_participant(dans[0], user=people.maria, by=people.sam)
    actions.add_participant(dans[2], user=people.maria, by=people.sam)
    actions.add_participant(carols[1], user=people.maria, by=people.sam)  # and Acme's
    maria = Api(people.maria)
    expected = {t.pk for t in [*mine, *carols, dans[0], dans[2]]}
    for sort in ("updated", "created"):
        rows = every_page(maria, limit=2, sort=sort)
        seen = [t["number"] for t in rows]
        assert len(seen) == len(set(seen)) and set(seen) == expected, sort
        key = "updated_at" if sort == "updated" else "created_at"
        assert rows == sorted(rows, key=lambda t: (t[key], t["number"]), reverse=True), sort
        assert seen == [t["number"] for t in maria.get("/tickets", sort=sort).json()["items"]]
    assert numbers(Api(people.carol).get("/tickets")) == {t.pk for t in carols}


def test_the_desks_filters_and_queues_apply(people, ticket, bobs_ticket):
    sam = Api(people.sam)
    assert numbers(sam.get("/tickets", team=people.second_line.pk)) == {bobs_ticket.pk}
    assert numbers(sam.get("/tickets", organisation=people.acme.pk)) == {ticket.pk}
    assert numbers(sam.get("/tickets", status="new")) == {ticket.pk, bobs_ticket.pk}
    assert numbers(sam.get("/tickets", queue="unassigned")) == {ticket.pk, bobs_ticket.pk}
    actions.assign_ticket(ticket, by=people.alice, assignee=people.alice)
    assert numbers(Api(people.alice).get("/tickets", queue="mine")) == {ticket.pk}
    carol = Api(people.carol)
    for params in ({"queue": "mine"}, {"tag": "vip"}, {"priority": "high"}, {"sort": "priority"}):
        assert carol.get("/tickets", **params).status_code == 403, params


def test_the_list_takes_the_same_few_queries_for_many_tickets(people, django_assert_num_queries):
    for i in range(40):
        t = actions.open_ticket(
            requester=[people.carol, people.dan][i % 2],
            by=people.carol,
            subject=f"T{i}",
            body="b",
            category=people.billing,
        )
        actions.set_tags(t, names=["a", "b"], by=people.sam)
        if i % 3 == 0:
            actions.change_status(t, status=Status.RESOLVED, by=people.sam)
    staff, supervisor, customer = Api(people.alice), Api(people.sam), Api(people.maria)
    # Token (1), last use (a fresh token's first use), team ids (1), page ids (2:
    # open and closed tickets apart, each a bounded walk of an index), rows with
    # their tags (1).
    with django_assert_num_queries(5 + last_use_statements()):
        assert len(staff.get("/tickets", limit=40).json()["items"]) == 40
    # A supervisor sees every ticket: no team ids.
    with django_assert_num_queries(4 + last_use_statements()):
        page = supervisor.get("/tickets", limit=40).json()["items"]
    assert len(page) == 40 and {t["status"] for t in page} == {"new", "resolved"}
    # Token (1), last use, participations (1), page ids (2: the manager's own
    # tickets and the organisation's apart, each a bounded walk of its index),
    # rows (1); no tags.
    with django_assert_num_queries(5 + last_use_statements()):
        assert len(customer.get("/tickets", limit=40).json()["items"]) == 20


# Bad requests: a clear 4xx, never a 500.


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("replies", {}),
        ("replies", {"body": None}),
        ("replies", {"body": "   "}),
        ("replies", []),
        ("replies", "text"),
        ("notes", {"body": 12}),
        ("status", {"status": "done"}),
        ("priority", {"priority": 4}),
        ("priority", {"priority": "urgent", "reason": "x" * 301}),
        ("assign", {"assignee": "bob"}),
        ("assign", {"assignee": 10**30}),
        ("assign", {"team": 999999}),
        ("tags", {"tags": "vip"}),
        ("category", {"category": 999999}),
        ("category", {"category": 10**30}),
        ("escalate", {"note": ""}),
    ],
)
def test_bad_payloads_get_a_clear_400(people, ticket, path, payload):
    response = Api(people.alice).post(f"/tickets/{ticket.pk}/{path}", payload)
    assert response.status_code == 400, response.content
    problem = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert problem["status"] == 400
    assert problem.get("errors") or problem.get("detail")


def test_a_body_that_is_not_json_is_a_400(people, ticket):
    api = Api(people.alice)
    response = api.client.post(
        f"/api/v1/tickets/{ticket.pk}/replies", "{not json", content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 1000},
        {"sort": "random"},
        {"queue": "everything"},
        {"team": "abc"},
        {"priority": "9"},
        {"cursor": "not-a-cursor"},
        {"cursor": "WzEsMl0"},  # a list of the wrong length
        {"cursor": "WyJ4IiwxXQ"},  # a string where a time goes
    ],
)
def test_bad_list_parameters_get_a_clear_400(people, params):
    response = Api(people.alice).get("/tickets", **params)
    assert response.status_code == 400, response.content
    assert response.json()["errors"]


def test_an_unknown_ticket_is_a_404(people):
    assert Api(people.sam).get("/tickets/99999999").status_code == 404
    assert Api(people.sam).post("/tickets/99999999/replies", {"body": "x"}).status_code == 404


def test_any_other_path_under_the_api_is_a_json_404(people):
    for path in ("/nothing", "/tickets/abc", "/tickets/1/unknown-act", "/attachments/x%0Ay"):
        response = Api(people.sam).get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


# What a client needs around tickets.


def test_categories_come_with_their_forms(people):
    people.billing.is_active = False
    people.billing.save()
    (hardware,) = Api(people.carol).get("/categories").json()
    assert hardware["name"] == "Hardware"
    fields = {f["key"]: f for f in hardware["fields"]}
    assert fields["serial"]["required"] is True
    assert fields["model"]["choices"] == ["Laptop", "Desktop", "Printer"]
    assert fields["photo"]["type"] == "file"


def test_teams_are_for_staff(people):
    assert Api(people.carol).get("/teams").status_code == 403
    names = [t["name"] for t in Api(people.alice).get("/teams").json()]
    assert names == ["First line", "Second line"]


def test_the_timeline_hides_internal_entries_from_customers(people, ticket):
    actions.add_note(ticket, body="Refund is fishy", by=people.alice)
    actions.assign_ticket(ticket, by=people.alice, team=people.second_line, note="handoff text")
    actions.add_reply(ticket, body="We are on it", by=people.bob)
    staff = Api(people.sam).get(f"/tickets/{ticket.pk}/timeline").json()
    assert "fishy" in json.dumps(staff)
    assert [e["kind"] for e in staff].count("message") == 3
    customer = Api(people.carol).get(f"/tickets/{ticket.pk}/timeline")
    assert customer.status_code == 200
    text = json.dumps(customer.json())
    assert "fishy" not in text and "handoff text" not in text
    assert "We are on it" in text
    assert Api(people.dan).get(f"/tickets/{ticket.pk}/timeline").status_code == 404


# Behaviour a client can rely on.


def test_a_retried_create_with_the_same_idempotency_key_returns_the_first_ticket(people):
    api = Api(people.carol)
    payload = json.dumps({"subject": "Retry me", "body": "b", "category": people.billing.pk})

    def post(key: str, body: str = payload):
        return api.client.post(
            "/api/v1/tickets", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
        )

    first, again = post("k-1"), post("k-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["number"] == again.json()["number"]
    assert Ticket.objects.count() == 1
    assert post("k-2").json()["number"] != first.json()["number"]
    other = json.dumps({"subject": "Else", "body": "b", "category": people.billing.pk})
    response = post("k-1", other)
    assert response.status_code == 422
    assert Ticket.objects.count() == 2
    # Keys are per person: another's same key opens their own ticket.
    erin = Api(people.erin).client.post(
        "/api/v1/tickets", payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert erin.status_code == 201
    assert Ticket.objects.count() == 3


def test_a_create_racing_another_with_the_same_key_is_rolled_back(people, ticket):
    from frontline.api.models import IdempotencyKey

    IdempotencyKey.objects.create(user=people.carol, key="k", request_hash="h", ticket=ticket)
    number = api_actions.open_once(
        people.carol,
        key="k",
        request_hash="h",
        open_ticket=lambda: actions.open_ticket(
            requester=people.carol, by=people.carol, subject="Twin", body="b"
        ),
    )
    assert number == ticket.pk
    assert not Ticket.objects.filter(subject="Twin").exists()


def test_an_act_on_a_ticket_changed_since_it_was_read_is_a_412(people, ticket):
    alice = Api(people.alice)
    read = alice.get(f"/tickets/{ticket.pk}")
    tag = read["ETag"]
    actions.change_priority(ticket, priority=Priority.HIGH, by=people.sam)
    stale = alice.client.post(
        f"/api/v1/tickets/{ticket.pk}/priority",
        json.dumps({"priority": "low"}),
        content_type="application/json",
        HTTP_IF_MATCH=tag,
    )
    assert stale.status_code == 412
    ticket.refresh_from_db()
    assert ticket.priority == Priority.HIGH
    fresh = alice.get(f"/tickets/{ticket.pk}")["ETag"]
    assert fresh != tag
    response = alice.client.post(
        f"/api/v1/tickets/{ticket.pk}/priority",
        json.dumps({"priority": "low"}),
        content_type="application/json",
        HTTP_IF_MATCH=fresh,
    )
    assert response.status_code == 200
    assert response.json()["priority"] == "low"


def test_each_token_has_its_own_rate_limit(people, settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "API_REQUESTS_PER_MINUTE": 3}
    busy, other = Api(people.carol), Api(people.carol)
    for _ in range(3):
        assert busy.get("/me").status_code == 200
    refused = busy.get("/me")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert other.get("/me").status_code == 200


def test_files_go_up_with_a_reply_and_come_down_through_the_same_check(people, ticket, settings):
    carol = Api(people.carol)
    response = carol.client.post(
        f"/api/v1/tickets/{ticket.pk}/replies/with-files",
        {"body": "Here is the invoice", "attachments": [SimpleUploadedFile("inv.txt", b"INV-17")]},
    )
    assert response.status_code == 201, response.content
    (attachment,) = response.json()["attachments"]
    assert attachment["filename"] == "inv.txt"
    download = carol.get(f"/attachments/{attachment['id']}")
    assert b"".join(download.streaming_content) == b"INV-17"
    assert Api(people.dan).get(f"/attachments/{attachment['id']}").status_code == 404

    note = Api(people.alice).client.post(
        f"/api/v1/tickets/{ticket.pk}/notes/with-files",
        {"body": "log", "attachments": [SimpleUploadedFile("log.txt", b"internal")]},
    )
    assert note.status_code == 201
    (internal,) = note.json()["attachments"]
    assert internal["internal"] is True
    assert carol.get(f"/attachments/{internal['id']}").status_code == 404
    refused = carol.client.post(f"/api/v1/tickets/{ticket.pk}/notes/with-files", {"body": "x"})
    assert refused.status_code == 403

    settings.FRONTLINE = {**settings.FRONTLINE, "MAX_FILES_PER_MESSAGE": 1}
    too_many = carol.client.post(
        f"/api/v1/tickets/{ticket.pk}/replies/with-files",
        {
            "body": "two",
            "attachments": [SimpleUploadedFile("a.txt", b"a"), SimpleUploadedFile("b.txt", b"b")],
        },
    )
    assert too_many.status_code == 400
    assert too_many.json()["errors"]


def test_staff_correct_form_answers_validated_by_the_form(people):
    ticket = actions.open_ticket(
        requester=people.carol,
        by=people.carol,
        subject="Laptop",
        body="b",
        category=people.hardware,
        fields={"serial": "SN-1"},
    )
    alice = Api(people.alice)
    response = alice.post(
        f"/tickets/{ticket.pk}/fields", {"fields": {"serial": "SN-2", "model": "Desktop"}}
    )
    assert response.status_code == 200
    assert response.json()["fields"] == {"serial": "SN-2", "model": "Desktop"}
    assert ticket.events.filter(kind=EventKind.FIELDS).exists()
    for bad, key in (
        ({"serial": ""}, "fields.serial"),
        ({"serial": "x", "model": "Toaster"}, "fields.model"),
        ({"serial": "x", "nope": 1}, "fields.nope"),
    ):
        response = alice.post(f"/tickets/{ticket.pk}/fields", {"fields": bad})
        assert response.status_code == 400
        assert key in response.json()["errors"]
    assert Api(people.carol).post(f"/tickets/{ticket.pk}/fields", {"fields": {}}).status_code == 403


def test_resolving_through_the_api_keeps_the_closure_reason(people, ticket):
    alice = Api(people.alice)
    response = alice.post(
        f"/tickets/{ticket.pk}/status", {"status": "resolved", "closure_reason": "x"}
    )
    assert response.status_code == 400  # an action refused it, like any other
    response = alice.post(
        f"/tickets/{ticket.pk}/status", {"status": "resolved", "closure_reason": "no_answer"}
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.status, ticket.closure_reason) == ("resolved", "no_answer")


def test_ticket_output_says_why_it_was_resolved_to_staff_only(people, ticket):
    alice, carol = Api(people.alice), Api(people.carol)
    assert alice.get(f"/tickets/{ticket.pk}").json()["closure_reason"] is None
    actions.change_status(
        ticket, status=Status.RESOLVED, by=people.alice, closure_reason=ClosureReason.DUPLICATE
    )
    assert alice.get(f"/tickets/{ticket.pk}").json()["closure_reason"] == "duplicate"
    listed = alice.get("/tickets").json()["items"]
    assert [t["closure_reason"] for t in listed if t["number"] == ticket.pk] == ["duplicate"]
    assert carol.get(f"/tickets/{ticket.pk}").json()["closure_reason"] is None
    assert {t["closure_reason"] for t in carol.get("/tickets").json()["items"]} == {None}
    # The document names every reason a ticket can carry, and nothing else.
    document = alice.get("/openapi.json").json()
    field = document["components"]["schemas"]["TicketOut"]["properties"]["closure_reason"]
    named = next(choice["enum"] for choice in field["anyOf"] if "enum" in choice)
    assert sorted(named) == sorted(ClosureReason.values)


def test_one_ticket_and_opening_one_take_a_fixed_few_queries(
    people, ticket, django_assert_num_queries
):
    actions.set_tags(ticket, names=["a", "b"], by=people.sam)
    staff, customer = Api(people.alice), Api(people.carol)
    staff.get("/me"), customer.get("/me")  # last use written: once a minute, not per request
    # Token (1), team ids (1), the ticket with its people, team and tags, read
    # among those visible (1): on PostgreSQL each statement is a round trip.
    with django_assert_num_queries(3):
        assert staff.get(f"/tickets/{ticket.pk}").json()["tags"] == ["a", "b"]
    payload = {"subject": "Printer", "body": "Jammed", "category": people.hardware.pk}
    payload["fields"] = {"serial": "SN-1"}
    # Token (1), the category's questions with the category and its team (1);
    # savepoint, ticket, message, event, release (5); the new ticket read back
    # among the customer's own requests (1): no look-up of the tickets they take
    # part in.
    with django_assert_num_queries(8):
        assert customer.post("/tickets", payload).status_code == 201


def test_a_ticket_in_a_page_reads_as_the_ticket_itself(people, ticket, bobs_ticket):
    """The list builds its items from plain columns, the single ticket from the
    model: the two must not drift apart."""
    actions.set_tags(ticket, names=["zeta", "alpha", "тег"], by=people.sam)
    actions.assign_ticket(ticket, by=people.sam, assignee=people.alice, note="yours")
    actions.open_ticket(
        requester=people.carol,
        by=people.carol,
        subject="Laptop",
        body="Broken",
        category=people.hardware,
        fields={"serial": "SN-9", "model": "Laptop"},
    )
    for user in (people.sam, people.alice, people.carol, people.maria, people.dan):
        api = Api(user)
        items = api.get("/tickets").json()["items"]
        assert items, user
        for item in items:
            assert item == api.get(f"/tickets/{item['number']}").json(), user
    # An act answers with the ticket built from the model (its tags as
    # ticket.tags.all() orders them, in the database's collation); the get reads
    # them with the row, in one statement.
    tags = ["b-c", "bc", "ab", "тег", "a"]
    acted = Api(people.sam).post(f"/tickets/{ticket.pk}/tags", {"tags": tags}).json()["tags"]
    assert sorted(acted) == sorted(tags)
    assert Api(people.sam).get(f"/tickets/{ticket.pk}").json()["tags"] == acted


@pytest.mark.parametrize("name", ["team", "assignee", "category", "organisation"])
@pytest.mark.parametrize("value", [-(10**22), 0, 2**63, 10**30])
def test_an_id_filter_out_of_range_is_a_400_not_a_database_error(people, name, value):
    """Found by schemathesis: ``category=-39764720230208735543296`` reached SQLite."""
    response = Api(people.alice).get("/tickets", **{name: value})
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("number", [2**63, 45138133146022699008, 10**30])
def test_a_ticket_number_past_64_bits_is_a_404_not_a_database_error(people, number):
    """Found by schemathesis: ``GET /tickets/45138133146022699008`` reached SQLite
    inside ``IN (...)``, where the number overflowed (a 500)."""
    for user in (people.alice, people.carol):
        response = Api(user).get(f"/tickets/{number}")
        assert response.status_code == 404, response.content
        assert response["Content-Type"] == "application/problem+json"


def test_staff_read_how_many_times_a_ticket_was_handed_on(people, ticket):
    """The desk's "Passed on N times", in the detail and the list; not for customers."""
    sam, carol = Api(people.sam), Api(people.carol)
    # From nobody to Alice: given out, not handed on.
    actions.assign_ticket(ticket, by=people.sam, assignee=people.alice, note="yours")
    assert sam.get(f"/tickets/{ticket.pk}").json()["transfers"] == 0
    actions.assign_ticket(ticket, by=people.sam, team=people.second_line, note="over to you")
    ticket.refresh_from_db()
    assert ticket.transfers == 1
    assert sam.get(f"/tickets/{ticket.pk}").json()["transfers"] == 1
    listed = sam.get("/tickets").json()["items"]
    assert [t["transfers"] for t in listed if t["number"] == ticket.pk] == [1]
    assert carol.get(f"/tickets/{ticket.pk}").json()["transfers"] is None
    assert {t["transfers"] for t in carol.get("/tickets").json()["items"]} == {None}


def test_an_acts_answer_and_a_get_write_the_same_times(people, ticket):
    # A get is written by pydantic, an act's answer by ninja's encoder: both to
    # the microsecond (Django's encoder alone cuts times to the millisecond).
    import datetime

    opened = datetime.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=datetime.UTC)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=opened)
    alice = Api(people.alice)
    acted = alice.client.post(
        f"/api/v1/tickets/{ticket.pk}/priority",
        json.dumps({"priority": "low"}),
        content_type="application/json",
    ).json()
    read = alice.get(f"/tickets/{ticket.pk}").json()
    assert acted["created_at"] == read["created_at"] == "2026-03-01T09:30:15.123456Z"
    assert acted["updated_at"] == read["updated_at"]

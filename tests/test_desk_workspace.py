"""The ticket page as a workspace, through HTTP: one submit for the side panel,
nothing changed when anything is refused, "Assign to me", replies that assign,
"Send and resolve", and a confirmation after each."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError

from frontline.tickets import actions
from frontline.tickets.models import (
    ClosureReason,
    EventKind,
    MessageKind,
    Priority,
    ReplyDraft,
    Status,
    Ticket,
)
from tests.conftest import login


def panel(ticket, **changes):
    """What the side panel posts: the ticket as it is, with ``changes``."""
    data = {
        "status": ticket.status,
        "priority": ticket.priority,
        "reason": "",
        "category": ticket.category_id or "",
        "tags": ", ".join(ticket.tags.values_list("name", flat=True)),
        "assignee": ticket.assignee_id or "",
        "closure_reason": ticket.closure_reason,
        "team": "",
        "note": "",
    }
    return data | changes


def kinds(ticket) -> list[str]:
    return list(ticket.events.order_by("pk").values_list("kind", flat=True))


def flashes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_one_submit_changes_everything_each_with_its_event(client, people, ticket):
    login(client, people.alice)
    before = kinds(ticket)
    response = client.post(
        f"/desk/tickets/{ticket.pk}/update/",
        panel(
            ticket,
            status=Status.WAITING_CUSTOMER,
            priority=Priority.HIGH,
            reason="Customer is a reseller",
            category=people.hardware.pk,
            tags="vip, refund",
            assignee=people.alice.pk,
        ),
        follow=True,
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CUSTOMER
    assert ticket.priority == Priority.HIGH
    assert ticket.category == people.hardware
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["refund", "vip"]
    assert ticket.assignee == people.alice
    new = kinds(ticket)[len(before) :]
    for kind in (EventKind.STATUS, EventKind.PRIORITY, EventKind.CATEGORY, EventKind.TAGS):
        assert new.count(kind) == 1, kind
    assert EventKind.ASSIGNEE in new
    said = " ".join(flashes(response))
    assert f"Status: {Status.WAITING_CUSTOMER.label}" in said
    assert "Priority: High" in said and "Tags: refund, vip" in said
    assert "Assigned to you" in said
    assert "Assigned to you" in response.content.decode()


def test_a_refused_field_changes_nothing(client, people, ticket):
    login(client, people.alice)
    before = kinds(ticket)
    # Handing over to Bob without a handoff note is refused, and with it the rest.
    response = client.post(
        f"/desk/tickets/{ticket.pk}/update/",
        panel(ticket, status=Status.RESOLVED, priority=Priority.URGENT, assignee=people.bob.pk),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was changed" in page
    assert "Write a handoff note for the next person." in page
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee) == (
        Status.NEW,
        Priority.NORMAL,
        None,
    )
    assert kinds(ticket) == before


def test_a_status_the_ticket_cannot_move_to_is_refused(client, people, ticket):
    login(client, people.alice)
    response = client.post(
        f"/desk/tickets/{ticket.pk}/update/",
        panel(ticket, status=Status.CLOSED, tags="urgent-looking"),
    )
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert not ticket.tags.exists()


def test_an_action_refusing_halfway_undoes_the_earlier_changes(client, people, ticket):
    login(client, people.alice)
    before = kinds(ticket)
    # The form cannot know Bob is not in First line; assign_ticket refuses it
    # after status and priority were changed, and those are rolled back.
    response = client.post(
        f"/desk/tickets/{ticket.pk}/update/",
        panel(
            ticket,
            status=Status.OPEN,
            priority=Priority.LOW,
            assignee=people.bob.pk,
            team=people.first_line.pk,
            note="Bob knows invoices",
        ),
    )
    assert response.status_code == 400
    assert "is not in First line" in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee) == (
        Status.NEW,
        Priority.NORMAL,
        None,
    )
    assert kinds(ticket) == before


def test_a_panel_submit_with_nothing_changed_says_so(client, people, ticket):
    login(client, people.alice)
    response = client.post(f"/desk/tickets/{ticket.pk}/update/", panel(ticket), follow=True)
    assert flashes(response) == ["Nothing was changed."]


def test_assign_to_me(client, people, ticket):
    login(client, people.alice)
    assert "Assign to me" in client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    response = client.post(f"/desk/tickets/{ticket.pk}/take/", follow=True)
    ticket.refresh_from_db()
    assert ticket.assignee == people.alice
    assert flashes(response) == ["Status: Open · Assigned to you"]
    assert "Assign to me" not in response.content.decode()


def test_taking_a_ticket_nobody_routed_needs_no_handoff_note(client, people):
    unrouted = actions.open_ticket(
        requester=people.carol, by=people.carol, subject="Hello?", body="Anyone there?"
    )
    assert unrouted.team is None
    login(client, people.alice)
    client.post(f"/desk/tickets/{unrouted.pk}/take/")
    unrouted.refresh_from_db()
    assert unrouted.assignee == people.alice and unrouted.team == people.first_line
    assert unrouted.handoff_note == ""


def test_replying_to_an_unassigned_ticket_assigns_it_to_the_replier(client, people, ticket):
    login(client, people.alice)
    response = client.post(
        f"/desk/tickets/{ticket.pk}/reply/", {"body": "We are looking into it."}, follow=True
    )
    ticket.refresh_from_db()
    assert ticket.assignee == people.alice
    assert flashes(response) == ["Reply sent to the customer. · Status: Open · Assigned to you"]
    # The customer sees a person on it, not a team name.
    login(client, people.carol)
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Alice" in page


def test_a_team_can_keep_replies_from_assigning(client, people, ticket):
    people.first_line.assign_on_reply = False
    people.first_line.save()
    login(client, people.alice)
    response = client.post(
        f"/desk/tickets/{ticket.pk}/reply/", {"body": "We are looking into it."}, follow=True
    )
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert flashes(response) == ["Reply sent to the customer. · Status: Open"]


def test_a_reply_from_outside_the_team_leaves_the_ticket_to_the_team(client, people, ticket):
    login(client, people.sam)
    client.post(f"/desk/tickets/{ticket.pk}/reply/", {"body": "A supervisor's word."})
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_replying_keeps_the_assignee_someone_already_has(client, people, ticket):
    actions.assign_ticket(
        ticket, by=people.sam, assignee=people.bob, note="Bob has the invoice tool"
    )
    login(client, people.sam)
    client.post(f"/desk/tickets/{ticket.pk}/reply/", {"body": "Bob will write."})
    ticket.refresh_from_db()
    assert ticket.assignee == people.bob


def test_send_and_resolve_is_one_submit(client, people, ticket):
    login(client, people.alice)
    assert "Send and resolve" in client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    response = client.post(
        f"/desk/tickets/{ticket.pk}/reply-resolve/",
        {"body": "Refunded the second charge.", "closure_reason": ClosureReason.SOLVED},
        follow=True,
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.closure_reason == ClosureReason.SOLVED
    assert ticket.messages.filter(kind=MessageKind.REPLY, author=people.alice).count() == 1
    said = flashes(response)[0]
    assert said.startswith("Reply sent to the customer.")
    assert "Status: Resolved" in said and "Assigned to you" in said


def test_send_and_resolve_without_a_message_changes_nothing(client, people, ticket):
    login(client, people.alice)
    response = client.post(f"/desk/tickets/{ticket.pk}/reply-resolve/", {"body": "  "})
    assert response.status_code == 400
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_send_and_wait_is_one_submit(client, people, ticket):
    login(client, people.alice)
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "Send and wait for the customer" in page
    response = client.post(
        f"/desk/tickets/{ticket.pk}/reply-wait/",
        {"body": "Please restart the router and tell us if it helps."},
        follow=True,
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CUSTOMER
    assert ticket.messages.filter(kind=MessageKind.REPLY, author=people.alice).count() == 1
    reply = ticket.events.get(kind=EventKind.REPLY)
    assert "asks" not in reply.data  # a reply to try, not a question to answer
    said = flashes(response)[0]
    assert said.startswith("Reply sent; the ticket waits for the customer.")
    assert "Status: Waiting for customer" in said
    # Already waiting: the button is not offered; the endpoint still just replies.
    assert "Send and wait" not in response.content.decode()


def test_send_and_wait_without_a_message_changes_nothing(client, people, ticket):
    login(client, people.alice)
    response = client.post(f"/desk/tickets/{ticket.pk}/reply-wait/", {"body": ""})
    assert response.status_code == 400
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW
    assert not ticket.messages.filter(author=people.alice).exists()


def test_send_and_wait_is_for_tickets_the_agent_may_see(client, people, ticket):
    login(client, people.bob)
    response = client.post(f"/desk/tickets/{ticket.pk}/reply-wait/", {"body": "Hello"})
    assert response.status_code == 404
    assert not ticket.messages.filter(author=people.bob).exists()


def test_the_panel_is_for_tickets_the_agent_may_see(client, people, ticket):
    actions.assign_ticket(ticket, by=people.sam, assignee=people.bob, note="Second line")
    login(client, people.alice)
    response = client.post(
        f"/desk/tickets/{ticket.pk}/update/", panel(ticket, status=Status.RESOLVED)
    )
    assert response.status_code == 404
    assert client.post(f"/desk/tickets/{ticket.pk}/take/").status_code == 404


# @mentions never fail silently.


def test_a_note_mentioning_someone_who_cannot_see_the_ticket_is_asked_about_first(
    client, people, ticket
):
    login(client, people.alice)
    url = f"/desk/tickets/{ticket.pk}/note/"
    body = "@bob could you check the invoice tool? @sam FYI"
    response = client.post(url, {"body": body, "minutes": "5"})
    assert response.status_code == 200
    assert not ticket.messages.filter(kind=MessageKind.NOTE).exists()  # not saved yet
    page = response.content.decode()
    assert "Not saved yet: check the @mentions." in page
    assert "Bob Builder (@bob) cannot see this ticket and will not be told." in page
    assert "@sam" not in page.split('id="mention-check"')[1].split("</div>")[0]
    # The note is kept in the box, in note mode, and the button confirms Bob.
    assert "could you check the invoice tool?" in page
    assert f'action="/desk/tickets/{ticket.pk}/note/"' in page
    assert f'value="note" data-action="/desk/tickets/{ticket.pk}/note/" checked' in page
    assert 'name="mentions_confirmed" value="bob"' in page
    response = client.post(
        url, {"body": body, "minutes": "5", "mentions_confirmed": "bob"}, follow=True
    )
    assert ticket.messages.filter(kind=MessageKind.NOTE).count() == 1
    said = flashes(response)
    assert said[0] == "Internal note added."
    assert said[-1] == "Bob Builder (@bob) cannot see this ticket, so was not told."


def test_a_name_added_after_confirming_is_asked_about_again(client, people, ticket):
    login(client, people.alice)
    response = client.post(
        f"/desk/tickets/{ticket.pk}/note/",
        {"body": "@bob and @nosuchuser", "mentions_confirmed": "bob"},
    )
    assert not ticket.messages.filter(kind=MessageKind.NOTE).exists()
    page = response.content.decode()
    assert "No colleague is called @nosuchuser: nobody will be told." in page
    assert 'name="mentions_confirmed" value="bob nosuchuser"' in page


def test_a_note_mentioning_nobody_is_saved_only_once_confirmed(client, people, ticket):
    login(client, people.alice)
    body = "Ask @nosuchuser. Mail alice@example.com is not a mention; @carol is a customer."
    url = f"/desk/tickets/{ticket.pk}/note/"
    page = client.post(url, {"body": body}).content.decode()
    assert not ticket.messages.filter(kind=MessageKind.NOTE).exists()
    assert "No colleague is called @nosuchuser: nobody will be told." in page
    assert "No colleague is called @carol: nobody will be told." in page
    response = client.post(
        url, {"body": body, "mentions_confirmed": "nosuchuser carol"}, follow=True
    )
    assert flashes(response)[1:] == [
        "No colleague is called @nosuchuser: nobody was told.",
        "No colleague is called @carol: nobody was told.",
    ]


def test_mentions_that_reach_someone_give_no_warning(client, people, ticket):
    login(client, people.alice)
    response = client.post(
        f"/desk/tickets/{ticket.pk}/note/", {"body": "@Sam, @alice."}, follow=True
    )
    assert flashes(response) == ["Internal note added."]


def test_a_public_reply_is_not_checked_for_mentions(client, people, ticket):
    login(client, people.alice)
    replies = ticket.messages.filter(kind=MessageKind.REPLY).count()
    response = client.post(f"/desk/tickets/{ticket.pk}/reply/", {"body": "Thanks @bob"})
    assert response.status_code == 302
    assert ticket.messages.filter(kind=MessageKind.REPLY).count() == replies + 1


def test_a_refused_note_comes_back_in_note_mode(client, people, ticket):
    login(client, people.alice)
    response = client.post(f"/desk/tickets/{ticket.pk}/note/", {"body": ""})
    assert response.status_code == 400
    assert 'class="composer mode-note"' in response.content.decode()


def test_mention_suggestions_are_colleagues_who_may_see_the_ticket(client, people, ticket):
    login(client, people.alice)
    url = f"/desk/tickets/{ticket.pk}/mentions/"
    page = client.get(url, {"q": "s"}).content.decode()
    assert 'data-mention="sam"' in page
    assert client.get(url, {"q": "bo"}).content.decode().strip() == ""  # Bob may not see it
    assert 'data-mention="alice"' in client.get(url, {"q": "Ali"}).content.decode()
    assert "carol" not in client.get(url, {"q": "c"}).content.decode()  # customers never
    assert client.get(url, {"q": ""}).content.decode().strip() == ""
    login(client, people.bob)
    assert client.get(url, {"q": "s"}).status_code == 404


def test_mention_suggestions_use_a_bounded_number_of_queries(
    client, people, ticket, django_assert_max_num_queries
):
    from tests.conftest import make_user

    for i in range(30):
        people.first_line.members.add(make_user(f"sara{i:02}", "agent"))
    login(client, people.alice)
    # Session, user, the agent's teams and the ticket, the candidates, then a
    # visibility check (two queries) for each until eight are found.
    with django_assert_max_num_queries(5 + 2 * 8):
        page = client.get(f"/desk/tickets/{ticket.pk}/mentions/", {"q": "sa"}).content.decode()
    assert page.count("data-mention=") == 8


def test_adding_and_removing_a_participant_confirm_too(client, people, ticket):
    login(client, people.alice)
    url = f"/desk/tickets/{ticket.pk}/participants/"
    response = client.post(url, {"email": "pat@acme.test", "name": "Pat Partner"}, follow=True)
    assert flashes(response) == ["Pat Partner takes part now."]
    pat = ticket.participants.get()
    response = client.post(f"{url}{pat.pk}/remove/", follow=True)
    assert flashes(response) == ["Pat Partner no longer takes part."]


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_panel_saved_in_place_answers_with_itself_and_what_changed(client, people, ticket):
    login(client, people.alice)
    response = client.post(
        f"/desk/tickets/{ticket.pk}/update/",
        panel(ticket, status=Status.OPEN, priority=Priority.HIGH),
        **HTMX,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page  # a fragment, not the page
    assert 'id="panel-body"' in page
    assert "Status: Open · Priority: High" in page
    # The badges at the top of the page come along, out of band, already changed.
    assert 'id="ticket-badges" hx-swap-oob="true"' in page
    assert 'class="prio prio-3"' in page
    # Said once, here: not again as a flash message on the next page.
    assert flashes(response) == []
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.OPEN, Priority.HIGH)


def test_the_panel_refused_in_place_shows_why_and_changes_nothing(client, people, ticket):
    login(client, people.alice)
    before = kinds(ticket)
    response = client.post(
        f"/desk/tickets/{ticket.pk}/update/",
        panel(ticket, priority=Priority.URGENT, assignee=people.bob.pk),
        **HTMX,
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "<html" not in page
    assert "Nothing was changed" in page
    assert "Write a handoff note for the next person." in page
    assert kinds(ticket) == before


def test_assign_to_me_in_place(client, people, ticket):
    login(client, people.alice)
    response = client.post(f"/desk/tickets/{ticket.pk}/take/", **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Assigned to you" in page
    assert "Assign to me" not in page  # the button goes once it is done
    assert "<strong data-assignee>Alice Agent</strong>" in page


def test_a_ticket_handed_out_of_sight_in_place_sends_the_agent_to_the_queue(client, people, ticket):
    login(client, people.alice)
    response = client.post(
        f"/desk/tickets/{ticket.pk}/update/",
        panel(ticket, team=people.second_line.pk, note="Needs a refund approval"),
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/desk/"
    assert "was handed over" in " ".join(flashes(response))


def test_the_one_field_endpoints_are_gone(client, people, ticket):
    login(client, people.alice)
    for act in ("assign", "status", "priority", "category", "tags"):
        response = client.post(f"/desk/tickets/{ticket.pk}/{act}/", {"status": "open"})
        assert response.status_code == 404, act


# Closure reasons: asked whenever staff resolve, kept for reports.


def test_resolving_in_the_panel_needs_a_closure_reason(client, people, ticket):
    login(client, people.alice)
    before = kinds(ticket)
    response = client.post(
        f"/desk/tickets/{ticket.pk}/update/",
        panel(ticket, status=Status.RESOLVED, priority=Priority.LOW),
    )
    assert response.status_code == 400
    assert "Say why the ticket is resolved." in response.content.decode()
    assert kinds(ticket) == before
    response = client.post(
        f"/desk/tickets/{ticket.pk}/update/",
        panel(ticket, status=Status.RESOLVED, closure_reason=ClosureReason.DUPLICATE),
        follow=True,
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.closure_reason) == (Status.RESOLVED, ClosureReason.DUPLICATE)
    event = ticket.events.filter(kind=EventKind.STATUS).latest("pk")
    assert event.data["closure_reason"] == "duplicate"
    # The ticket page says why, beside the status.
    assert "Duplicate of another request" in response.content.decode()


def test_send_and_resolve_without_a_closure_reason_sends_nothing(client, people, ticket):
    login(client, people.alice)
    response = client.post(
        f"/desk/tickets/{ticket.pk}/reply-resolve/", {"body": "Refunded the second charge."}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Say why the ticket is resolved." in page
    assert "Refunded the second charge." in page  # what was typed is kept
    assert ticket.messages.count() == 1
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_an_unknown_closure_reason_is_refused(client, people, ticket):
    login(client, people.alice)
    response = client.post(
        f"/desk/tickets/{ticket.pk}/reply-resolve/",
        {"body": "Done.", "closure_reason": "bored"},
    )
    assert response.status_code == 400
    assert ticket.messages.count() == 1
    with pytest.raises(ValidationError):
        actions.change_status(
            ticket, status=Status.RESOLVED, by=people.alice, closure_reason="bored"
        )


def test_reopening_forgets_the_closure_reason(people, ticket):
    actions.change_status(
        ticket, status=Status.RESOLVED, by=people.alice, closure_reason=ClosureReason.NO_ANSWER
    )
    actions.add_reply(ticket, body="Still broken!", by=people.carol)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.closure_reason == ""


def test_a_closed_ticket_keeps_its_closure_reason(people, ticket):
    actions.change_status(
        ticket, status=Status.RESOLVED, by=people.alice, closure_reason=ClosureReason.WORKAROUND
    )
    actions.confirm_solved(ticket, by=people.carol)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.closure_reason == ClosureReason.WORKAROUND


def test_bulk_resolving_needs_a_closure_reason(client, people, ticket):
    login(client, people.alice)
    client.post("/desk/bulk/", {"tickets": [ticket.pk], "status": Status.RESOLVED})
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW
    client.post(
        "/desk/bulk/",
        {"tickets": [ticket.pk], "status": Status.RESOLVED, "closure_reason": "not_reproducible"},
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.closure_reason) == (Status.RESOLVED, "not_reproducible")


def test_a_draft_survives_a_reload_and_a_colleague_sees_it(client, people, ticket):
    login(client, people.alice)
    response = client.post(
        f"/desk/tickets/{ticket.pk}/draft/",
        {"body": "We refunded the second", "draft_version": ""},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Draft saved" in response.content.decode()
    assert 'name="draft_version" value="1"' in response.content.decode()
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert ">We refunded the second</textarea>" in page and "Your draft, saved" in page
    login(client, people.sam)
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert ">We refunded the second</textarea>" in page
    assert "Draft by Alice Agent" in page
    # Sam, who has seen version 1, carries on and sends it: the draft is gone.
    client.post(
        f"/desk/tickets/{ticket.pk}/draft/",
        {"body": "We refunded the second charge.", "draft_version": "1"},
        **HTMX,
    )
    assert ReplyDraft.objects.get(ticket=ticket).updated_by == people.sam
    client.post(f"/desk/tickets/{ticket.pk}/reply/", {"body": "We refunded the second charge."})
    assert not ReplyDraft.objects.filter(ticket=ticket).exists()
    assert "Draft by" not in client.get(f"/desk/tickets/{ticket.pk}/").content.decode()


def test_saving_over_a_colleagues_newer_draft_is_refused(client, people, ticket):
    actions.save_draft(ticket, body="Sam's version", by=people.sam, seen=None)
    login(client, people.alice)
    for headers in (HTMX, {}):
        response = client.post(
            f"/desk/tickets/{ticket.pk}/draft/",
            {"body": "Alice's version", "draft_version": ""},
            **headers,
        )
        assert response.status_code == 409
        assert "Sam Supervisor changed this draft" in response.content.decode()
    assert ReplyDraft.objects.get(ticket=ticket).body == "Sam's version"
    # The author's own saves, from any tab, never conflict.
    actions.save_draft(ticket, body="Sam again", by=people.sam, seen=None)
    assert ReplyDraft.objects.get(ticket=ticket).version == 2


def test_the_save_draft_button_works_without_javascript_and_empty_discards(client, people, ticket):
    login(client, people.alice)
    response = client.post(
        f"/desk/tickets/{ticket.pk}/draft/", {"body": "Half a reply"}, follow=True
    )
    assert flashes(response) == ["Draft saved: colleagues on this ticket see it."]
    assert ReplyDraft.objects.get(ticket=ticket).body == "Half a reply"
    response = client.post(
        f"/desk/tickets/{ticket.pk}/draft/", {"body": " ", "draft_version": "1"}, follow=True
    )
    assert flashes(response) == ["Draft discarded."]
    assert not ReplyDraft.objects.exists()


def test_bad_drafts_get_a_clear_answer(client, people, ticket, settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "MAX_BODY_CHARS": 100}
    login(client, people.alice)
    response = client.post(f"/desk/tickets/{ticket.pk}/draft/", {"body": "x" * 101}, **HTMX)
    assert response.status_code == 400 and "the limit is 100" in response.content.decode()
    response = client.post(f"/desk/tickets/{ticket.pk}/draft/", {"body": "x" * 101})
    assert response.status_code == 400 and "the limit is 100" in response.content.decode()
    assert not ReplyDraft.objects.exists()
    # A version that is not one (too long, not a number) is as good as none.
    for version in ("12345678901234567890", "-1", "\u0661"):
        response = client.post(
            f"/desk/tickets/{ticket.pk}/draft/", {"body": "ok", "draft_version": version}, **HTMX
        )
        assert response.status_code == 200
    assert ReplyDraft.objects.get().body == "ok"


def test_drafts_are_for_staff_who_may_see_the_ticket(client, people, ticket):
    for user in (people.bob, people.carol):
        login(client, user)
        response = client.post(f"/desk/tickets/{ticket.pk}/draft/", {"body": "Peek"})
        assert response.status_code in (302, 403, 404)
    assert not ReplyDraft.objects.exists()
    with pytest.raises(PermissionDenied):
        actions.save_draft(ticket, body="Hi", by=people.carol, seen=None)


def test_without_javascript_a_note_sent_to_the_reply_address_stays_a_note(client, people, ticket):
    """The composer's address changes with the kind chosen only in JavaScript:
    a note (or a question) posted to the reply's address is still a note, and
    its @mentions are asked about first."""
    login(client, people.alice)
    replies = ticket.messages.filter(kind=MessageKind.REPLY).count()
    response = client.post(
        f"/desk/tickets/{ticket.pk}/reply/", {"mode": "note", "body": "@bob have a look"}
    )
    assert "Not saved yet: check the @mentions." in response.content.decode()
    response = client.post(
        f"/desk/tickets/{ticket.pk}/reply-resolve/",
        {"mode": "note", "body": "@bob have a look", "mentions_confirmed": "bob"},
    )
    assert response.status_code == 302
    assert ticket.messages.filter(kind=MessageKind.REPLY).count() == replies
    assert ticket.messages.filter(kind=MessageKind.NOTE).count() == 1
    ticket.refresh_from_db()
    assert ticket.status != Status.RESOLVED

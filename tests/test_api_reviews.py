"""A trainee's replies held for review through the API: the same actions and
access checks as the desk's "To review" page; nothing reaches the customer
before the mentor approves; bad payloads are a 400 problem, never a 500."""

from __future__ import annotations

import pytest

from frontline.knowledge.models import HeldReply, HeldReplyState, Traineeship
from frontline.mail.models import OutboundMessage
from frontline.tickets.models import EventKind, MessageKind, TicketEvent
from tests.conftest import make_user

from .test_api_tickets import Api

SECRET = "Refund approved: 40 euros back by Friday"


@pytest.fixture
def trainee(people):
    """Alice (First line) is learning; Bob, in First line too, mentors her."""
    Traineeship.objects.create(trainee=people.alice, mentor=people.bob)
    people.first_line.members.add(people.bob)
    return people.alice


def test_a_trainee_sends_for_review_and_the_mentor_approves_edited(
    people, ticket, trainee, django_capture_on_commit_callbacks
):
    alice = Api(trainee)
    # Replying directly is refused, as on every channel.
    assert alice.post(f"/tickets/{ticket.pk}/replies", {"body": SECRET}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        held = alice.post(f"/tickets/{ticket.pk}/held-replies", {"body": SECRET})
    assert held.status_code == 201, held.content
    out = held.json()
    assert (out["state"], out["body"], out["ticket"]) == ("held", SECRET, ticket.pk)
    assert out["trainee"]["id"] == trainee.pk and out["message"] is None
    assert not ticket.messages.filter(kind=MessageKind.REPLY, author=trainee).exists()
    assert not OutboundMessage.objects.filter(body__contains=SECRET).exists()
    assert [h["id"] for h in alice.get("/reviews/mine").json()] == [out["id"]]

    bob = Api(people.bob)
    assert [h["id"] for h in bob.get("/reviews").json()] == [out["id"]]
    with django_capture_on_commit_callbacks(execute=True):
        approved = bob.post(f"/reviews/{out['id']}/approve", {"body": SECRET + " (edited)"})
    assert approved.status_code == 200, approved.content
    result = approved.json()
    assert result["state"] == "approved" and result["edited"] is True
    assert result["decided_by"]["id"] == people.bob.pk and result["message"] is not None
    message = ticket.messages.get(pk=result["message"])
    assert message.author == trainee and message.body == SECRET + " (edited)"
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.REPLY)
    assert event.data["approved_by"] == people.bob.pk
    assert OutboundMessage.objects.filter(
        to_address=people.carol.email, body__contains="(edited)"
    ).exists()
    # Decided once: it is no longer there to decide on.
    assert bob.post(f"/reviews/{out['id']}/approve").status_code == 404
    assert bob.get("/reviews").json() == []


def test_the_mentor_sends_back_with_a_comment(people, ticket, trainee):
    held = Api(trainee).post(f"/tickets/{ticket.pk}/held-replies", {"body": SECRET}).json()
    bob = Api(people.bob)
    response = bob.post(f"/reviews/{held['id']}/send-back", {"comment": "Ask for the number."})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "returned"
    assert response.json()["comment"] == "Ask for the number."
    assert not ticket.messages.filter(kind=MessageKind.REPLY, author=trainee).exists()
    mine = Api(trainee).get("/reviews/mine").json()
    assert [(h["state"], h["comment"]) for h in mine] == [("returned", "Ask for the number.")]


def test_only_the_mentor_or_a_supervisor_decides(people, ticket, trainee):
    held = HeldReply.objects.create(ticket=ticket, trainee=trainee, body=SECRET)
    other = make_user("olga", "agent", name="Olga Other")
    people.first_line.members.add(other)
    for who in (other, trainee):  # sees the ticket but is not the mentor; the trainee herself
        api = Api(who)
        assert api.get("/reviews").json() == []
        assert api.post(f"/reviews/{held.pk}/approve").status_code == 404
        assert api.post(f"/reviews/{held.pk}/send-back", {"comment": "x"}).status_code == 404
    carol = Api(people.carol)
    assert carol.get("/reviews").status_code == 403
    assert carol.post(f"/reviews/{held.pk}/approve").status_code == 403
    assert carol.post(f"/tickets/{ticket.pk}/held-replies", {"body": "x"}).status_code == 403
    # A read-only token may list but not decide.
    assert Api(people.bob, scope="read").post(f"/reviews/{held.pk}/approve").status_code in (
        401,
        403,
    )
    held.refresh_from_db()
    assert held.state == HeldReplyState.HELD
    # A supervisor may decide on any trainee's reply.
    assert Api(people.sam).post(f"/reviews/{held.pk}/approve").status_code == 200


def test_someone_not_in_training_is_told_to_send_it_themselves(people, ticket):
    response = Api(people.sam).post(f"/tickets/{ticket.pk}/held-replies", {"body": "Hi"})
    assert response.status_code == 400
    assert "send it yourself" in response.json()["detail"]
    assert not HeldReply.objects.exists()


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("held", {}),
        ("held", {"body": ""}),
        ("held", {"body": ["a list"]}),
        ("held", {"body": "x" * 2_000_000}),
        ("back", {}),
        ("back", {"comment": ""}),
        ("back", {"comment": "   "}),
        ("back", {"comment": 42}),
        ("approve", {"body": {"nested": 1}}),
    ],
)
def test_bad_payloads_are_a_clear_400_never_a_500(people, ticket, trainee, path, payload):
    held = HeldReply.objects.create(ticket=ticket, trainee=trainee, body=SECRET)
    api = Api(trainee if path == "held" else people.bob)
    url = {
        "held": f"/tickets/{ticket.pk}/held-replies",
        "back": f"/reviews/{held.pk}/send-back",
        "approve": f"/reviews/{held.pk}/approve",
    }[path]
    response = api.post(url, payload)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    held.refresh_from_db()
    assert held.state == HeldReplyState.HELD and HeldReply.objects.count() == 1


def test_a_body_that_is_not_json_is_a_400(people, ticket, trainee):
    api = Api(trainee)
    response = api.client.post(
        f"/api/v1/tickets/{ticket.pk}/held-replies", "body=hi", content_type="application/json"
    )
    assert response.status_code == 400

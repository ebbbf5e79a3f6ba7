"""A trainee's public replies wait for their mentor: nothing reaches the customer
(mail, portal, API, search) before the mentor approves; the mentor approves,
edits or sends back with a comment; the trainee sees the outcome."""

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from html.parser import HTMLParser

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from frontline.api import actions as api_actions
from frontline.knowledge import reviews
from frontline.knowledge.models import HeldReply, HeldReplyState, Traineeship
from frontline.mail.inbound import receive
from frontline.mail.models import (
    InboundMessage,
    Notice,
    Notification,
    OutboundMessage,
    Outcome,
)
from frontline.tickets import actions
from frontline.tickets.models import EventKind, Message, MessageKind, TicketEvent
from tests.conftest import login, make_user
from tests.mail.test_inbound import mail, run_import

SECRET = "Refund approved: 40 euros back by Friday"


@pytest.fixture
def trainee(people):
    """Alice (First line) is learning; Bob mentors her."""
    Traineeship.objects.create(trainee=people.alice, mentor=people.bob)
    return people.alice


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def customer_facing_text(client, people, ticket) -> str:
    """Everything the requester can read of the ticket: the portal page, the API,
    their search, and the mail sent to them."""
    login(client, people.carol)
    seen = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    seen += client.get("/portal/search/", {"q": "refund"}).content.decode()
    _token, secret = api_actions.create_token(people.carol, name="t", scope="read", by=people.carol)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    seen += api.get(f"/api/v1/tickets/{ticket.pk}/messages").content.decode()
    for out in OutboundMessage.objects.filter(to_address=people.carol.email):
        seen += out.subject + out.body
    return seen


def test_a_trainees_reply_from_the_desk_waits_and_reaches_no_customer(
    client, people, ticket, trainee, committed
):
    login(client, trainee)
    with committed():
        response = client.post(f"/desk/tickets/{ticket.pk}/hold/", {"body": SECRET})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Your reply waits for your mentor" in page
    held = HeldReply.objects.get()
    assert held.state == HeldReplyState.HELD and held.body == SECRET
    assert not ticket.messages.filter(kind=MessageKind.REPLY, author=trainee).exists()
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.REPLY_HELD).exists()
    ticket.refresh_from_db()
    assert ticket.first_response_at is None  # the customer has no answer yet
    assert SECRET not in customer_facing_text(client, people, ticket)
    assert not OutboundMessage.objects.filter(body__contains=SECRET).exists()


def test_every_channel_refuses_to_send_a_trainees_reply_directly(
    client, people, ticket, trainee, committed
):
    login(client, trainee)
    with committed():
        # The desk's Send, Send and resolve, and Ask the customer.
        for url in ("reply", "reply-resolve", "request-info"):
            page = client.post(
                f"/desk/tickets/{ticket.pk}/{url}/",
                {"body": SECRET, "closure_reason": "solved"},
            )
            assert page.status_code == 400, url
            assert "Your replies go to your mentor first" in page.content.decode()
        # The API.
        _token, secret = api_actions.create_token(trainee, name="t", scope="write", by=trainee)
        api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        answer = api.post(
            f"/api/v1/tickets/{ticket.pk}/replies",
            {"body": SECRET},
            content_type="application/json",
        )
        assert answer.status_code in (400, 422)
        assert "mentor" in answer.content.decode()
        # Mail through the ticket's own reply address: held for review, not sent.
        raw = mail(sender="alice@example.com", body=SECRET, message_id="<t@x>").replace(
            b"To: support@frontline.test",
            f"To: support+t-{ticket.reply_token}@frontline.test".encode(),
        )
        inbound = receive(raw).inbound
        assert inbound.outcome == Outcome.REPLY and inbound.message is None
        assert HeldReply.objects.get().body == SECRET
        # An incident update is a public reply too.
        with pytest.raises(ValidationError):
            actions.add_reply(ticket, body=SECRET, by=trainee)
    assert not Message.objects.filter(body__contains=SECRET).exists()
    assert SECRET not in customer_facing_text(client, people, ticket)


def test_internal_notes_of_a_trainee_are_not_held(client, people, ticket, trainee):
    login(client, trainee)
    assert client.post(f"/desk/tickets/{ticket.pk}/note/", {"body": "Checking"}).status_code == 302
    assert ticket.messages.filter(kind=MessageKind.NOTE, author=trainee).exists()
    assert not HeldReply.objects.exists()


def test_the_mentor_approves_from_the_queue_and_only_then_the_customer_hears(
    client, people, ticket, trainee, committed
):
    held = reviews.hold_reply(ticket, body=SECRET, by=trainee)
    login(client, people.bob)  # the mentor, in another team: sees it through review
    actions.assign_ticket(ticket, by=people.sam, team=people.first_line)
    queue = client.get("/desk/review/").content.decode()
    # Bob may not see First line's tickets, so it is not his to approve.
    assert SECRET not in queue
    people.first_line.members.add(people.bob)
    queue = client.get("/desk/review/").content.decode()
    assert SECRET in queue and ticket.reference in queue and "Due" in queue
    edited = SECRET + "\n\nBest regards"
    with committed():
        response = client.post(f"/desk/review/{held.pk}/approve/", {"body": edited})
    assert response.status_code == 302
    assert "approved and sent" in client.get("/desk/review/").content.decode()
    held.refresh_from_db()
    assert held.state == HeldReplyState.APPROVED and held.edited and held.decided_by == people.bob
    message = held.message
    assert message.author == trainee and message.body == edited and not message.is_internal
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.REPLY)
    assert event.data["approved_by"] == people.bob.pk
    ticket.refresh_from_db()
    assert ticket.first_response_at == message.created_at
    assert OutboundMessage.objects.filter(
        to_address=people.carol.email, body__contains="Best regards"
    ).exists()
    # Decided once: a second approval changes nothing.
    assert client.post(f"/desk/review/{held.pk}/approve/").status_code == 404
    assert ticket.messages.filter(kind=MessageKind.REPLY, author=trainee).count() == 1
    # The trainee sees the outcome.
    login(client, trainee)
    mine = client.get("/desk/review/").content.decode()
    assert "Approved and sent" in mine and "edited by the mentor" in mine


def test_sending_back_needs_a_comment_and_the_trainee_reads_it(client, people, ticket, trainee):
    held = reviews.hold_reply(ticket, body=SECRET, by=trainee)
    login(client, people.sam)  # a supervisor may review any trainee
    url = f"/desk/review/{held.pk}/send-back/"
    refused = client.post(url, {"comment": "  "})
    assert refused.status_code == 400 and "Say what to change" in refused.content.decode()
    assert client.post(url, {"comment": "Ask for the invoice number first."}).status_code == 302
    held.refresh_from_db()
    assert held.state == HeldReplyState.RETURNED and held.message is None
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.REPLY_RETURNED).exists()
    assert not ticket.messages.filter(kind=MessageKind.REPLY, author=trainee).exists()
    login(client, trainee)
    mine = client.get("/desk/review/").content.decode()
    assert "Sent back" in mine and "Ask for the invoice number first." in mine
    assert client.post(f"/desk/review/{held.pk}/approve/").status_code == 404  # not hers


def test_only_the_mentor_or_a_supervisor_decides(client, people, ticket, trainee):
    held = reviews.hold_reply(ticket, body=SECRET, by=trainee)
    other = make_user("olga", "agent", name="Olga Other")
    people.first_line.members.add(other)
    login(client, other)  # sees the ticket, but is not Alice's mentor
    assert SECRET not in client.get("/desk/review/").content.decode()
    assert client.post(f"/desk/review/{held.pk}/approve/").status_code == 404
    with pytest.raises(PermissionDenied):
        reviews.approve_held_reply(held, by=other)
    with pytest.raises(PermissionDenied):
        reviews.approve_held_reply(held, by=trainee)  # not her own
    login(client, people.carol)
    assert client.get("/desk/review/").status_code == 404
    assert client.post(f"/desk/review/{held.pk}/approve/").status_code == 404
    held.refresh_from_db()
    assert held.state == HeldReplyState.HELD


def test_the_composer_offers_review_to_trainees_only(client, people, ticket, trainee):
    login(client, trainee)
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "Send for review" in page and "Send and resolve" not in page
    login(client, people.sam)
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "Send for review" not in page and "Send and resolve" in page


def test_an_empty_held_reply_is_a_clear_error(client, people, ticket, trainee):
    login(client, trainee)
    response = client.post(f"/desk/tickets/{ticket.pk}/hold/", {"body": ""}, follow=True)
    assert "Write a message." in response.content.decode()
    assert not HeldReply.objects.exists()
    with pytest.raises(ValidationError):
        reviews.hold_reply(ticket, body="Hi", by=people.sam)  # not a trainee


def test_files_or_minutes_sent_for_review_are_refused_not_dropped(client, people, ticket, trainee):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, trainee)
    url = f"/desk/tickets/{ticket.pk}/hold/"
    with_file = {"body": SECRET, "attachments": SimpleUploadedFile("refund.pdf", b"%PDF-1.4")}
    for data in (with_file, {"body": SECRET, "minutes": "15"}):
        response = client.post(url, data)
        assert response.status_code == 400
        page = response.content.decode()
        assert "Files and minutes cannot wait for review yet" in page
        assert SECRET in page  # the text is given back in the composer
    assert not HeldReply.objects.exists()
    assert not Message.objects.filter(body=SECRET).exists()


def test_the_mentor_hears_that_a_reply_waits_in_the_desk_and_by_mail(
    client, people, ticket, trainee, committed
):
    people.first_line.members.add(people.bob)  # the mentor may see the ticket
    login(client, trainee)
    with committed():
        client.post(f"/desk/tickets/{ticket.pk}/hold/", {"body": SECRET})
    notification = Notification.objects.get()
    assert notification.user == people.bob and notification.notice == Notice.REPLY_HELD
    assert notification.actor == trainee and notification.ticket_id == ticket.pk
    mailed = OutboundMessage.objects.get(notice=Notice.REPLY_HELD)
    assert mailed.to_address == people.bob.email
    assert "Alice Agent" in mailed.subject and "/desk/review/" in mailed.body
    assert SECRET not in mailed.subject + mailed.body  # read and decided on the queue
    assert (
        not OutboundMessage.objects.filter(to_address=people.carol.email)
        .exclude(notice=Notice.RECEIVED)
        .exists()
    )
    login(client, people.bob)
    listed = client.get("/desk/notifications/").content.decode()
    assert f"Alice Agent's reply on {ticket.reference} waits for your review" in listed
    opened = client.get(f"/desk/notifications/{notification.pk}/")
    assert opened.status_code == 302 and opened["Location"] == "/desk/review/"
    assert SECRET in client.get(opened["Location"]).content.decode()


def test_a_mentor_who_may_not_see_the_ticket_is_not_told(people, ticket, trainee, committed):
    with committed():
        reviews.hold_reply(ticket, body=SECRET, by=trainee)  # Bob is not in First line
    assert not Notification.objects.exists()
    assert not OutboundMessage.objects.filter(notice=Notice.REPLY_HELD).exists()


def answer_by_mail(notice: OutboundMessage, *, sender: str, body: str, **headers: str) -> bytes:
    """The .eml a mail program writes when ``sender`` answers ``notice``: to its
    Reply-To (the ticket's reply address), threaded, the notice quoted below."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = notice.reply_to
    msg["Subject"] = "Re: " + notice.subject
    msg["Message-ID"] = "<answer-1@mail.example.com>"
    msg["In-Reply-To"] = notice.message_id_header
    msg["References"] = notice.message_id_header
    for name, value in headers.items():
        msg[name] = value
    quoted = "\n".join("> " + line for line in notice.body.splitlines())
    msg.set_content(f"{body}\n\nOn Monday, Frontline wrote:\n{quoted}\n")
    return msg.as_bytes()


@pytest.fixture
def notice_to_trainee(people, ticket, trainee, committed) -> OutboundMessage:
    """Alice has Carol's ticket; Carol writes again and Alice is mailed the
    "customer replied" notice, with the ticket's reply address."""
    with committed():
        actions.assign_ticket(ticket, by=trainee, assignee=trainee)
        actions.add_reply(ticket, body="Any news?", by=people.carol)
    return OutboundMessage.objects.filter(to_address=trainee.email, ticket=ticket).latest("pk")


def test_a_trainees_reply_by_mail_waits_for_the_mentor_and_reaches_no_customer(
    client, people, ticket, trainee, notice_to_trainee, committed, tmp_path
):
    people.first_line.members.add(people.bob)  # the mentor may see the ticket
    eml = tmp_path / "answer.eml"
    eml.write_bytes(
        answer_by_mail(notice_to_trainee, sender="Alice Agent <alice@example.com>", body=SECRET)
    )
    to_carol = OutboundMessage.objects.filter(to_address=people.carol.email).count()
    with committed():
        printed = run_import(eml)
        run_import(eml)  # the same file again: a duplicate, not a second held reply
    assert "replies 1" in printed and "quarantined 0" in printed
    inbound = InboundMessage.objects.get(outcome=Outcome.REPLY)
    assert inbound.ticket == ticket and inbound.message is None
    assert "held for their mentor's review" in inbound.reason
    held = HeldReply.objects.get()
    assert held.trainee == trainee and held.state == HeldReplyState.HELD
    assert held.body.startswith(SECRET) and held.ticket == ticket
    assert not Message.objects.filter(body__contains=SECRET).exists()
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert OutboundMessage.objects.filter(to_address=people.carol.email).count() == to_carol
    assert SECRET not in customer_facing_text(client, people, ticket)
    # The mentor is told, as for a reply sent for review in the desk.
    assert Notification.objects.filter(user=people.bob, notice=Notice.REPLY_HELD).exists()
    assert OutboundMessage.objects.filter(to_address=people.bob.email, notice=Notice.REPLY_HELD)
    # Approved on the queue, it goes out as the trainee's reply, and only then.
    login(client, people.bob)
    assert SECRET in client.get("/desk/review/").content.decode()
    with committed():
        assert client.post(f"/desk/review/{held.pk}/approve/").status_code == 302
    assert ticket.messages.get(kind=MessageKind.REPLY, author=trainee).body.startswith(SECRET)
    assert OutboundMessage.objects.filter(
        to_address=people.carol.email, body__contains=SECRET
    ).exists()


def test_a_trainees_mail_keeps_its_files_and_copies_out_of_the_held_reply(
    client, people, ticket, trainee, notice_to_trainee, committed, tmp_path
):
    raw = answer_by_mail(
        notice_to_trainee,
        sender="alice@example.com",
        body=SECRET,
        Cc="Dan Outsider <dan@elsewhere.example>",
    )
    msg = message_from_bytes(raw, policy=default_policy)
    msg.add_attachment(
        b"%PDF-1.4 refund", maintype="application", subtype="pdf", filename="refund.pdf"
    )
    eml = tmp_path / "answer.eml"
    eml.write_bytes(msg.as_bytes())
    with committed():
        run_import(eml)
    inbound = InboundMessage.objects.get(sender="alice@example.com")
    assert inbound.outcome == Outcome.REPLY
    assert "files not held with the reply, kept in the raw message: refund.pdf" in inbound.reason
    assert "copied, not added (the reply waits for review): dan@elsewhere.example" in inbound.reason
    assert HeldReply.objects.get().body.startswith(SECRET)
    assert not ticket.attachments.exists()
    assert not ticket.participants.exists()
    assert not OutboundMessage.objects.filter(to_address="dan@elsewhere.example").exists()
    assert SECRET not in customer_facing_text(client, people, ticket)


def test_a_trainees_mail_without_the_reply_address_is_still_quarantined(
    people, ticket, trainee, notice_to_trainee, tmp_path
):
    raw = answer_by_mail(notice_to_trainee, sender="alice@example.com", body=SECRET)
    eml = tmp_path / "forged.eml"
    eml.write_bytes(raw.replace(notice_to_trainee.reply_to.encode(), b"support@frontline.test"))
    assert "quarantined 1" in run_import(eml)
    assert not HeldReply.objects.exists()


class _Composer(HTMLParser):
    """What a browser without JavaScript sends from the desk's composer: its
    address (or the pressed button's ``formaction``) and its named fields."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.action = ""
        self.fields: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}
        self.buttons: dict[str, str] = {}  # label -> formaction
        self._button: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "composer":
            self.inside, self.action = True, a["action"] or ""
        elif not self.inside:
            return
        elif tag == "input" and a.get("type") == "radio":
            self.radios.setdefault(a["name"], []).append(a["value"])
            if "checked" in a:
                self.fields[a["name"]] = a["value"]
        elif tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "button" and a.get("type") == "submit":
            self._button = a.get("formaction") or self.action

    def handle_data(self, data):
        if self._button is not None and data.strip():
            self.buttons[data.strip()] = self._button
            self._button = None

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def press(client, ticket, *, button: str, mode: str, body: str):
    """Choose ``mode`` in the composer of the ticket page, type ``body`` and press
    ``button``, as a browser without JavaScript does (the form's address does
    not follow the mode: only the script changes it)."""
    form = _Composer()
    form.feed(client.get(f"/desk/tickets/{ticket.pk}/").content.decode())
    assert mode in form.radios["mode"] and button in form.buttons, (form.radios, form.buttons)
    data = {**form.fields, "mode": mode, "body": body}
    return client.post(form.buttons[button], data, follow=True)


@pytest.mark.parametrize("button", ["Send for review", "Send"])
def test_without_javascript_a_trainees_internal_note_stays_a_note_whatever_the_button(
    client, people, ticket, trainee, committed, button
):
    login(client, trainee)
    with committed():
        page = press(client, ticket, button=button, mode="note", body=SECRET)
    assert page.status_code == 200 and "Internal note added." in page.content.decode()
    assert ticket.messages.get(body=SECRET).kind == MessageKind.NOTE
    assert not HeldReply.objects.exists()
    assert not TicketEvent.objects.filter(kind=EventKind.REPLY_HELD).exists()
    assert SECRET not in customer_facing_text(client, people, ticket)


def test_without_javascript_a_trainees_public_reply_goes_for_review_only(
    client, people, ticket, trainee, committed
):
    login(client, trainee)
    with committed():
        page = press(client, ticket, button="Send for review", mode="reply", body=SECRET)
        assert "Your reply waits for your mentor" in page.content.decode()
        refused = press(client, ticket, button="Send", mode="reply", body=SECRET + " again")
    assert refused.status_code == 400
    assert "Your replies go to your mentor first" in refused.content.decode()
    assert HeldReply.objects.get().body == SECRET
    assert not Message.objects.filter(body__contains=SECRET).exists()
    assert SECRET not in customer_facing_text(client, people, ticket)

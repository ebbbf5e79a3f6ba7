"""Outbound mail: who hears what, threaded so answers come back, sent with retries."""

import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import time_machine
from django.utils import timezone

from frontline.accounts.models import Role
from frontline.mail import outbound
from frontline.mail.inbound import receive
from frontline.mail.models import (
    Delivery,
    Mailbox,
    Notice,
    NotificationTemplate,
    OutboundMessage,
    Outcome,
)
from frontline.tickets import actions
from frontline.tickets.models import EventKind, MessageKind, Status
from tests.conftest import login, make_user


@pytest.fixture
def support(db):
    return Mailbox.objects.create(name="Acme Support", address="support@frontline.test")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the action queues after commit (notices, then sends), as production does."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def sent_to(mailoutbox, address):
    return [m for m in mailoutbox if address in m.to]


def test_a_new_request_is_acknowledged_with_its_number_and_a_tokened_reply_address(
    people, support, mailoutbox, committed
):
    with committed():
        ticket = actions.open_ticket(
            requester=people.carol,
            by=people.carol,
            subject="Printer jams",
            body="It jams on every page.",
            category=people.billing,
        )
    (ack,) = sent_to(mailoutbox, "carol@example.com")
    assert ack.subject.startswith(f"[#{ticket.pk}] ")
    assert "Printer jams" in ack.subject
    assert f"/portal/tickets/{ticket.pk}/" in ack.body
    assert ack.reply_to == [f"support+t-{ticket.reply_token}@frontline.test"]
    assert "support@frontline.test" in ack.from_email
    assert ack.extra_headers["Auto-Submitted"] == "auto-replied"
    row = OutboundMessage.objects.get(ticket=ticket, notice=Notice.RECEIVED)
    assert row.status == Delivery.SENT and row.attempts == 1
    assert ack.extra_headers["Message-ID"] == row.message_id_header


def test_an_agent_reply_reaches_the_customer_threaded_and_the_answer_comes_back(
    people, support, mailoutbox, committed
):
    with committed():
        first = receive(
            b"From: Carol Customer <carol@example.com>\r\nTo: support@frontline.test\r\n"
            b"Subject: VPN down\r\nMessage-ID: <first@carol.example>\r\n\r\nThe VPN is down.\r\n",
            mailbox=support,
        ).inbound
    ticket = first.ticket
    mailoutbox.clear()
    with committed():
        actions.add_reply(ticket, body="Please restart the client.", by=people.alice)
    (reply,) = sent_to(mailoutbox, "carol@example.com")
    assert reply.body.startswith("Please restart the client.")
    assert "Alice Agent" in reply.from_email
    assert reply.extra_headers["In-Reply-To"] == "<first@carol.example>"
    assert "<first@carol.example>" in reply.extra_headers["References"]
    assert "Auto-Submitted" not in reply.extra_headers
    ours = reply.extra_headers["Message-ID"]

    # The customer answers from a client that keeps only In-Reply-To, and
    # changes the subject: it still lands on the ticket.
    answer = EmailMessage()
    answer["From"] = "carol@example.com"
    answer["To"] = "support@frontline.test"
    answer["Subject"] = "still broken"
    answer["Message-ID"] = "<second@carol.example>"
    answer["In-Reply-To"] = ours
    answer.set_content("Restarted, still down.")
    with committed():
        result = receive(answer.as_bytes(), mailbox=support).inbound
    assert result.outcome == Outcome.REPLY and result.ticket == ticket


def test_internal_notes_are_never_mailed_to_customers_and_mentions_reach_colleagues(
    people, ticket, mailoutbox, committed
):
    mailoutbox.clear()
    with committed():
        actions.add_note(
            ticket,
            body="@sam @bob can you check the ledger? Secret: 4711",
            by=people.alice,
        )
    assert sent_to(mailoutbox, "carol@example.com") == []
    # Sam (a supervisor) sees every ticket; Bob's team does not have this one.
    (mention,) = mailoutbox
    assert mention.to == ["sam@example.com"]
    assert "Secret: 4711" in mention.body and "does not see it" in mention.body
    note = ticket.messages.get(kind=MessageKind.NOTE)
    with pytest.raises(ValueError):
        outbound.notify(Notice.REPLY, ticket.pk, message_id=note.pk)


def test_asking_for_information_sends_one_mail_and_waits(people, ticket, mailoutbox, committed):
    mailoutbox.clear()
    with committed():
        actions.request_information(ticket, body="Which card did you use?", by=people.alice)
    (ask,) = sent_to(mailoutbox, "carol@example.com")
    assert "Which card did you use?" in ask.body
    assert "waiting for your answer" in ask.body
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CUSTOMER


def test_resolving_says_how_to_reopen_and_closing_says_goodbye(
    people, ticket, mailoutbox, committed
):
    with committed():
        actions.assign_ticket(ticket, by=people.alice, assignee=people.alice)
    mailoutbox.clear()
    with committed():
        actions.change_status(ticket, status=Status.RESOLVED, by=people.alice)
    # Besides the satisfaction survey (frontline.reports), its own mail for now.
    resolved, survey = sent_to(mailoutbox, "carol@example.com")
    assert "How did we do?" in survey.subject
    assert "just reply" in resolved.body.lower() and "Alice Agent" in resolved.body
    # Closed quietly after the quiet period: she hears of it.
    mailoutbox.clear()
    with committed():
        assert actions.close_quiet_resolved(now=timezone.now() + datetime.timedelta(days=30)) == 1
    (closed,) = sent_to(mailoutbox, "carol@example.com")
    assert "closed" in closed.subject.lower() and "reply to this mail" in closed.body


def test_customers_are_not_told_what_they_did_themselves(people, ticket, mailoutbox, committed):
    with committed():
        actions.change_status(ticket, status=Status.RESOLVED, by=people.alice)
    mailoutbox.clear()
    with committed():
        actions.confirm_solved(ticket, by=people.carol)
    assert sent_to(mailoutbox, "carol@example.com") == []


def test_staff_hear_of_assignment_team_handoffs_and_customer_replies(
    people, ticket, mailoutbox, committed
):
    mailoutbox.clear()
    with committed():
        actions.assign_ticket(
            ticket, by=people.sam, assignee=people.alice, note="Refund the second charge."
        )
    (assigned,) = sent_to(mailoutbox, "alice@example.com")
    assert "Refund the second charge." in assigned.body
    assert f"/desk/tickets/{ticket.pk}/" in assigned.body
    mailoutbox.clear()
    with committed():
        actions.add_reply(ticket, body="Any news?", by=people.carol)
    (replied,) = sent_to(mailoutbox, "alice@example.com")
    assert "Any news?" in replied.body and "Carol" in replied.subject
    mailoutbox.clear()
    with committed():
        actions.assign_ticket(
            ticket, by=people.alice, team=people.second_line, note="Ledger fix needed."
        )
    (team,) = sent_to(mailoutbox, "bob@example.com")
    assert "Second line" in team.subject and "Ledger fix needed." in team.body
    assert sent_to(mailoutbox, "alice@example.com") == []  # who acted is not told


def test_names_and_subjects_cannot_inject_headers(people, support, mailoutbox, committed):
    eve = make_user("eve", Role.CUSTOMER, name="Eve\r\nBcc: victim@example.com")
    with committed():
        ticket = actions.open_ticket(
            requester=eve,
            by=eve,
            subject="Hello\r\nBcc: victim@example.com",
            body="Hi",
        )
    with committed():
        actions.add_reply(ticket, body="Hi Eve", by=people.alice)
    assert mailoutbox
    for message in mailoutbox:
        raw = message.message().as_bytes()
        parsed = message_from_bytes(raw, policy=policy.default)
        assert parsed["Bcc"] is None
        assert "\n" not in message.subject and "\r" not in message.subject
        assert message.recipients() == ["eve@example.com"]


def test_automatic_replies_to_one_address_are_rate_limited(
    db, support, mailoutbox, settings, committed
):
    settings.FRONTLINE = {**settings.FRONTLINE, "AUTO_REPLIES_PER_HOUR": 3}
    for n in range(5):
        with committed():
            receive(
                (
                    f"From: flood@spam.test\r\nTo: support@frontline.test\r\nSubject: n{n}\r\n"
                    f"Message-ID: <n{n}@spam.test>\r\n\r\nbody {n}\r\n"
                ).encode(),
                mailbox=support,
            )
    assert len(sent_to(mailoutbox, "flood@spam.test")) == 3
    suppressed = OutboundMessage.objects.filter(status=Delivery.SUPPRESSED)
    assert suppressed.count() == 2
    assert "limit" in suppressed.first().reason
    # An hour later the address gets acknowledgements again.
    an_hour_later = timezone.now() + datetime.timedelta(hours=1, minutes=1)
    with time_machine.travel(an_hour_later), committed():
        receive(
            b"From: flood@spam.test\r\nTo: support@frontline.test\r\nSubject: later\r\n"
            b"Message-ID: <later@spam.test>\r\n\r\nlater\r\n",
            mailbox=support,
        )
    assert len(sent_to(mailoutbox, "flood@spam.test")) == 4


def test_our_own_mailboxes_never_get_notices(db, people, support, mailoutbox, committed):
    loop = make_user("loop", Role.CUSTOMER, name="Loop")
    loop.email = "Support@frontline.test"
    loop.save()
    with committed():
        actions.open_ticket(requester=loop, by=loop, subject="Echo", body="echo")
    assert mailoutbox == []


def test_an_admins_template_overrides_the_built_in_wording(people, mailoutbox, committed):
    NotificationTemplate.objects.create(
        notice=Notice.RECEIVED,
        subject="Got it, {{ recipient_name }}",
        body="Ticket {{ ticket.reference }} & friends. {{ portal_url }}",
    )
    with committed():
        ticket = actions.open_ticket(
            requester=people.carol, by=people.carol, subject="Toner", body="Out of toner."
        )
    (ack,) = mailoutbox
    assert ack.subject == f"[#{ticket.pk}] Got it, Carol"
    assert ack.body.startswith(f"Ticket #{ticket.pk} & friends. http")


def test_notices_are_written_in_the_recipients_language(people, mailoutbox, committed):
    people.carol.language = "ru"
    people.carol.save()
    with committed():
        actions.open_ticket(
            requester=people.carol, by=people.carol, subject="Toner", body="Нет тонера"
        )
    (ack,) = mailoutbox
    assert "Здравствуйте" in ack.body or "Мы получили" in ack.subject


def test_a_failing_server_is_retried_with_backoff_then_shown_on_the_ticket(
    people, settings, mailoutbox, committed
):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": _closed_port(), "timeout": 2},
        }
    }
    settings.FRONTLINE = {**settings.FRONTLINE, "MAIL_MAX_ATTEMPTS": 3}
    with committed():
        ticket = actions.open_ticket(
            requester=people.carol, by=people.carol, subject="Toner", body="Out of toner."
        )
    row = OutboundMessage.objects.get(ticket=ticket)
    assert row.status == Delivery.QUEUED and row.attempts == 1
    assert "Connection" in row.reason or "refused" in row.reason.lower()
    # Not due yet: the sweep does not try again before the backoff has passed.
    assert outbound.retry_due() == 0
    later = timezone.now()
    for minutes in (2, 10):
        later += datetime.timedelta(minutes=minutes)
        with time_machine.travel(later):
            assert outbound.retry_due() == 1
    row.refresh_from_db()
    assert row.status == Delivery.FAILED and row.attempts == 3
    failure = ticket.events.get(kind=EventKind.MAIL_FAILED)
    assert failure.data["to"] == "carol@example.com"
    client = login(__import__("django.test", fromlist=["Client"]).Client(), people.alice)
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "could not be sent" in page
    # Once the server is back, an admin sends it again.
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    with committed():
        outbound.send_again(row)
    row.refresh_from_db()
    assert row.status == Delivery.SENT and len(mailoutbox) == 1


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collect:
    """An aiosmtpd handler that keeps what it receives; refuses while ``refuse`` is set."""

    def __init__(self):
        self.envelopes = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 4.3.0 try again later"
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    from aiosmtpd.controller import Controller

    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=_closed_port())
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 5},
        }
    }
    yield handler
    controller.stop()


def test_a_real_smtp_server_gets_well_formed_threaded_mail(people, support, smtp_server, committed):
    people.alice.first_name, people.alice.last_name = "Алиса", "Агентова"
    people.alice.save()
    with committed():
        ticket = actions.open_ticket(
            requester=people.carol, by=people.carol, subject="Принтер 打印机", body="Jams."
        )
    with committed():
        actions.add_reply(ticket, body="Пожалуйста, перезагрузите. 请重启。", by=people.alice)
    ack, reply = smtp_server.envelopes
    assert ack.rcpt_tos == ["carol@example.com"] and reply.rcpt_tos == ["carol@example.com"]
    parsed = message_from_bytes(reply.original_content, policy=policy.default)
    assert parsed["Subject"] == f"[#{ticket.pk}] Re: Принтер 打印机"
    assert parsed["From"].addresses[0].display_name == "Алиса Агентова | Acme Support"
    assert parsed["Reply-To"].addresses[0].addr_spec == (
        f"support+t-{ticket.reply_token}@frontline.test"
    )
    first = message_from_bytes(ack.original_content, policy=policy.default)
    assert parsed["In-Reply-To"] == first["Message-ID"]
    assert parsed.get_content().startswith("Пожалуйста, перезагрузите. 请重启。")


def test_a_temporary_smtp_refusal_is_retried_and_then_delivered(people, smtp_server, committed):
    smtp_server.refuse = True
    with committed():
        ticket = actions.open_ticket(
            requester=people.carol, by=people.carol, subject="Toner", body="Out."
        )
    row = OutboundMessage.objects.get(ticket=ticket)
    assert row.status == Delivery.QUEUED and "451" in row.reason
    smtp_server.refuse = False
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=2)), committed():
        assert outbound.retry_due() == 1
    row.refresh_from_db()
    assert row.status == Delivery.SENT and row.attempts == 2
    assert len(smtp_server.envelopes) == 1


def test_people_taking_part_hear_public_replies_but_never_notes(
    people, ticket, mailoutbox, committed
):
    with committed():
        actions.add_participant(ticket, user=people.erin, by=people.alice)
    mailoutbox.clear()
    with committed():
        actions.add_reply(ticket, body="Refund is on its way.", by=people.alice)
        actions.add_note(ticket, body="Refund approved by finance.", by=people.alice)
    assert sorted(m.to[0] for m in mailoutbox) == ["carol@example.com", "erin@example.com"]
    assert all("Refund is on its way." in m.body for m in mailoutbox)


def test_the_acknowledgement_goes_to_the_sender_only_not_to_everyone_copied(
    db, support, mailoutbox, committed
):
    cc = ", ".join(f"p{n}@partner.test" for n in range(15))
    with committed():
        ticket = receive(
            (
                "From: boss@client.test\r\nTo: support@frontline.test\r\n"
                f"Cc: {cc}\r\nSubject: Outage\r\nMessage-ID: <o1@client.test>\r\n\r\nDown.\r\n"
            ).encode(),
            mailbox=support,
        ).inbound.ticket
    assert ticket.participants.count() == 15
    assert [m.to for m in mailoutbox] == [["boss@client.test"]]


def test_a_reply_no_person_wrote_is_marked_automatic_and_rate_limited(
    people, ticket, mailoutbox, committed, settings
):
    settings.FRONTLINE = {**settings.FRONTLINE, "AUTO_REPLIES_PER_HOUR": 2}
    mailoutbox.clear()
    for n in range(3):
        with committed():
            actions.add_reply(ticket, body=f"Automatic answer {n}", by=None)
    assert len(mailoutbox) == 2
    assert all(m.extra_headers["Auto-Submitted"] == "auto-replied" for m in mailoutbox)
    with committed():
        actions.add_reply(ticket, body="A person writes", by=people.alice)
    assert "Auto-Submitted" not in mailoutbox[-1].extra_headers  # people are never limited


def test_admin_templates_see_plain_values_only_and_a_broken_one_falls_back(
    people, ticket, mailoutbox, committed
):
    from django.core.exceptions import ValidationError

    actions.assign_ticket(ticket, by=people.alice, assignee=people.alice)
    NotificationTemplate.objects.create(
        notice=Notice.REPLY,
        subject="Re: {{ ticket.subject }}",
        body="[{{ ticket.assignee.password }}][{{ recipient.password }}]"
        "{% for m in ticket.messages.all %}{{ m.body }}{% endfor %}{{ body }}",
    )
    with committed():
        actions.add_note(ticket, body="Internal: refund via the back office", by=people.alice)
        actions.add_reply(ticket, body="Refund on its way.", by=people.alice)
    (reply,) = sent_to(mailoutbox, "carol@example.com")
    assert reply.body.strip() == "[][]Refund on its way."
    assert "back office" not in reply.body and "md5" not in reply.body
    broken = NotificationTemplate(notice=Notice.RESOLVED, subject="{% if %}", body="x")
    with pytest.raises(ValidationError):
        broken.full_clean()
    broken.save()  # saved around the admin: the mail still goes, in the built-in words
    mailoutbox.clear()
    with committed():
        actions.change_status(ticket, status=Status.RESOLVED, by=people.alice)
    resolved, _survey = mailoutbox  # the satisfaction survey (frontline.reports) is its own
    assert "just reply" in resolved.body.lower()


def test_a_send_that_never_reported_back_fails_instead_of_going_out_again(
    people, ticket, settings, committed
):
    settings.FRONTLINE = {**settings.FRONTLINE, "MAIL_MAX_ATTEMPTS": 1}
    row = outbound.compose(Notice.REPLY, people.carol, ticket=ticket, actor=people.alice)
    # The worker claimed the one attempt and died before it could say how it went.
    OutboundMessage.objects.filter(pk=row.pk).update(attempts=1, next_attempt_at=timezone.now())
    assert outbound.deliver(row.pk).status == Delivery.QUEUED  # not claimable any more
    later = timezone.now() + datetime.timedelta(minutes=1)
    assert outbound.retry_due(now=later) == 0
    row.refresh_from_db()
    assert row.status == Delivery.FAILED and "never finished" in row.reason
    assert ticket.events.filter(kind=EventKind.MAIL_FAILED).exists()


def test_a_team_that_assigns_automatically_does_not_also_get_a_team_mail(
    people, ticket, mailoutbox, committed
):
    from frontline.routing.models import Strategy, TeamRouting

    TeamRouting.objects.create(team=people.second_line, strategy=Strategy.ROUND_ROBIN)
    mailoutbox.clear()
    with committed():
        actions.assign_ticket(ticket, by=people.alice, team=people.second_line, note="Ledger.")
    ticket.refresh_from_db()
    assert ticket.assignee == people.bob
    assert [m.subject.split("]")[1].strip().split(":")[0] for m in mailoutbox] == ["Yours now"]


def test_a_move_to_an_automatic_team_mails_once_whichever_worker_runs_first(
    people, ticket, mailoutbox, django_capture_on_commit_callbacks
):
    """The team's notice and its automatic assignment are one task: run in any
    order (two workers), the after-commit work mails the assignee only."""
    from frontline.routing.models import Strategy, TeamRouting

    TeamRouting.objects.create(team=people.second_line, strategy=Strategy.ROUND_ROBIN)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks() as queued:
        actions.assign_ticket(ticket, by=people.alice, team=people.second_line, note="Ledger.")
    with django_capture_on_commit_callbacks(execute=True):  # and what they queue
        for run in reversed(queued):
            run()
    ticket.refresh_from_db()
    assert ticket.assignee == people.bob
    assert [m.to for m in mailoutbox] == [["bob@example.com"]]
    assert "Yours now" in mailoutbox[0].subject


def test_an_automatic_team_that_finds_nobody_free_gets_the_team_mail(
    people, ticket, mailoutbox, committed
):
    from frontline.routing.models import AgentStatus, Availability, Strategy, TeamRouting

    TeamRouting.objects.create(team=people.second_line, strategy=Strategy.ROUND_ROBIN)
    for member in people.second_line.members.all():
        AgentStatus.objects.create(user=member, availability=Availability.AWAY)
    mailoutbox.clear()
    with committed():
        actions.assign_ticket(ticket, by=people.alice, team=people.second_line, note="Ledger.")
    ticket.refresh_from_db()
    assert ticket.assignee is None
    (team,) = sent_to(mailoutbox, "bob@example.com")
    assert "Second line" in team.subject and "Ledger." in team.body
    assert sent_to(mailoutbox, "alice@example.com") == []  # who acted is not told


def test_two_quick_moves_tell_only_the_team_that_has_the_ticket(
    people, ticket, mailoutbox, django_capture_on_commit_callbacks
):
    """Moved on before the worker ran: the team it left hears nothing, the team
    that has it hears once."""
    with django_capture_on_commit_callbacks() as queued:
        actions.assign_ticket(ticket, by=people.sam, team=people.second_line, note="Ledger.")
        actions.assign_ticket(ticket, by=people.bob, team=people.first_line, note="Back to you.")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for run in queued:
            run()
    first_line = set(people.first_line.members.values_list("email", flat=True))
    told = [m.to[0] for m in mailoutbox if "Back to you." in m.body]
    assert told and sorted(told) == sorted(first_line - {"bob@example.com"})  # once each
    assert all("Ledger." not in m.body for m in mailoutbox)  # Second line was not told


def test_a_resolved_ticket_moved_to_a_team_is_still_told_to_it(
    people, ticket, mailoutbox, committed
):
    from frontline.routing.models import Strategy, TeamRouting

    TeamRouting.objects.create(team=people.second_line, strategy=Strategy.ROUND_ROBIN)
    actions.change_status(ticket, status=Status.RESOLVED, by=people.alice)
    mailoutbox.clear()
    with committed():
        actions.assign_ticket(ticket, by=people.alice, team=people.second_line, note="Ledger.")
    ticket.refresh_from_db()
    assert ticket.assignee is None  # nobody is handed a resolved ticket
    (team,) = sent_to(mailoutbox, "bob@example.com")
    assert "Ledger." in team.body

"""Fetching mail from a real IMAP server (a throwaway Dovecot, see conftest.py)."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from frontline.mail import imap, tasks
from frontline.mail.models import ImapAfter, ImapSecurity, InboundMessage, Mailbox, Outcome
from frontline.tickets.models import MessageKind, Ticket
from tests.conftest import login
from tests.mail.test_inbound import mail

CORPUS = Path(__file__).parent / "corpus"

# Each poll commits message by message, so these tests run outside a test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def imap_mailbox(dovecot, **extra) -> Mailbox:
    settings = {
        "name": "Support",
        "address": "support@frontline.test",
        "imap_host": dovecot.host,
        "imap_port": dovecot.port,
        "imap_security": ImapSecurity.NONE,
        "imap_username": dovecot.username,
        "imap_password": dovecot.password,
        **extra,
    }
    return Mailbox.objects.create(**settings)


def append(dovecot, *messages: bytes, folder: str = "INBOX") -> None:
    with dovecot.client() as client:
        for raw in messages:
            client.append(folder, raw)


def server_flags(dovecot, folder: str = "INBOX") -> list[set[bytes]]:
    """The flags of every message in ``folder``, in UID order."""
    with dovecot.client() as client:
        client.select_folder(folder, readonly=True)
        fetched = client.fetch(client.search("ALL"), ["FLAGS"])
    return [set(data[b"FLAGS"]) - {b"\\Recent"} for _uid, data in sorted(fetched.items())]


def poll_command(*args: str) -> str:
    out = StringIO()
    call_command("mail", "poll", "--once", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_new_mail_becomes_a_ticket_and_is_flagged_on_the_server(dovecot):
    box = imap_mailbox(dovecot)
    append(dovecot, mail(sender="Nina New <nina@newco.test>"))
    output = poll_command()
    assert "Support: read 1, new tickets 1, replies 0, duplicates skipped 0" in output
    ticket = Ticket.objects.get()
    assert ticket.subject == "Printer jams" and ticket.requester.email == "nina@newco.test"
    inbound = InboundMessage.objects.get()
    assert inbound.source == "imap" and inbound.mailbox == box
    assert server_flags(dovecot) == [{b"\\Seen", imap.FETCHED.encode()}]
    box.refresh_from_db()
    assert box.imap_last_polled_at is not None and box.imap_last_error == ""
    assert box.imap_uidvalidity and box.imap_uidvalidity > 0
    # Nothing new: the next poll reads nothing.
    assert "read 0, new tickets 0" in poll_command()


def test_a_message_read_in_a_mail_client_is_still_fetched(dovecot):
    imap_mailbox(dovecot)
    append(dovecot, mail())
    with dovecot.client() as client:
        client.select_folder("INBOX")
        client.add_flags(client.search("ALL"), [b"\\Seen"])
    assert "new tickets 1" in poll_command()


def test_a_reply_fetched_later_threads_to_its_ticket(dovecot):
    box = imap_mailbox(dovecot)
    append(dovecot, mail())
    imap.poll(box)
    append(
        dovecot,
        mail(
            subject="Re: Printer jams",
            body="Still jams.",
            message_id="<m2@client.example>",
            In_Reply_To="<m1@client.example>",
        ),
    )
    result = imap.poll(box)
    assert result.counts[Outcome.REPLY] == 1 and result.counts[Outcome.NEW_TICKET] == 0
    ticket = Ticket.objects.get()
    assert [m.body.strip() for m in ticket.messages.order_by("id")] == [
        "It jams on every page.",
        "Still jams.",
    ]


def test_a_bounce_becomes_a_note_on_the_ticket_it_bounced_for(dovecot):
    box = imap_mailbox(dovecot)
    append(dovecot, mail(message_id="<sent-1@client.example>"))
    imap.poll(box)
    bounce = (CORPUS / "bounce_dsn.eml").read_bytes()
    bounce = bounce.replace(b"<ticket-1042-reply-1@frontline.test>", b"<sent-1@client.example>")
    append(dovecot, bounce)
    result = imap.poll(box)
    assert result.counts[Outcome.REPLY] == 1
    ticket = Ticket.objects.get()
    note = ticket.messages.order_by("id").last()
    assert note.kind == MessageKind.NOTE and "Delivery failure" in note.body
    assert all(b"\\Seen" in flags for flags in server_flags(dovecot))


def test_the_same_message_twice_in_the_folder_makes_one_ticket(dovecot):
    box = imap_mailbox(dovecot)
    append(dovecot, mail(), mail())
    result = imap.poll(box)
    assert result.counts["read"] == 2
    assert result.counts[Outcome.NEW_TICKET] == 1 and result.counts[Outcome.DUPLICATE] == 1
    assert Ticket.objects.count() == 1 and InboundMessage.objects.count() == 1
    assert all(imap.FETCHED.encode() in flags for flags in server_flags(dovecot))


def test_the_same_message_id_with_other_bytes_makes_one_ticket(dovecot):
    box = imap_mailbox(dovecot)
    append(dovecot, mail(), mail(body="It jams on every page!"))
    result = imap.poll(box)
    assert result.counts[Outcome.NEW_TICKET] == 1 and result.counts[Outcome.DUPLICATE] == 1
    assert Ticket.objects.count() == 1


def test_a_crash_between_storing_and_flagging_loses_and_duplicates_nothing(dovecot, monkeypatch):
    box = imap_mailbox(dovecot)
    append(dovecot, mail())
    real_mark_done = imap.mark_done
    calls = []

    def crash_once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise ConnectionResetError("connection lost before the flag was set")
        return real_mark_done(*args, **kwargs)

    monkeypatch.setattr(imap, "mark_done", crash_once)
    first = imap.poll(box)
    assert "connection lost" in first.error
    assert Ticket.objects.count() == 1
    assert server_flags(dovecot) == [set()]  # not flagged: it will be fetched again
    box.refresh_from_db()
    assert "connection lost" in box.imap_last_error

    second = imap.poll(box)
    assert second.error == "" and second.counts[Outcome.DUPLICATE] == 1
    assert Ticket.objects.count() == 1 and InboundMessage.objects.count() == 1
    assert server_flags(dovecot) == [{b"\\Seen", imap.FETCHED.encode()}]
    box.refresh_from_db()
    assert box.imap_last_error == ""


def test_fetched_messages_can_be_moved_to_a_folder(dovecot):
    box = imap_mailbox(dovecot, imap_after=ImapAfter.MOVE, imap_move_to="Frontline")
    append(dovecot, mail(), mail(message_id="<other@x>", subject="Other"))
    result = imap.poll(box)
    assert result.counts[Outcome.NEW_TICKET] == 2
    assert server_flags(dovecot) == []
    assert len(server_flags(dovecot, "Frontline")) == 2


def test_fetched_messages_can_be_deleted(dovecot):
    box = imap_mailbox(dovecot, imap_after=ImapAfter.DELETE)
    append(dovecot, mail())
    assert imap.poll(box).counts[Outcome.NEW_TICKET] == 1
    assert server_flags(dovecot) == []
    with dovecot.client() as client:
        assert [name for _f, _d, name in client.list_folders()] == ["INBOX"]


def test_bad_credentials_are_recorded_on_the_mailbox_and_nothing_crashes(dovecot):
    box = imap_mailbox(dovecot, imap_password="wrong")
    append(dovecot, mail())
    with pytest.raises(CommandError, match="Support"):
        poll_command()
    box.refresh_from_db()
    assert box.imap_last_error == "LoginError: [AUTHENTICATIONFAILED] Authentication failed."
    assert box.imap_last_polled_at is not None
    assert not Ticket.objects.exists()
    assert server_flags(dovecot) == [set()]


def test_a_server_that_does_not_answer_is_an_error_too(dovecot):
    from tests.mail.conftest import _free_port

    box = imap_mailbox(dovecot, imap_port=_free_port())
    result = imap.poll(box)
    assert "ConnectionRefusedError" in result.error
    box.refresh_from_db()
    assert "ConnectionRefusedError" in box.imap_last_error


def test_a_missing_folder_is_an_error(dovecot):
    box = imap_mailbox(dovecot, imap_folder="Nope")
    assert imap.poll(box).error
    box.refresh_from_db()
    assert box.imap_last_error


def test_plain_text_imap_is_refused_beyond_loopback(dovecot):
    box = imap_mailbox(dovecot, imap_host="imap.example.com")
    with pytest.raises(ValidationError):
        box.full_clean()
    assert "not loopback" in imap.poll(box).error


def test_a_message_over_the_size_limit_stays_on_the_server_and_is_reported(dovecot, settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "MAX_MESSAGE_BYTES": 2000}
    box = imap_mailbox(dovecot)
    append(dovecot, mail(body="x" * 5000), mail(message_id="<small@x>", subject="Small"))
    result = imap.poll(box)
    assert result.counts["rejected"] == 1 and result.counts[Outcome.NEW_TICKET] == 1
    assert Ticket.objects.get().subject == "Small"
    assert server_flags(dovecot)[0] == {imap.TOO_LARGE.encode()}
    box.refresh_from_db()
    assert "over the limit" in box.imap_last_error
    # Not fetched again, not lost.
    assert imap.poll(box).counts["read"] == 0
    assert len(server_flags(dovecot)) == 2


def test_polling_is_refused_inside_a_transaction(dovecot):
    from django.db import transaction

    box = imap_mailbox(dovecot)
    with transaction.atomic(), pytest.raises(RuntimeError):
        imap.poll(box)


def test_the_scheduled_task_polls_each_mailbox_at_its_interval(dovecot):
    box = imap_mailbox(dovecot, imap_poll_seconds=300)
    Mailbox.objects.create(name="Piped", address="piped@frontline.test")  # no IMAP
    append(dovecot, mail())
    assert tasks.poll_due_mailboxes.enqueue().return_value == [box.pk]
    assert Ticket.objects.count() == 1

    append(dovecot, mail(message_id="<later@x>", subject="Later"))
    assert tasks.poll_due_mailboxes.enqueue().return_value == []  # polled just now
    assert Ticket.objects.count() == 1

    box.refresh_from_db()
    Mailbox.objects.filter(pk=box.pk).update(
        imap_last_polled_at=box.imap_last_polled_at - timedelta(seconds=300)
    )
    assert tasks.poll_due_mailboxes.enqueue().return_value == [box.pk]
    assert Ticket.objects.count() == 2


def test_poll_one_mailbox_by_name(dovecot):
    imap_mailbox(dovecot)
    append(dovecot, mail())
    assert "new tickets 1" in poll_command("--mailbox", "Support")
    with pytest.raises(CommandError, match="No active IMAP mailbox"):
        poll_command("--mailbox", "Nobody")


def test_the_admin_never_shows_the_imap_password_and_keeps_it_when_left_empty(
    client, people, dovecot
):
    box = imap_mailbox(dovecot, imap_password="hunter2-secret")
    login(client, people.ada)
    page = client.get(f"/admin/mail/mailbox/{box.pk}/change/")
    assert page.status_code == 200
    assert b"hunter2-secret" not in page.content
    form = {
        "name": "Support",
        "address": "support@frontline.test",
        "stranger_replies": "new_ticket",
        "suspect_mail": "ticket",
        "is_active": "on",
        "imap_host": dovecot.host,
        "imap_port": str(dovecot.port),
        "imap_security": ImapSecurity.NONE,
        "imap_username": dovecot.username,
        "imap_password": "",
        "imap_folder": "INBOX",
        "imap_poll_seconds": "120",
        "imap_after": ImapAfter.FLAG,
        "imap_move_to": "",
    }
    response = client.post(f"/admin/mail/mailbox/{box.pk}/change/", form)
    assert response.status_code == 302
    box.refresh_from_db()
    assert box.imap_password == "hunter2-secret" and box.imap_poll_seconds == 120
    client.post(f"/admin/mail/mailbox/{box.pk}/change/", {**form, "imap_password": "new-one"})
    box.refresh_from_db()
    assert box.imap_password == "new-one"
    listing = client.get("/admin/mail/mailbox/")
    assert listing.status_code == 200 and b"hunter2" not in listing.content


def test_idle_fetches_new_mail_as_the_server_announces_it(dovecot):
    import threading

    box = imap_mailbox(dovecot, imap_poll_seconds=3600)  # the scheduler would wait an hour
    append(dovecot, mail(sender="first@newco.test", message_id="<i1@newco.test>"))
    idling, stop = threading.Event(), threading.Event()

    def deliver_while_idling():
        # Another client delivers as soon as the watcher waits in IDLE.
        if idling.wait(timeout=30):
            append(dovecot, mail(sender="second@newco.test", message_id="<i2@newco.test>"))

    sender = threading.Thread(target=deliver_while_idling)
    sender.start()
    outcome = imap.watch(box, stop=stop, rounds=2, idle_seconds=30, idling=idling)
    sender.join()
    assert outcome.offered and outcome.error == ""
    assert outcome.rounds == 2 and outcome.wakeups == 1  # the second round was the server's news
    assert outcome.counts["new_ticket"] == 2
    assert set(Ticket.objects.values_list("requester__email", flat=True)) == {
        "first@newco.test",
        "second@newco.test",
    }
    assert server_flags(dovecot) == [{b"\\Seen", imap.FETCHED.encode()}] * 2


def test_a_watcher_stops_when_told_and_reports_a_failed_login(dovecot):
    import threading

    stop = threading.Event()
    stop.set()
    box = imap_mailbox(dovecot)
    assert imap.watch(box, stop=stop).rounds == 0  # told to stop before it began
    wrong = imap_mailbox(dovecot, name="Wrong", address="wrong@frontline.test", imap_password="x")
    outcome = imap.watch(wrong, stop=threading.Event())
    assert not outcome.offered and "LoginError" in outcome.error
    wrong.refresh_from_db()
    assert "LoginError" in wrong.imap_last_error


def test_the_watcher_service_picks_up_mailboxes_and_stops_when_told(dovecot):
    import threading
    import time

    box = imap_mailbox(dovecot, imap_poll_seconds=3600)
    append(dovecot, mail(sender="watched@newco.test", message_id="<w1@newco.test>"))
    stop = threading.Event()
    service = threading.Thread(target=imap.watch_all, args=(stop,), kwargs={"rescan_seconds": 1})
    service.start()
    try:
        deadline = time.monotonic() + 30
        while not Ticket.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        service.join(timeout=30)
    assert not service.is_alive()
    assert Ticket.objects.get().requester.email == "watched@newco.test"
    box.refresh_from_db()
    assert box.imap_last_error == ""


# One poller at a time per mailbox: the lease.


def lease_of(box: Mailbox) -> tuple[str, object]:
    box.refresh_from_db()
    return box.imap_lease_owner, box.imap_lease_until


def count_connections(monkeypatch, clients: list | None = None) -> list[str]:
    """The mailboxes :func:`imap.connect` was asked to connect to, in order (and
    the clients it made, in ``clients``)."""
    connected = []
    real_connect = imap.connect

    def counting(mailbox):
        connected.append(mailbox.name)
        client = real_connect(mailbox)
        if clients is not None:
            clients.append(client)
        return client

    monkeypatch.setattr(imap, "connect", counting)
    return connected


def test_a_poll_overlapping_another_skips_the_mailbox_without_touching_the_server(
    dovecot, monkeypatch
):
    box = imap_mailbox(dovecot)
    append(dovecot, mail(), mail(message_id="<m2@x>", subject="Second"))
    connected = count_connections(monkeypatch)
    real_receive = imap.receive
    overlapping = []

    def receive_while_another_poll_starts(raw, **kwargs):
        if not overlapping:  # the scheduler's next poll, while this one works
            overlapping.append(imap.poll(box))
            owner, until = lease_of(box)
            assert owner.startswith("poll on ") and until is not None
            overlapping.append(poll_command())
        return real_receive(raw, **kwargs)

    monkeypatch.setattr(imap, "receive", receive_while_another_poll_starts)
    first = imap.poll(box)
    assert first.error == "" and first.counts[Outcome.NEW_TICKET] == 2
    second, command_output = overlapping
    assert second.busy.startswith("poll on ") and not second.counts and second.error == ""
    assert "Support: skipped, another poller holds it: poll on " in command_output
    assert connected == ["Support"]  # the overlapping polls never connected
    assert Ticket.objects.count() == 2
    assert lease_of(box) == ("", None)


def test_an_interval_poll_leaves_a_mailbox_to_its_idle_watcher(dovecot, monkeypatch):
    import socket
    import threading

    from django.db import connection
    from django.utils import timezone

    box = imap_mailbox(dovecot, imap_poll_seconds=10)
    idling, stop = threading.Event(), threading.Event()
    seen = {}

    def poll_while_idling():
        try:
            if idling.wait(timeout=30):
                an_hour_ago = timezone.now() - timedelta(hours=1)
                Mailbox.objects.filter(pk=box.pk).update(imap_last_polled_at=an_hour_ago)
                seen["claimed"] = imap.claim_due(timezone.now())
                seen["poll"] = imap.poll(box)
                seen["lease"] = lease_of(box)
                watching = clients[0].socket()
                seen["keepalive"] = watching.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
        finally:
            stop.set()
            connection.close()

    clients: list = []
    connected = count_connections(monkeypatch, clients)
    other = threading.Thread(target=poll_while_idling)
    other.start()
    outcome = imap.watch(box, stop=stop, idle_seconds=30, idling=idling)
    other.join()
    assert outcome.offered and outcome.error == ""
    assert seen["claimed"] == []  # the scheduler does not even enqueue it
    assert seen["poll"].busy.startswith("IDLE watcher on ")
    assert seen["lease"][0].startswith("IDLE watcher on ")
    assert connected == ["Support"]
    assert seen["keepalive"]  # a silently dead connection would not hold the lease for long
    assert lease_of(box) == ("", None)  # the watcher let go when it stopped


def test_the_lease_of_a_crashed_poller_is_taken_over_once_it_runs_out(dovecot):
    from django.utils import timezone

    box = imap_mailbox(dovecot)
    append(dovecot, mail())
    held = {"imap_lease_owner": "poll on crashed-host (pid 1, dead)"}
    Mailbox.objects.filter(pk=box.pk).update(
        **held, imap_lease_until=timezone.now() + timedelta(minutes=1)
    )
    assert "crashed-host" in imap.poll(box).busy  # still its lease
    assert not Ticket.objects.exists()

    Mailbox.objects.filter(pk=box.pk).update(imap_lease_until=timezone.now() - timedelta(seconds=1))
    result = imap.poll(box)
    assert result.busy == "" and result.counts[Outcome.NEW_TICKET] == 1
    assert lease_of(box) == ("", None)


def test_a_poller_that_lost_its_lease_stops_before_the_next_message(dovecot, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(imap, "LEASE_RENEW_SECONDS", 0.0)  # renewed before every message
    box = imap_mailbox(dovecot)
    append(dovecot, mail(), mail(message_id="<m2@x>", subject="Second"))
    real_receive = imap.receive

    def taken_over_meanwhile(raw, **kwargs):
        # This poll stalled past its lease and another poller took the mailbox.
        Mailbox.objects.filter(pk=box.pk).update(
            imap_lease_owner="poll on elsewhere (pid 2, abcd)",
            imap_lease_until=timezone.now() + timedelta(minutes=5),
        )
        return real_receive(raw, **kwargs)

    monkeypatch.setattr(imap, "receive", taken_over_meanwhile)
    result = imap.poll(box)
    assert result.counts["read"] == 1 and "LeaseLost" in result.error
    assert server_flags(dovecot) == [{b"\\Seen", imap.FETCHED.encode()}, set()]
    assert lease_of(box)[0] == "poll on elsewhere (pid 2, abcd)"  # not ours to release


def test_the_lease_is_released_after_every_poll_failed_or_not(dovecot, monkeypatch):
    box = imap_mailbox(dovecot)
    append(dovecot, mail())
    assert imap.poll(box).counts[Outcome.NEW_TICKET] == 1
    assert lease_of(box) == ("", None)

    wrong = imap_mailbox(dovecot, name="Wrong", address="wrong@x.test", imap_password="x")
    assert "LoginError" in imap.poll(wrong).error
    assert lease_of(wrong) == ("", None)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug while storing the message")

    append(dovecot, mail(message_id="<m2@x>", subject="Second"))
    monkeypatch.setattr(imap, "receive", broken)
    assert "a bug while storing" in imap.poll(box).error
    assert lease_of(box) == ("", None)
    assert server_flags(dovecot)[1] == set()  # there for the next poll

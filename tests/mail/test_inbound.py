"""Inbound mail through `frontline mail import` and `receive`: stored, threaded, never lost."""

import mailbox
from email.message import EmailMessage
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from frontline.accounts.models import User
from frontline.mail import inbound as inbound_module
from frontline.mail.inbound import receive, receive_many, reprocess
from frontline.mail.models import InboundMessage, Mailbox, Outcome
from frontline.mail.outbound import mailbox_for
from frontline.tickets import actions
from frontline.tickets.models import Channel, MessageKind, Status, Ticket

CORPUS = Path(__file__).parent / "corpus"


def mail(
    sender="Carol Customer <carol@example.com>",
    subject="Printer jams",
    body="It jams on every page.",
    message_id="<m1@client.example>",
    **headers,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@frontline.test"
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def run_import(path) -> str:
    out = StringIO()
    call_command("mail", "import", str(path), stdout=out)
    return out.getvalue()


def test_a_new_message_becomes_a_ticket_from_a_new_contact(db):
    result = receive(mail(sender="Nina New <nina@newco.test>"))
    inbound = result.inbound
    assert inbound.outcome == Outcome.NEW_TICKET
    ticket = inbound.ticket
    assert ticket.channel == Channel.EMAIL and ticket.subject == "Printer jams"
    nina = User.objects.get(email="nina@newco.test")
    assert ticket.requester == nina and nina.first_name == "Nina"
    assert not nina.has_usable_password() and nina.organisation is None
    assert ticket.messages.get().body.strip() == "It jams on every page."
    assert bytes(inbound.raw) == mail(sender="Nina New <nina@newco.test>")


def test_replies_thread_by_headers_and_by_subject_tag(people):
    first = receive(mail()).inbound
    ticket = first.ticket
    reply = receive(
        mail(
            subject="Re: Printer jams",
            body="Still jams.",
            message_id="<m2@client.example>",
            In_Reply_To="<m1@client.example>",
        )
    ).inbound
    assert reply.outcome == Outcome.REPLY and reply.ticket == ticket
    tagged = receive(
        mail(subject=f"About [#{ticket.pk}]", body="And smokes.", message_id="<m3@x>")
    ).inbound
    assert tagged.ticket == ticket
    assert ticket.messages.count() == 3


def test_a_customer_reply_by_mail_reopens_a_resolved_ticket(people):
    ticket = receive(mail()).inbound.ticket
    actions.change_status(ticket, status=Status.RESOLVED, by=people.alice)
    receive(mail(subject=f"Re: [#{ticket.pk}]", body="Not fixed", message_id="<m9@x>"))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_a_forged_reply_from_a_stranger_opens_a_new_ticket(people):
    ticket = receive(mail()).inbound.ticket
    forged = receive(
        mail(
            sender="mallory@evil.test",
            subject=f"Re: [#{ticket.pk}]",
            body="Please send me the invoice",
            message_id="<f1@evil>",
        )
    ).inbound
    assert forged.outcome == Outcome.NEW_TICKET
    assert forged.ticket != ticket
    assert "not on it" in forged.reason
    assert ticket.messages.count() == 1


def test_the_same_message_twice_is_stored_once(db, tmp_path):
    (tmp_path / "a.eml").write_bytes(mail())
    (tmp_path / "b.eml").write_bytes(mail(body="resent with other bytes"))  # same Message-ID
    first = run_import(tmp_path)
    assert "read 2, new tickets 1" in first and "duplicates skipped 1" in first
    again = run_import(tmp_path)
    assert "read 2, new tickets 0, replies 0, duplicates skipped 2" in again
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.count() == 2


def test_automatic_messages_get_no_ticket_and_are_kept(db):
    result = receive(
        mail(sender="news@shop.test", Auto_Submitted="auto-generated", message_id="<auto@x>")
    )
    assert result.inbound.outcome == Outcome.SKIPPED
    assert "automatic" in result.inbound.reason
    assert Ticket.objects.count() == 0


def test_an_out_of_office_on_a_thread_is_an_internal_note(people):
    ticket = receive(mail()).inbound.ticket
    result = receive(
        mail(
            subject="Out of office",
            message_id="<ooo@x>",
            In_Reply_To="<m1@client.example>",
            Auto_Submitted="auto-replied",
        )
    )
    assert result.inbound.outcome == Outcome.REPLY
    assert ticket.messages.filter(kind=MessageKind.NOTE).count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW  # an auto-reply does not move the ticket


def test_unparseable_mail_is_quarantined_with_its_reason_and_can_be_processed_again(db, settings):
    bomb = b"Subject: x\r\n" + b"X-Long: " + b"a" * 400_000 + b"\r\n\r\nbody"
    inbound = receive(bomb).inbound
    assert inbound.outcome == Outcome.QUARANTINED
    assert inbound.reason.startswith("header_too_large")
    assert bytes(inbound.raw) == bomb
    assert reprocess(inbound).outcome == Outcome.QUARANTINED  # still too large


def test_a_failure_after_storing_quarantines_instead_of_losing(people, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(actions, "open_ticket", broken)
    inbound = receive(mail()).inbound
    assert inbound.outcome == Outcome.QUARANTINED and "database hiccup" in inbound.reason
    assert Ticket.objects.count() == 0
    monkeypatch.undo()
    assert reprocess(inbound).outcome == Outcome.NEW_TICKET
    assert Ticket.objects.count() == 1


def test_mailbox_category_applies_to_new_tickets(people, tmp_path):
    Mailbox.objects.create(
        name="Billing", address="billing@frontline.test", default_category=people.billing
    )
    path = tmp_path / "one.eml"
    path.write_bytes(mail())
    out = StringIO()
    call_command("mail", "import", str(path), "--mailbox", "billing@frontline.test", stdout=out)
    ticket = Ticket.objects.get()
    assert ticket.category == people.billing and ticket.team == people.first_line


def test_mbox_and_maildir_imports(db, tmp_path):
    box = mailbox.mbox(tmp_path / "archive.mbox")
    for i in range(3):
        box.add(mail(message_id=f"<mb{i}@x>", subject=f"mbox {i}"))
    box.flush()
    assert "read 3, new tickets 3" in run_import(tmp_path / "archive.mbox")
    maildir = mailbox.Maildir(tmp_path / "Maildir")
    for i in range(2):
        maildir.add(mail(message_id=f"<md{i}@x>", subject=f"maildir {i}"))
    assert "read 2, new tickets 2" in run_import(tmp_path / "Maildir")


def test_every_corpus_message_ends_in_a_defined_outcome(db):
    out = run_import(CORPUS)
    total = len(list(CORPUS.glob("*.eml")))
    assert f"read {total}," in out
    assert not InboundMessage.objects.filter(outcome=Outcome.RECEIVED).exists()
    assert InboundMessage.objects.count() == total
    assert Ticket.objects.count() >= total // 2
    for inbound in InboundMessage.objects.exclude(outcome=Outcome.NEW_TICKET).exclude(
        outcome=Outcome.REPLY
    ):
        assert inbound.reason, inbound.subject  # every skip or quarantine says why


def test_the_reply_address_token_finds_the_ticket_before_anything_else(people):
    ticket = receive(mail()).inbound.ticket
    other = receive(mail(subject="Another", message_id="<other@x>")).inbound.ticket
    assert ticket.reply_token and len(ticket.reply_token) == 20
    # Tagged with the other ticket's number and citing nothing: the token wins.
    msg = mail(subject=f"Re: [#{other.pk}]", body="for the first", message_id="<t1@x>")
    msg = msg.replace(
        b"To: support@frontline.test", f"To: support+t-{ticket.reply_token}@frontline.test".encode()
    )
    inbound = receive(msg).inbound
    assert inbound.outcome == Outcome.REPLY and inbound.ticket == ticket
    # A made-up token finds nothing and falls back to the subject tag.
    guess = mail(subject=f"Re: [#{other.pk}]", message_id="<t2@x>").replace(
        b"To: support@frontline.test", b"To: support+t-00000000000000000000@frontline.test"
    )
    assert receive(guess).inbound.ticket == other


def test_the_token_does_not_let_a_stranger_in(people):
    ticket = receive(mail()).inbound.ticket
    msg = mail(sender="mallory@evil.test", message_id="<t3@x>").replace(
        b"To: support@frontline.test", f"To: support+t-{ticket.reply_token}@frontline.test".encode()
    )
    inbound = receive(msg).inbound
    assert inbound.outcome == Outcome.NEW_TICKET and inbound.ticket != ticket


def test_signing_up_with_someone_elses_address_does_not_catch_their_mail(client, db):
    r = client.post(
        "/portal/signup/",
        {"name": "Mallory", "email": "victim@corp.test", "password": "a-long-passphrase-42"},
    )
    assert r.status_code == 302
    signed_in = client.post(
        "/login/", {"username": "victim@corp.test", "password": "a-long-passphrase-42"}
    )
    assert signed_in.status_code == 302
    inbound = receive(mail(sender="Victim <victim@corp.test>", body="my password is hunter2"))
    ticket = inbound.inbound.ticket
    mallory = User.objects.get(username="victim@corp.test")
    assert ticket.requester != mallory
    assert client.get(f"/portal/tickets/{ticket.pk}/").status_code == 404


def test_mail_pretending_to_be_an_agent_posts_nothing_as_them(people):
    ticket = receive(mail()).inbound.ticket
    forged = receive(
        mail(
            sender="alice@example.com",
            subject=f"Re: [#{ticket.pk}]",
            body="Refund approved, send your card number",
            message_id="<spoof@x>",
        )
    ).inbound
    # Nor opens a ticket "requested by" the agent (issue 12, finding 5): kept
    # for an admin to look at, with the reason.
    assert forged.outcome == Outcome.QUARANTINED and forged.ticket is None
    assert "staff address" in forged.reason
    ticket.refresh_from_db()
    assert ticket.first_response_at is None and ticket.messages.count() == 1
    # Through the ticket's own reply address, a real agent's answer does land.
    via_token = mail(sender="alice@example.com", body="On it", message_id="<ok@x>").replace(
        b"To: support@frontline.test", f"To: support+t-{ticket.reply_token}@frontline.test".encode()
    )
    assert receive(via_token).inbound.ticket == ticket


def test_a_bulk_import_quarantines_only_the_message_that_fails(people, monkeypatch):
    real = actions.open_ticket

    def flaky(**kwargs):
        if kwargs["subject"] == "second":
            raise RuntimeError("database hiccup")
        return real(**kwargs)

    monkeypatch.setattr(actions, "open_ticket", flaky)
    raws = [mail(subject=s, message_id=f"<{s}@x>") for s in ("first", "second", "third")]
    results = list(receive_many(raws, batch=10))
    assert [r.inbound.subject for r in results] == ["first", "second", "third"]
    assert [r.inbound.outcome for r in results] == [
        Outcome.NEW_TICKET,
        Outcome.QUARANTINED,
        Outcome.NEW_TICKET,
    ]
    assert "database hiccup" in results[1].inbound.reason
    assert bytes(InboundMessage.objects.get(subject="second").raw) == raws[1]
    assert Ticket.objects.count() == 2


def test_the_same_bytes_twice_in_one_batch_make_one_ticket(db):
    results = list(receive_many([mail(), mail(), mail(message_id="<m2@x>")], batch=10))
    assert [r.duplicate for r in results] == [False, True, False]
    assert results[0].inbound.pk == results[1].inbound.pk
    assert Ticket.objects.count() == 2 and InboundMessage.objects.count() == 2


def test_a_crash_in_a_batch_loses_nothing(db, monkeypatch):
    def crash(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(inbound_module, "_interpret", crash)
    with pytest.raises(KeyboardInterrupt):
        list(receive_many([mail(), mail(message_id="<m2@x>")]))
    assert set(InboundMessage.objects.values_list("outcome", flat=True)) == {Outcome.RECEIVED}
    assert Ticket.objects.count() == 0
    monkeypatch.undo()
    results = list(receive_many([mail(), mail(message_id="<m2@x>")]))
    assert [r.inbound.outcome for r in results] == [Outcome.NEW_TICKET, Outcome.NEW_TICKET]
    assert [r.duplicate for r in results] == [False, False]


def test_an_unthreaded_automatic_message_makes_no_contact(db):
    receive(mail(sender="news@shop.test", Auto_Submitted="auto-generated", message_id="<a@x>"))
    assert not User.objects.filter(email="news@shop.test").exists()


def test_a_maildir_is_imported_in_delivery_order(db, tmp_path):
    maildir = mailbox.Maildir(tmp_path / "Maildir")
    maildir.close()
    # Keys that sort differently as text and as numbers.
    (tmp_path / "Maildir" / "new" / "1700000000.M100000P1Q10.host").write_bytes(
        mail(subject="Re: Printer jams", message_id="<m2@x>", In_Reply_To="<m1@client.example>")
    )
    (tmp_path / "Maildir" / "new" / "1700000000.M99999P1Q9.host").write_bytes(mail())
    assert "read 2, new tickets 1, replies 1" in run_import(tmp_path / "Maildir")


def test_the_same_message_id_in_one_batch_and_across_batches_is_a_duplicate(db):
    first = list(receive_many([mail(), mail(body="other bytes"), mail(message_id="<m2@x>")]))
    assert [r.inbound.outcome for r in first] == [
        Outcome.NEW_TICKET,
        Outcome.DUPLICATE,
        Outcome.NEW_TICKET,
    ]
    assert first[1].inbound.ticket_id == first[0].inbound.ticket_id
    assert first[1].inbound.reason == f"same Message-ID and sender as #{first[0].inbound.pk}"
    (later,) = receive_many([mail(message_id="<m2@x>", body="resent")])
    assert later.inbound.outcome == Outcome.DUPLICATE
    assert later.inbound.ticket_id == first[2].inbound.ticket_id


def test_a_mailbox_sends_new_tickets_to_its_team_unless_the_category_names_one(people):
    sales = Mailbox.objects.create(
        name="Sales", address="sales@frontline.test", default_team=people.second_line
    )
    plain = receive(mail(message_id="<t1@client.example>"), mailbox=sales).inbound.ticket
    assert plain.team == people.second_line
    sales.default_category = people.billing  # Billing names First line
    sales.save()
    billing = receive(mail(message_id="<t2@client.example>", subject="Invoice"), mailbox=sales)
    assert billing.inbound.ticket.team == people.first_line


def test_a_message_another_process_finished_meanwhile_is_not_acted_on_twice(db):
    from frontline.mail.inbound import process

    ticket = receive(mail(message_id="<race@client.example>")).inbound.ticket
    # A second fetch stored other bytes and read the row as unprocessed...
    raw = mail(message_id="<race2@client.example>", subject="Race")
    row = InboundMessage.objects.create(raw=raw, content_hash="x" * 64)
    # ...while the first fetch finished it, onto the first ticket.
    InboundMessage.objects.filter(pk=row.pk).update(
        outcome=Outcome.REPLY, ticket=ticket, reason="the other fetch"
    )
    tickets_before = Ticket.objects.count()
    done = process(row)  # the second fetch goes on with its stale copy
    assert done.outcome == Outcome.REPLY and done.reason == "the other fetch"
    assert Ticket.objects.count() == tickets_before  # its own ticket was rolled back


def test_one_batch_threads_replies_and_bounces_on_its_own_earlier_messages(db):
    """A batch's outcomes are written at its end: a reply, a bounce and a second
    copy in the same batch still find the message before them."""
    bounce = (CORPUS / "bounce_dsn.eml").read_bytes()
    bounce = bounce.replace(b"<ticket-1042-reply-1@frontline.test>", b"<b1@client.example>")
    results = list(
        receive_many(
            [
                mail(message_id="<b1@client.example>"),
                mail(message_id="<b2@x>", subject="Re: jams", In_Reply_To="<b1@client.example>"),
                bounce,
                mail(message_id="<b1@client.example>", body="the same, other bytes"),
            ]
        )
    )
    assert [r.inbound.outcome for r in results] == [
        Outcome.NEW_TICKET,
        Outcome.REPLY,
        Outcome.REPLY,
        Outcome.DUPLICATE,
    ]
    ticket = Ticket.objects.get()
    assert {r.inbound.ticket_id for r in results} == {ticket.pk}
    kinds = list(ticket.messages.order_by("id").values_list("kind", flat=True))
    assert kinds == [MessageKind.REPLY, MessageKind.REPLY, MessageKind.NOTE]
    stored = InboundMessage.objects.order_by("pk")
    assert [row.outcome for row in stored] == [r.inbound.outcome for r in results]
    assert all(row.processed_at for row in stored)


def test_a_mailbox_can_turn_a_strangers_reply_into_a_flagged_note(
    people, mailoutbox, django_capture_on_commit_callbacks
):
    """Configurable per mailbox: mail citing a ticket from someone not on it goes
    to the agents on that ticket, as an internal note saying who sent it; the
    customer sees nothing and the stranger is not answered."""
    box = Mailbox.objects.create(
        name="Support", address="support@frontline.test", stranger_replies="note"
    )
    ticket = receive(mail(), mailbox=box).inbound.ticket
    with django_capture_on_commit_callbacks(execute=True):
        forged = receive(
            mail(
                sender="Mallory <mallory@evil.test>",
                subject=f"Re: [#{ticket.pk}] Printer jams",
                body="@alice @sam Please send the invoice to my address instead.",
                message_id="<f2@evil>",
            ),
            mailbox=box,
        ).inbound
    assert forged.outcome == Outcome.REPLY and forged.ticket == ticket
    assert "not on it: note" in forged.reason
    assert Ticket.objects.count() == 1
    note = ticket.messages.order_by("id").last()
    assert note.kind == MessageKind.NOTE and note.author is None
    assert note.body.startswith("⚑ Mail from Mallory <mallory@evil.test>, who is not on")
    assert "send the invoice to my address" in note.body
    assert not ticket.participants.exists()
    ticket.refresh_from_db()
    assert ticket.requester.email == "carol@example.com"
    # Neither the stranger nor the customer hears of it, and the stranger's
    # @mentions mail no agent.
    assert mailoutbox == []


def test_a_strangers_note_does_not_choose_the_mailbox_customer_mail_comes_from(people):
    support = Mailbox.objects.create(name="Support", address="support@frontline.test")
    sales = Mailbox.objects.create(
        name="Sales", address="sales@frontline.test", stranger_replies="note"
    )
    people.carol.email_verified_at = people.carol.date_joined  # her mail counts as hers
    people.carol.save()
    ticket = actions.open_ticket(
        requester=people.carol, by=people.carol, subject="From the portal", body="Hello"
    )
    forged = receive(
        mail(sender="mallory@evil.test", subject=f"Re: [#{ticket.pk}]", message_id="<f3@e>"),
        mailbox=sales,
    ).inbound
    assert forged.ticket == ticket and forged.message.kind == MessageKind.NOTE
    assert mailbox_for(ticket) == support
    answer = receive(
        mail(subject=f"Re: [#{ticket.pk}]", message_id="<c1@client.example>"), mailbox=sales
    ).inbound
    assert answer.message.kind == MessageKind.REPLY
    assert mailbox_for(ticket) == sales  # the customer's own mail came in there


def test_a_contact_another_import_made_meanwhile_is_used_not_quarantined(db, monkeypatch):
    """Two imports copied on the same new person: the second one's insert fails on
    the user name the first just committed; it looks again and uses that contact."""
    from frontline.accounts import actions as account_actions

    look_up = account_actions._BY_ADDRESS_OR_USERNAME
    looks: list[dict] = []

    def racing(**values):
        looks.append(values)
        if len(looks) == 1:  # the other import commits between look-up and insert
            account_actions.new_contact(
                username="nina@newco.test", name="Nina", email="nina@newco.test"
            )
            return []
        return look_up(**values)

    monkeypatch.setattr(account_actions, "_BY_ADDRESS_OR_USERNAME", racing)
    inbound = receive(mail(sender="Nina New <nina@newco.test>")).inbound
    assert inbound.outcome == Outcome.NEW_TICKET, inbound.reason
    assert len(looks) == 2
    nina = User.objects.get(email="nina@newco.test")
    assert inbound.ticket.requester == nina


def test_a_stranger_sending_first_with_a_message_id_cannot_hide_the_real_request(db):
    """Finding 4: duplicates are keyed on the Message-ID and the sender."""
    stranger = receive(mail(sender="mallory@evil.test", message_id="<real-1@acme.test>")).inbound
    real = receive(
        mail(sender="carol@example.com", message_id="<real-1@acme.test>", body="Real words.")
    ).inbound
    assert stranger.outcome == real.outcome == Outcome.NEW_TICKET
    assert real.ticket.requester.email == "carol@example.com"
    assert real.ticket != stranger.ticket
    assert "Real words." in real.ticket.messages.get().body


def test_a_junk_message_id_neither_deduplicates_nor_threads(db):
    """Finding 4: "<yes>" has no domain, so it is no key to thread or deduplicate on."""
    first = receive(mail(subject="Printer", message_id="<yes>", body="Printer jams.")).inbound
    second = receive(mail(subject="Invoice", message_id="<yes>", body="Charged twice.")).inbound
    third = receive(
        mail(subject="Scanner", message_id="<a1@client.example>", In_Reply_To="<yes>")
    ).inbound
    outcomes = [first.outcome, second.outcome, third.outcome]
    assert outcomes == [Outcome.NEW_TICKET] * 3
    assert len({first.ticket_id, second.ticket_id, third.ticket_id}) == 3


def test_mail_from_our_own_address_opens_no_ticket(db):
    """Issue 12, finding 5: a loop, or a forgery of our own address."""
    Mailbox.objects.create(name="Support", address="support@frontline.test")
    before = Ticket.objects.count()
    looped = receive(mail(sender="Support <support@frontline.test>")).inbound
    tagged = receive(mail(sender="support+t-abc@frontline.test", message_id="<m9@x.test>")).inbound
    assert looped.outcome == tagged.outcome == Outcome.QUARANTINED
    assert "our own addresses" in looped.reason
    assert Ticket.objects.count() == before


@pytest.mark.parametrize(
    "header",
    [
        ("X-Spam-Flag", "YES"),
        ("X-Spam-Status", "Yes, score=7.1 required=5.0"),
        ("Authentication-Results", "mx.frontline.test; spf=pass; dmarc=fail header.from=acme.test"),
    ],
)
def test_suspect_mail_opens_a_ticket_without_acknowledging_it(
    db, header, django_capture_on_commit_callbacks
):
    """Issue 12, finding 5: no backscatter to an address a spammer forged."""
    from frontline.mail.models import OutboundMessage

    with django_capture_on_commit_callbacks(execute=True):
        clean = receive(mail(message_id="<ok1@client.example>")).inbound
        suspect = receive(
            mail(sender="dora@victim.test", message_id="<s1@x.test>", **{header[0]: header[1]})
        ).inbound
    assert clean.outcome == suspect.outcome == Outcome.NEW_TICKET
    assert "suspect, not acknowledged" in suspect.reason
    told = set(
        OutboundMessage.objects.filter(notice="received").values_list("to_address", flat=True)
    )
    assert told == {"carol@example.com"}


def test_a_mailbox_can_quarantine_suspect_mail(db):
    from frontline.mail.models import SuspectMail

    box = Mailbox.objects.create(
        name="Support", address="support@frontline.test", suspect_mail=SuspectMail.QUARANTINE
    )
    inbound = receive(mail(**{"X-Spam-Flag": "YES"}), mailbox=box).inbound
    assert inbound.outcome == Outcome.QUARANTINED and "spam-flag" in inbound.reason
    assert inbound.ticket is None

"""Editing a contact's details (each change in the contact's audit log) and
merging two contacts (every ticket moved with an event, notes moved, the one
merged deactivated), through the actions and the desk."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from frontline.accounts.actions import (
    add_customer_note,
    merge_contacts,
    new_contact,
    update_contact,
)
from frontline.accounts.models import ContactChange, CustomerNote, User
from frontline.tickets import actions
from frontline.tickets.models import EventKind, Ticket, TicketEvent
from tests.conftest import login


def _open(person, subject, **extra) -> Ticket:
    return actions.open_ticket(requester=person, by=person, subject=subject, body="It.", **extra)


def test_an_edit_is_kept_in_the_audit_log_with_old_and_new_values(people):
    people.carol.email_verified_at = timezone.now()
    people.carol.save(update_fields=["email_verified_at"])
    change = update_contact(
        people.carol,
        by=people.alice,
        phone="+44 20 7946 0958",
        email="carol@acme.test",
        organisation=people.globex,
        language="ru",
    )
    assert change is not None and change.by == people.alice
    assert change.changes == {
        "phone": ["", "+44 20 7946 0958"],
        "email": ["carol@example.com", "carol@acme.test"],
        "organisation": ["Acme", "Globex"],
        "language": ["", "ru"],
    }
    carol = User.objects.get(pk=people.carol.pk)
    assert carol.email == "carol@acme.test" and carol.organisation == people.globex
    # A new address proves nothing until she confirms it.
    assert carol.email_verified_at is None
    assert update_contact(carol, by=people.alice, phone="+44 20 7946 0958") is None
    assert ContactChange.objects.count() == 1


def test_bad_edits_are_refused(people):
    with pytest.raises(ValidationError, match="merge the two contacts"):
        update_contact(people.carol, by=people.alice, email="ERIN@example.com")
    with pytest.raises(ValidationError):
        update_contact(people.carol, by=people.alice, language="xx")
    with pytest.raises(ValidationError):
        update_contact(people.carol, by=people.alice, email="")
    with pytest.raises(PermissionDenied):
        update_contact(people.carol, by=people.erin, phone="1")
    with pytest.raises(PermissionDenied):
        update_contact(people.bob, by=people.sam, phone="1")  # staff: the admin
    assert not ContactChange.objects.exists()
    assert User.objects.get(pk=people.carol.pk).email == "carol@example.com"


def test_merging_moves_every_ticket_with_an_event_and_the_notes(people):
    # Carol phoned once and was noted down as a new contact.
    phoned = new_contact(username="carol-phone", name="C. Customer", phone="+442079460958")
    asked = _open(phoned, "Printer jam", category=people.billing)
    copied = _open(people.erin, "Team lunch invoices", category=people.billing)
    actions.add_participant(copied, user=phoned, by=people.alice)
    hers = _open(people.carol, "Invoice twice", category=people.billing)
    add_customer_note(phoned, body="Calls from the office line.", by=people.alice)
    before = TicketEvent.objects.count()
    merge_contacts(phoned, into=people.carol, by=people.alice)
    asked.refresh_from_db()
    assert asked.requester == people.carol and asked.organisation == people.acme
    moved = asked.events.get(kind=EventKind.REQUESTER)
    assert moved.actor == people.alice and moved.data["reason"] == "contacts merged"
    assert moved.data["old"] == "C. Customer"
    assert list(copied.participants.all()) == [people.carol]
    assert copied.events.filter(kind=EventKind.PARTICIPANT_ADDED, actor=people.alice).exists()
    assert hers.events.filter(kind=EventKind.REQUESTER).count() == 0
    # One event for the requester moved, two for the participant swapped.
    assert TicketEvent.objects.count() == before + 3
    assert CustomerNote.objects.get().contact == people.carol
    phoned.refresh_from_db()
    carol = User.objects.get(pk=people.carol.pk)
    assert not phoned.is_active and carol.phone == "+442079460958"
    assert ContactChange.objects.get(contact=phoned).merged_into == carol
    assert ContactChange.objects.get(contact=carol).merged_from == phoned


def test_what_cannot_be_merged(people):
    with pytest.raises(ValidationError):
        merge_contacts(people.carol, into=people.carol, by=people.alice)
    with pytest.raises(ValidationError):
        merge_contacts(people.carol, into=people.bob, by=people.alice)
    with pytest.raises(PermissionDenied):
        merge_contacts(people.carol, into=people.erin, by=people.maria)
    merge_contacts(people.erin, into=people.carol, by=people.alice)
    with pytest.raises(ValidationError):
        merge_contacts(people.erin, into=people.carol, by=people.alice)  # gone already


def test_edit_and_merge_through_the_desk(people, client):
    _open(people.carol, "Invoice twice", category=people.billing)
    erins = _open(people.erin, "Invoice missing", category=people.billing)
    login(client, people.alice)
    url = reverse("desk:contact", args=[people.carol.pk])
    edit = reverse("desk:contact_edit", args=[people.carol.pk])
    data = {"first_name": "Carol", "last_name": "Customer", "email": "carol@example.com"}
    bad = client.post(edit, {**data, "organisation": "Nowhere Ltd"})
    assert bad.status_code == 400 and "There is no organisation with that name." in bad.text
    bad = client.post(edit, {**data, "email": "not an address"})
    assert bad.status_code == 400 and "Enter a valid email address." in bad.text
    page = client.post(edit, {**data, "phone": "+1 555 0100", "organisation": "acme"}, follow=True)
    assert page.redirect_chain[-1][0] == url
    assert "The contact&#x27;s details are saved." in page.text
    assert "phone: — → +1 555 0100" in page.text and "Alice Agent" in page.text
    merge = reverse("desk:contact_merge", args=[people.erin.pk])
    nobody = client.post(merge, {"other": "nobody@example.com"})
    assert nobody.status_code == 400 and "no contact with that number or address" in nobody.text
    page = client.post(merge, {"other": "CAROL@example.com"}, follow=True)
    assert page.redirect_chain[-1][0] == url
    assert "Erin Employee is merged into this contact" in page.text
    assert "Invoice missing" in page.text
    assert Ticket.objects.get(pk=erins.pk).requester_id == people.carol.pk
    # The merged contact's page says where it went (a supervisor's: it has no ticket left
    # for an agent to see it by).
    login(client, people.sam)
    gone = client.get(reverse("desk:contact", args=[people.erin.pk]))
    assert "This contact is deactivated." in gone.text and "Merged into Carol Customer" in gone.text


def test_customers_and_other_teams_cannot_edit_or_merge(people, client):
    _open(people.dan, "Globex server down", team=people.second_line)
    login(client, people.alice)  # First line: no ticket of Dan's to see
    edit = reverse("desk:contact_edit", args=[people.dan.pk])
    assert client.post(edit, {"email": "d@x.test"}).status_code == 404
    merge = reverse("desk:contact_merge", args=[people.dan.pk])
    assert client.post(merge, {"other": str(people.carol.pk)}).status_code == 404
    login(client, people.carol)
    own = reverse("desk:contact_edit", args=[people.carol.pk])
    assert client.post(own, {"email": "c@x.test"}).status_code in (302, 403, 404)
    assert User.objects.get(pk=people.carol.pk).email == "carol@example.com"
    assert User.objects.get(pk=people.dan.pk).email == "dan@example.com"

"""The drift check: index rows out of date against the database are found,
reported and repaired (``frontline search check``, the background task)."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from frontline.search import selectors
from frontline.search.drift import check
from frontline.search.reactions import index_ticket
from frontline.search.tasks import check_recent_drift
from frontline.tickets.models import Message, Ticket


def found(user, text: str) -> list[int]:
    return [hit.ticket.pk for hit in selectors.search(user, text).tickets]


@pytest.fixture
def indexed(ticket):
    index_ticket(ticket.events.latest("id").pk)
    return ticket


def test_a_change_made_behind_the_actions_back_is_found_and_repaired(people, indexed):
    # A data fix written straight to the database: no event, so no reaction.
    Message.objects.filter(ticket=indexed).update(body="The gearbox rattles.")
    assert found(people.sam, "gearbox") == []
    assert check("tickets").stale == 1
    out = StringIO()
    with pytest.raises(CommandError, match="run again with --repair"):
        call_command("search", "check", "--kind", "tickets", stdout=out)
    assert "tickets: 1 checked, 0 missing, 1 stale, 0 orphans" in out.getvalue()
    assert f"e.g. ids [{indexed.pk}]" in out.getvalue()
    call_command("search", "check", "--repair", stdout=out)
    assert found(people.sam, "gearbox") == [indexed.pk]
    assert found(people.sam, "charged") == [indexed.pk]  # the subject still counts
    assert check("tickets").found == 0
    call_command("search", "check", stdout=StringIO())  # clean: no error


def test_missing_rows_and_rows_of_deleted_objects_are_found(people, indexed):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_ticket WHERE rowid = %s", [indexed.pk])
        cursor.execute(
            "INSERT INTO search_ticket (rowid, title, public_text, internal_text) "
            "VALUES (%s, 'ghost', '', '')",
            [10**8],
        )
    drift = check("tickets")
    assert (drift.missing, drift.stale, drift.orphans) == (1, 0, 1)
    check("tickets", repair=True)
    assert check("tickets").found == 0
    assert found(people.sam, "invoice") == [indexed.pk]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_ticket WHERE rowid = %s", [10**8])
        assert cursor.fetchone()[0] == 0


def test_contacts_and_organisations_drift_too(people, indexed):
    from frontline.accounts.models import Organisation

    Organisation.objects.filter(pk=people.acme.pk).update(name="Acme Rockets")
    assert check("organisations").stale == 1
    check("organisations", repair=True)
    assert selectors.search(people.sam, "rockets").organisations == [people.acme]


def test_the_background_check_repairs_recent_changes_only(people, indexed):
    Message.objects.filter(ticket=indexed).update(body="A quokka in the server room.")
    hours_ago = timezone.now() - datetime.timedelta(hours=1)
    Ticket.objects.filter(pk=indexed.pk).update(updated_at=hours_ago)
    assert check_recent_drift.call() == 1
    assert found(people.sam, "quokka") == [indexed.pk]
    # Changed three hours ago: outside the window, left to the full check.
    Message.objects.filter(ticket=indexed).update(body="A wombat in the server room.")
    Ticket.objects.filter(pk=indexed.pk).update(updated_at=hours_ago - datetime.timedelta(hours=2))
    assert check_recent_drift.call() == 0
    assert found(people.sam, "wombat") == []
    assert check("tickets", changed_since=hours_ago).checked == 0
    assert check("tickets").stale == 1


def test_check_refuses_a_window_that_means_nothing(db):
    with pytest.raises(CommandError):
        call_command("search", "check", "--since", "0")
    with pytest.raises(CommandError):
        call_command("search", "check", "--kind", "bogus")

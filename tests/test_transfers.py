"""The transfer count: how many times a ticket was handed on between people
and teams, kept on the ticket (no count of events per row on a list) and the
same moves as the report's "Passed on"."""

import importlib

from django.apps import apps
from django.utils import timezone

from frontline.reports.metrics import build_report
from frontline.tickets import actions
from frontline.tickets.models import Ticket
from tests.conftest import login


def hand_around(people, ticket):
    """Taken, escalated, taken, given to a colleague, given back to the queue."""
    actions.assign_ticket(ticket, by=people.alice, assignee=people.alice)  # picked up: 0
    actions.assign_ticket(
        ticket, by=people.alice, team=people.second_line, note="Needs the invoice tool."
    )  # 1 (one move, though it wrote a team and an assignee event)
    actions.assign_ticket(ticket, by=people.bob, assignee=people.bob)  # picked up: 1
    actions.assign_ticket(
        ticket, by=people.sam, assignee=people.alice, note="Alice knows this customer."
    )  # 2
    actions.assign_ticket(ticket, by=people.alice, assignee=None)  # back to the queue: 3
    ticket.refresh_from_db()
    return ticket


def test_picking_up_is_not_handing_on(people, ticket):
    actions.assign_ticket(ticket, by=people.alice, assignee=people.alice)
    ticket.refresh_from_db()
    assert ticket.transfers == 0


def test_each_handoff_counts_once_as_the_report_counts_it(
    people, ticket, django_capture_on_commit_callbacks
):
    # The report counts them from its daily rollup, kept by the reaction.
    with django_capture_on_commit_callbacks(execute=True):
        assert hand_around(people, ticket).transfers == 3
    today = timezone.localdate()
    report = build_report(today, today, by="team", compare=False)
    assert report.total.transfers == 3


def test_the_ticket_page_and_the_queue_show_the_count(client, people, ticket):
    hand_around(people, ticket)
    login(client, people.sam)
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "Passed on 3 times" in page
    queue = client.get("/desk/q/open/").content.decode()
    assert "passed on 3 times" in queue


def test_a_ticket_never_handed_on_says_nothing_of_it(client, people, ticket):
    login(client, people.alice)
    assert "data-transfers" not in client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "data-transfers" not in client.get("/desk/q/open/").content.decode()


def test_the_count_is_in_russian_with_its_plural(client, people, ticket):
    hand_around(people, ticket)
    login(client, people.sam)
    page = client.get(f"/desk/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Передана 3 раза" in page


def test_the_migration_counts_the_handoffs_made_before_it(people, ticket):
    hand_around(people, ticket)
    other = actions.open_ticket(
        requester=people.carol, by=people.carol, subject="Quiet", body="?",
        category=people.billing,
    )  # fmt: skip
    Ticket.objects.update(transfers=0)
    migration = importlib.import_module("frontline.tickets.migrations.0023_ticket_transfers")
    migration.count_past_transfers(apps, None)
    counts = dict(Ticket.objects.values_list("pk", "transfers"))
    assert counts == {ticket.pk: 3, other.pk: 0}

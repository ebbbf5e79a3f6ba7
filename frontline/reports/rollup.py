"""The reports' rollup: one ``TicketFigures`` row per ticket, refreshed whole.

:func:`refresh` recomputes the rows of some tickets from the tickets
themselves (their current team, assignee and category, the days they were
opened and resolved in the site's time zone, how long those took, on the
clock and in the business hours of the ticket's SLA policy, and whether an SLA
deadline was missed), so running it twice, or after any change, leaves
the same rows: the reaction calls it for one ticket, ``frontline reports
rebuild`` for all of them in batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from frontline.sla.actions import BusinessClock
from frontline.tickets.models import EventKind, Status, Ticket, TicketEvent

from .models import TicketFigures

BATCH = 2000
FIELDS = [
    "team",
    "assignee",
    "category",
    "created_on",
    "first_response_seconds",
    "resolved_on",
    "resolution_seconds",
    "sla_missed",
    "first_response_business_seconds",
    "resolution_business_seconds",
    "channel",
    "organisation",
]


def _figures(tickets: Iterable[Any]) -> list[TicketFigures]:
    zone = timezone.get_default_timezone()
    tickets = list(tickets)
    clock = BusinessClock({t["organisation_id"] for t in tickets if t["organisation_id"]})
    rows = []
    for t in tickets:
        ticket = {
            "priority": t["priority"],
            "channel": t["channel"],
            "organisation_id": t["organisation_id"],
        }
        created = t["created_at"]
        answered = t["first_response_at"]
        resolved = t["resolved_at"] if t["status"] in (Status.RESOLVED, Status.CLOSED) else None
        rows.append(
            TicketFigures(
                ticket_id=t["pk"],
                team_id=t["team_id"],
                assignee_id=t["assignee_id"],
                category_id=t["category_id"],
                created_on=created.astimezone(zone).date(),
                first_response_seconds=(answered - created).total_seconds() if answered else None,
                resolved_on=resolved.astimezone(zone).date() if resolved else None,
                resolution_seconds=(resolved - created).total_seconds() if resolved else None,
                sla_missed=t["missed"],
                first_response_business_seconds=clock.between(created, answered, **ticket),
                resolution_business_seconds=clock.between(created, resolved, **ticket),
                channel=t["channel"],
                organisation_id=t["organisation_id"],
            )
        )
    return rows


def refresh(ticket_ids: Iterable[int]) -> int:
    """Write the rows of these tickets from what the tickets are now (a ticket
    no longer there loses its row with it). Returns the number of rows written."""
    ids = list(ticket_ids)
    breached = TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=EventKind.SLA_BREACH)
    tickets = (
        Ticket.objects.filter(pk__in=ids)
        .annotate(missed=Exists(breached))
        .values(
            "pk",
            "team_id",
            "assignee_id",
            "category_id",
            "status",
            "created_at",
            "first_response_at",
            "resolved_at",
            "missed",
            "priority",
            "channel",
            "organisation_id",
        )
        .order_by()
    )
    rows = _figures(tickets)
    with transaction.atomic():
        TicketFigures.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["ticket"], update_fields=FIELDS
        )
    return len(rows)


def rebuild(*, after: int = 0, batch: int = BATCH) -> Iterator[tuple[int, int]]:
    """Refresh every ticket's row, ``batch`` tickets per transaction, in id order
    from ``after``; yields (last id done, rows written) after each batch. Rows
    of tickets deleted meanwhile went with them (the foreign key cascades)."""
    last = after
    while True:
        ids = list(
            Ticket.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return
        written = refresh(ids)
        last = ids[-1]
        yield last, written

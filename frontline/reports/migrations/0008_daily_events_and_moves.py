"""The daily rows count the day's reopenings and handoffs, and each ticket's
figures how often it was passed on (for the "most moved" list).

The existing tickets' ``moves`` are counted here from their events; the daily
rows are deleted, and written again, with the new counts, by the fill after
``migrate`` (``reports.apps.fill_daily_rollup``, with its progress on
standard error), as on an install upgraded from before the daily rollup."""

from typing import Any

from django.db import migrations, models
from django.db.models import Count, Q

BATCH = 2000


def count_moves(apps: Any, schema_editor: Any) -> None:
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    TicketFigures = apps.get_model("reports", "TicketFigures")
    moved = (
        TicketEvent.objects.filter(Q(kind__in=("team", "assignee")) & ~Q(data__old=None))
        .order_by()
        .values("ticket_id")
        .annotate(n=Count("created_at", distinct=True))
        .values_list("ticket_id", "n")
    )
    per_count: dict[int, list[int]] = {}
    for ticket_id, n in moved:
        per_count.setdefault(n, []).append(ticket_id)
    for n, ids in per_count.items():
        for i in range(0, len(ids), BATCH):
            TicketFigures.objects.filter(ticket_id__in=ids[i : i + BATCH]).update(moves=n)


def forget_daily_rows(apps: Any, schema_editor: Any) -> None:
    """Before the new columns: SQLite copies the table to add one, and an
    empty table is quick to copy."""
    apps.get_model("reports", "DailyFigures").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0007_daily_figures"),
        ("tickets", "0024_fk_indexes_led_by_pairs"),
    ]

    operations = [
        migrations.RunPython(forget_daily_rows, migrations.RunPython.noop, elidable=True),
        migrations.AddField(
            model_name="dailyfigures",
            name="reopened",
            field=models.IntegerField(default=0),
        ),
        migrations.AddField(
            model_name="dailyfigures",
            name="transfers",
            field=models.IntegerField(default=0),
        ),
        migrations.AddField(
            model_name="ticketfigures",
            name="moves",
            field=models.IntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="ticketfigures",
            index=models.Index(fields=["moves"], name="figures_moves"),
        ),
        migrations.RunPython(count_moves, migrations.RunPython.noop, elidable=True),
    ]

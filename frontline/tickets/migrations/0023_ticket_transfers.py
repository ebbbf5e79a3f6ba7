from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery


def count_past_transfers(apps, schema_editor):
    """Tickets handed on before the counter existed: their team and assignee
    events that had an old value, one per moment (a handoff writes both at
    once), as the report counts them. One UPDATE, only tickets that moved."""
    Ticket = apps.get_model("tickets", "Ticket")
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    moves = TicketEvent.objects.filter(kind__in=("team", "assignee")).exclude(data__old=None)
    per_ticket = (
        moves.filter(ticket=OuterRef("pk"))
        .order_by()
        .values("ticket")
        .annotate(n=Count("created_at", distinct=True))
        .values("n")
    )
    Ticket.objects.filter(pk__in=moves.values("ticket")).update(transfers=Subquery(per_ticket))


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0022_fk_indexes_covered_by_composites"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="transfers",
            field=models.PositiveIntegerField(
                db_default=0, default=0, editable=False, verbose_name="times handed on"
            ),
        ),
        migrations.RunPython(count_past_transfers, migrations.RunPython.noop, elidable=True),
    ]

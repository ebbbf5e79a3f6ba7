"""Drop the single-column indexes of foreign keys that lead a composite index
of their own table (docs/benchmarks.md, "Stop 11 speed"): every look-up by the
column uses the composite one; each ticket, message and event written keeps one
index entry fewer. Only the indexes are dropped (SQLite would otherwise rebuild
the whole table for each altered field); the state records ``db_index=False``."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def drop_index(table: str, column: str, name: str) -> migrations.RunSQL:
    return migrations.RunSQL(
        f"DROP INDEX IF EXISTS {name}", f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_brand_and_assign_on_reply"),
        ("tickets", "0021_review_and_macro_events"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="message",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="tickets.ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assigned_tickets",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="organisation",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="accounts.organisation",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="requester",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="requested_tickets",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="team",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="accounts.team",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketevent",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="tickets.ticket",
                    ),
                ),
            ],
            database_operations=[
                drop_index("tickets_message", "ticket_id", "tickets_message_ticket_id_a1134910"),
                drop_index("tickets_ticket", "assignee_id", "tickets_ticket_assignee_id_3a5aa407"),
                drop_index(
                    "tickets_ticket", "organisation_id", "tickets_ticket_organisation_id_46625674"
                ),
                drop_index(
                    "tickets_ticket", "requester_id", "tickets_ticket_requester_id_2072a2f2"
                ),
                drop_index("tickets_ticket", "team_id", "tickets_ticket_team_id_5a4e7469"),
                drop_index(
                    "tickets_ticketevent", "ticket_id", "tickets_ticketevent_ticket_id_b572d14b"
                ),
            ],
        ),
    ]

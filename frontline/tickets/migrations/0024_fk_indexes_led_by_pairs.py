"""Drop the single-column indexes that another index of the same table leads
(issue 19, docs/benchmarks.md "Stop 13"): a ticket's tags (the pair's unique
index leads with the ticket), followers and participants (the unique pair leads
with the ticket, "follower_user"/"participant_user" with the user) and links
(the unique pair leads with the source, "link_target" with the target). Every
look-up by the column uses the longer index. Only the indexes are dropped
(SQLite would rebuild each table for an altered field); the state records
``db_index=False``. The tags' table is Django's own (no field to alter)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def drop_index(table: str, column: str, name: str) -> migrations.RunSQL:
    return migrations.RunSQL(
        f"DROP INDEX IF EXISTS {name}", f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0023_ticket_transfers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ticketfollower",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="followers",
                        to="tickets.ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketfollower",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="followed",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketlink",
                    name="source",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="links_out",
                        to="tickets.ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketlink",
                    name="target",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="links_in",
                        to="tickets.ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketparticipant",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="participations",
                        to="tickets.ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketparticipant",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="participations",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                drop_index(
                    "tickets_ticket_tags", "ticket_id", "tickets_ticket_tags_ticket_id_7f74ebe4"
                ),
                drop_index(
                    "tickets_ticketfollower",
                    "ticket_id",
                    "tickets_ticketfollower_ticket_id_25963598",
                ),
                drop_index(
                    "tickets_ticketfollower", "user_id", "tickets_ticketfollower_user_id_79e2cbce"
                ),
                drop_index(
                    "tickets_ticketparticipant",
                    "ticket_id",
                    "tickets_ticketparticipant_ticket_id_cd4828ee",
                ),
                drop_index(
                    "tickets_ticketparticipant",
                    "user_id",
                    "tickets_ticketparticipant_user_id_64be8916",
                ),
                drop_index(
                    "tickets_ticketlink", "source_id", "tickets_ticketlink_source_id_4ff17706"
                ),
                drop_index(
                    "tickets_ticketlink", "target_id", "tickets_ticketlink_target_id_73a7d86d"
                ),
            ],
        ),
    ]

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
        ("reports", "0004_figures_business_hours_channel_organisation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ticketfigures",
                    name="assignee",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketfigures",
                    name="team",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="accounts.team",
                    ),
                ),
            ],
            database_operations=[
                drop_index(
                    "reports_ticketfigures",
                    "assignee_id",
                    "reports_ticketfigures_assignee_id_8302e768",
                ),
                drop_index(
                    "reports_ticketfigures", "team_id", "reports_ticketfigures_team_id_b8185f7e"
                ),
            ],
        ),
    ]

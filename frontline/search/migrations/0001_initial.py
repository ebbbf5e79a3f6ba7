"""The index tables, made per database (``search/schema.py``): Django only knows them
as unmanaged models."""

import django.db.models.deletion
from django.db import migrations, models

import frontline.search.models
from frontline.search.schema import create_index_table

TABLES = ("search_ticket", "search_contact", "search_organisation")


def create_tables(apps, schema_editor):
    for table in TABLES:
        create_index_table(schema_editor, table)


def drop_tables(apps, schema_editor):
    for table in TABLES:
        schema_editor.execute(f"DROP TABLE IF EXISTS {table}")


def unmanaged(name, table, field, to):
    return migrations.CreateModel(
        name=name,
        fields=[
            ("title", frontline.search.models.IndexedTitle(default="")),
            ("public_text", models.TextField(default="")),
            ("internal_text", models.TextField(default="")),
            (
                field,
                models.OneToOneField(
                    db_column="rowid",
                    db_constraint=False,
                    on_delete=django.db.models.deletion.DO_NOTHING,
                    primary_key=True,
                    related_name="search_index",
                    serialize=False,
                    to=to,
                ),
            ),
        ],
        options={"db_table": table, "managed": False},
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0002_user_lower_email_username_indexes"),
        ("tickets", "0009_next_response_deadline"),
    ]

    operations = [
        unmanaged("TicketIndex", "search_ticket", "ticket", "tickets.ticket"),
        unmanaged("ContactIndex", "search_contact", "contact", "accounts.user"),
        unmanaged(
            "OrganisationIndex", "search_organisation", "organisation", "accounts.organisation"
        ),
        migrations.RunPython(create_tables, drop_tables),
    ]

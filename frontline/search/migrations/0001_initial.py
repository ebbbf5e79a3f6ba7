"""The index tables, made per database: Django only knows them as unmanaged models.

SQLite: FTS5 with the ``unicode61`` tokenizer (``remove_diacritics 2``); the
text arrives folded and with CJK runs split into pairs (``search/text.py``),
so the tokenizer only splits on spaces. PostgreSQL: the same words in plain
columns, ``tsvector`` columns generated from them with the ``simple``
configuration (no stemming: the words are already folded) and GIN indexes;
``public_tsv`` leaves out the internal text, ``staff_tsv`` has it all.
"""

import django.db.models.deletion
from django.db import migrations, models

import frontline.search.models

TABLES = ("search_ticket", "search_contact", "search_organisation")


def create_tables(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            schema_editor.execute(
                f"CREATE VIRTUAL TABLE {table} USING fts5("
                "title, public_text, internal_text, "
                "tokenize = 'unicode61 remove_diacritics 2')"
            )
        elif vendor == "postgresql":
            public = (
                "setweight(to_tsvector('simple'::regconfig, title), 'A') || "
                "setweight(to_tsvector('simple'::regconfig, public_text), 'B')"
            )
            internal = "setweight(to_tsvector('simple'::regconfig, internal_text), 'C')"
            schema_editor.execute(
                f"CREATE TABLE {table} ("
                "rowid bigint PRIMARY KEY, "
                "title text NOT NULL DEFAULT '', "
                "public_text text NOT NULL DEFAULT '', "
                "internal_text text NOT NULL DEFAULT '', "
                f"public_tsv tsvector GENERATED ALWAYS AS ({public}) STORED, "
                f"staff_tsv tsvector GENERATED ALWAYS AS ({public} || {internal}) STORED)"
            )
            schema_editor.execute(f"CREATE INDEX {table}_public ON {table} USING gin (public_tsv)")
            schema_editor.execute(f"CREATE INDEX {table}_staff ON {table} USING gin (staff_tsv)")
        else:
            raise NotImplementedError(f"Search has no index for {vendor}.")


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
        unmanaged("OrganisationIndex", "search_organisation", "organisation", "accounts.organisation"),
        migrations.RunPython(create_tables, drop_tables),
    ]

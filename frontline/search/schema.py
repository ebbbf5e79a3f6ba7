"""The index tables' definition, per database, used by this app's migrations.

SQLite: FTS5 with the ``unicode61`` tokenizer (``remove_diacritics 2``); the
text arrives folded and with CJK runs split into pairs (``search/text.py``),
so the tokenizer only splits on spaces. PostgreSQL: the same words in plain
columns, ``tsvector`` columns generated from them with the ``simple``
configuration (no stemming: the words are already folded) and GIN indexes;
``public_tsv`` leaves out the internal text, ``staff_tsv`` has it all.
"""

from __future__ import annotations

from typing import Any


def create_index_table(schema_editor: Any, table: str) -> None:
    """Make one index table (``rowid``, ``title``, ``public_text``, ``internal_text``)."""
    vendor = schema_editor.connection.vendor
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

"""The search index: one row per ticket, contact, organisation and knowledge-base
article, in a table each engine searches its own way; and agents' saved searches.

The tables are made by this app's migrations, per database (see
``migrations/0001_initial.py``): on SQLite an FTS5 virtual table, on
PostgreSQL a table with ``tsvector`` columns under GIN indexes. Both hold the
same folded words (``text.index_text``) in the same three columns:

- ``title``: subject, or name;
- ``public_text``: what the customer may see (public replies, form answers,
  names of public files, the requester);
- ``internal_text``: what only staff may see (internal notes, call logs, files
  of notes, handoff notes). Customers' queries never look at it: on SQLite the
  query names its columns, on PostgreSQL it runs on ``public_tsv``, which
  leaves it out.

``rowid`` is the indexed object's id, so that a query starts from the object's
own queryset (already limited by ``access.py``) and joins its index row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import NotSupportedError, models
from django.db.models import Expression, F, FloatField, Lookup
from django.utils.translation import gettext_lazy as _

from frontline.accounts.models import Organisation, User
from frontline.tickets.models import Ticket

from .text import ParsedQuery, fts5_query, tsquery_sql

PUBLIC_COLUMNS = ("title", "public_text")


@dataclass(frozen=True)
class Match:
    """What an index row must match: a query, and whether internal text counts."""

    query: ParsedQuery
    internal: bool

    def fts5(self) -> str:
        return fts5_query(self.query, columns=None if self.internal else PUBLIC_COLUMNS)

    @property
    def tsv_column(self) -> str:
        return "staff_tsv" if self.internal else "public_tsv"


class IndexedTitle(models.TextField):
    """The ``title`` column, which carries the ``matches`` lookup for its row."""


@IndexedTitle.register_lookup
class Matches(Lookup):
    """``<relation>__title__matches=Match(...)``: the whole row matches the query."""

    lookup_name = "matches"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return self.rhs

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        match: Match = self.rhs
        alias = compiler.quote_name(self.lhs.alias)
        if connection.vendor == "sqlite":
            # FTS5's hidden column named after the table stands for the whole row.
            table = connection.ops.quote_name(self.lhs.target.model._meta.db_table)
            return f"{alias}.{table} MATCH %s", [match.fts5()]
        if connection.vendor == "postgresql":
            sql, params = tsquery_sql(match.query)
            return f"{alias}.{match.tsv_column} @@ {sql}", params
        raise NotSupportedError("Search runs on SQLite and PostgreSQL.")


@IndexedTitle.register_lookup
class Among(Lookup):
    """``<relation>__title__among=[ids]``: the index row is one of these objects'
    (a list of ids, or a queryset of them: ``Ticket.objects.filter(...).values("pk")``).

    On SQLite the unary plus keeps the ids from FTS5: given ``rowid IN (...)``
    beside ``MATCH``, SQLite runs the full-text query once per id, and each run
    reads the words' whole lists (milliseconds apiece on a big index). With it,
    the matches are read once and each is tested against the ids.
    (``docs/benchmarks.md``, "Stop 13".) PostgreSQL reads the ids through the
    primary key."""

    lookup_name = "among"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        if hasattr(self.rhs, "resolve_expression"):  # a subquery of ids
            return self.rhs
        return [int(pk) for pk in self.rhs]

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        alias = compiler.quote_name(self.lhs.alias)
        plus = "+" if connection.vendor == "sqlite" else ""
        if hasattr(self.rhs, "resolve_expression"):
            # SQLite makes the subquery's ids a temporary b-tree once, then tests
            # each match against it.
            sql, params = compiler.compile(self.rhs)
            return f"{plus}{alias}.rowid IN {sql}", params
        ids: list[int] = self.rhs
        if not ids:
            raise EmptyResultSet
        if connection.vendor == "postgresql":
            return f"{alias}.rowid = ANY(%s)", [ids]
        return f"+{alias}.rowid IN ({', '.join(['%s'] * len(ids))})", ids


class Rank(Expression):
    """How well the row at ``ref`` (its ``title``) matches; lower is better."""

    output_field = FloatField()

    def __init__(self, ref: str, match: Match) -> None:
        super().__init__()
        self.ref: Any = F(ref)
        self.match = match

    def get_source_expressions(self) -> list[Any]:
        return [self.ref]

    def set_source_expressions(self, exprs: Any) -> None:
        (self.ref,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        alias = compiler.quote_name(self.ref.alias)
        if connection.vendor == "sqlite":
            table = connection.ops.quote_name(self.ref.target.model._meta.db_table)
            # Column weights: a word in the title counts ten times a word in the text.
            return f"bm25({alias}.{table}, 10.0, 1.0, 1.0)", []
        if connection.vendor == "postgresql":
            sql, params = tsquery_sql(self.match.query)
            return f"-ts_rank({alias}.{self.match.tsv_column}, {sql})", params
        raise NotSupportedError("Search runs on SQLite and PostgreSQL.")


class Newest(Expression):
    """The id of the row at ``ref`` (its ``title``), to order by, newest first:
    read from the index's own row order, so that SQLite walks the matches
    backwards and stops at the page's end instead of sorting them all."""

    output_field = models.BigIntegerField()

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref: Any = F(ref)

    def get_source_expressions(self) -> list[Any]:
        return [self.ref]

    def set_source_expressions(self, exprs: Any) -> None:
        (self.ref,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        return f"{compiler.quote_name(self.ref.alias)}.rowid", []


class IndexRow(models.Model):
    title = IndexedTitle(default="")
    public_text = models.TextField(default="")
    internal_text = models.TextField(default="")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"index row {self.pk}"


class TicketIndex(IndexRow):
    ticket = models.OneToOneField(
        Ticket,
        primary_key=True,
        db_column="rowid",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="search_index",
    )

    class Meta:
        managed = False
        db_table = "search_ticket"


class ContactIndex(IndexRow):
    contact = models.OneToOneField(
        User,
        primary_key=True,
        db_column="rowid",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="search_index",
    )

    class Meta:
        managed = False
        db_table = "search_contact"


class OrganisationIndex(IndexRow):
    organisation = models.OneToOneField(
        Organisation,
        primary_key=True,
        db_column="rowid",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="search_index",
    )

    class Meta:
        managed = False
        db_table = "search_organisation"


class ArticleIndex(IndexRow):
    """A knowledge-base article's words: its title, and its text as ``public_text``
    (``internal_text`` stays empty). Who may read the article is decided by the
    queryset a search starts from (``knowledge.access``), not by the row."""

    article = models.OneToOneField(
        "knowledge.Article",
        primary_key=True,
        db_column="rowid",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="search_index",
    )

    class Meta:
        managed = False
        db_table = "search_article"


INDEX_TABLES = (TicketIndex, ContactIndex, OrganisationIndex, ArticleIndex)


class SavedSearch(models.Model):
    """A query an agent keeps, by name; pinned ones are listed beside the queues."""

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(_("name"), max_length=80)
    text = models.CharField(_("search"), max_length=500)
    pinned = models.BooleanField(_("pinned beside the queues"), default=True)
    created_at = models.DateTimeField(_("saved"))

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="savedsearch_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

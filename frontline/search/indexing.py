"""Writing the index: each row is rebuilt whole from the database, so writing it
again is harmless (reactions may run twice, a rebuild may overlap them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import phonenumbers
from django.db import connection, transaction

from frontline.accounts.models import Organisation, OrganisationDomain, User
from frontline.tickets.models import INTERNAL_KINDS, Attachment, Message, Ticket

from .models import ArticleIndex, ContactIndex, IndexRow, OrganisationIndex, TicketIndex
from .text import index_text

# A pasted log can be megabytes; the words that matter are near the top.
MESSAGE_CHARS = 100_000
BATCH = 500
FTS5_AUTOMERGE = 4  # FTS5's default

Row = tuple[int, str, str, str]  # rowid, title, public_text, internal_text


def index_tickets(ids: Iterable[int]) -> int:
    """Index these tickets as they are now; rows of tickets gone are removed.
    Returns how many were indexed."""
    return _index("tickets", ids)


def ticket_rows(ids: list[int]) -> list[Row]:
    """The index rows of these tickets, as they are now."""
    public: dict[int, list[str]] = defaultdict(list)
    internal: dict[int, list[str]] = defaultdict(list)
    tickets = Ticket.objects.filter(pk__in=ids).select_related("requester", "organisation")
    for ticket in tickets:
        requester = ticket.requester
        public[ticket.pk] += [requester.display_name, requester.email]
        if ticket.organisation:
            public[ticket.pk].append(ticket.organisation.name)
        public[ticket.pk] += form_answer_words(ticket.fields)
        internal[ticket.pk].append(ticket.handoff_note)
    messages = Message.objects.filter(ticket_id__in=ids).values_list("ticket_id", "kind", "body")
    for ticket_id, kind, body in messages.iterator(chunk_size=2000):
        (internal if kind in INTERNAL_KINDS else public)[ticket_id].append(body[:MESSAGE_CHARS])
    files = Attachment.objects.filter(ticket_id__in=ids).values_list(
        "ticket_id", "is_internal", "filename"
    )
    for ticket_id, is_internal, filename in files:
        (internal if is_internal else public)[ticket_id].append(filename)
    return [
        (t.pk, index_text(t.subject), index_text(*public[t.pk]), index_text(*internal[t.pk]))
        for t in tickets
    ]


def index_contacts(ids: Iterable[int]) -> int:
    return _index("contacts", ids)


def contact_rows(ids: list[int]) -> list[Row]:
    people = User.objects.filter(pk__in=ids).values_list(
        "pk", "first_name", "last_name", "username", "email", "phone"
    )
    return [
        (pk, index_text(first, last, username), index_text(email, phone, _phone_words(phone)), "")
        for pk, first, last, username, email, phone in people
    ]


def index_organisations(ids: Iterable[int]) -> int:
    return _index("organisations", ids)


def organisation_rows(ids: list[int]) -> list[Row]:
    organisations = Organisation.objects.filter(pk__in=ids).values_list("pk", "name", "notes")
    domains: dict[int, list[str]] = {}
    for org_id, domain in OrganisationDomain.objects.filter(organisation_id__in=ids).values_list(
        "organisation_id", "domain"
    ):
        domains.setdefault(org_id, []).append(domain)
    return [
        (pk, index_text(name), index_text(*domains.get(pk, ())), index_text(notes))
        for pk, name, notes in organisations
    ]


def index_articles(ids: Iterable[int]) -> int:
    """Index these knowledge-base articles (title; text as written, Markdown and
    all), drafts too: who may read one is decided when searching. Called by the
    knowledge actions in the transaction that changes the article's words."""
    return _index("articles", ids)


def article_rows(ids: list[int]) -> list[Row]:
    # Found through the index's relation: knowledge calls into search, not the reverse.
    articles = indexed_model("articles").objects.filter(pk__in=ids)
    fields = articles.values_list("pk", "title", "body")
    return [
        (pk, index_text(title), index_text(body[:MESSAGE_CHARS]), "") for pk, title, body in fields
    ]


KINDS: dict[str, tuple[Callable[[list[int]], list[Row]], type[IndexRow]]] = {
    "tickets": (ticket_rows, TicketIndex),
    "contacts": (contact_rows, ContactIndex),
    "organisations": (organisation_rows, OrganisationIndex),
    "articles": (article_rows, ArticleIndex),
}


def _index(kind: str, ids: Iterable[int]) -> int:
    ids = list(ids)
    make_rows, table = KINDS[kind]
    rows = make_rows(ids)
    _write(table, ids, rows)
    return len(rows)


def indexed_model(kind: str) -> Any:
    """The model whose objects the index of ``kind`` holds (its row's ``rowid``)."""
    return KINDS[kind][1]._meta.pk.related_model


def rebuild(kind: str, *, after: int = 0, batch: int = BATCH) -> Iterator[tuple[int, int]]:
    """Index every object of ``kind`` with an id above ``after``, a batch per
    transaction, yielding (last id done, rows indexed) after each batch: the
    caller shows progress and may resume from the last id. At the end, rows of
    objects no longer there (deleted, say) are removed."""
    rows = KINDS[kind][1]
    model = indexed_model(kind)
    last = after
    with _no_automerge(rows):
        while True:
            ids = list(
                model.objects.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                _prune(rows, model)
                return
            with transaction.atomic():
                done = _index(kind, ids)
            last = ids[-1]
            yield last, done


@contextmanager
def _no_automerge(rows: type[IndexRow]) -> Iterator[None]:
    """On SQLite, FTS5's automerge off while a rebuild writes, put back after.

    Each commit into a big FTS5 index merges the new segment into the older
    ones: on the million-ticket index a commit of 500 rows cost 2.35 s of CPU
    with automerge on and 0.01 s with it off (``docs/benchmarks.md``, "Stop
    14"), and held the write lock all that time. With it off, FTS5 still merges
    a level once it has 16 segments (crisismerge), so the index stays bounded."""
    if connection.vendor != "sqlite":
        yield
        return
    table = connection.ops.quote_name(rows._meta.db_table)
    config = connection.ops.quote_name(f"{rows._meta.db_table}_config")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT v FROM {config} WHERE k = 'automerge'")  # noqa: S608
        found = cursor.fetchone()
        before = int(found[0]) if found else FTS5_AUTOMERGE
        cursor.execute(
            f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', 0)"  # noqa: S608
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', %s)",  # noqa: S608
                [before],
            )


def _prune(rows: type[IndexRow], model: Any) -> None:
    table = connection.ops.quote_name(rows._meta.db_table)
    source = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE rowid NOT IN (SELECT id FROM {source})"  # noqa: S608
        )


def _write(model: type[IndexRow], ids: list[int], rows: list[Row]) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {table} WHERE rowid IN ({marks})", chunk)  # noqa: S608
        if rows:
            cursor.executemany(
                f"INSERT INTO {table} (rowid, title, public_text, internal_text) "  # noqa: S608
                "VALUES (%s, %s, %s, %s)",
                rows,
            )


def form_answer_words(fields: dict[str, Any]) -> list[str]:
    """The words of a ticket's form answers; a file answer by its name."""
    out: list[str] = []
    for value in (fields or {}).values():
        if isinstance(value, dict):
            out.append(str(value.get("name", "")))
        elif isinstance(value, list):
            out += [str(v) for v in value]
        elif value is not None:
            out.append(str(value))
    return out


def _phone_words(phone: str) -> str:
    """The number's digits as people type them: international, national, bare."""
    if not phone:
        return ""
    forms = [phone]
    try:
        number = phonenumbers.parse(phone, None)
        forms += [
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
            phonenumbers.national_significant_number(number),
        ]
    except phonenumbers.NumberParseException:
        pass
    return " ".join("".join(c for c in form if c.isdigit()) for form in forms)

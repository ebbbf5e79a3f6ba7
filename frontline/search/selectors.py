"""Searching: one function, ``search``, for the desk and the portal.

What the user may see is decided by ``access.py`` and applied inside the query:
each kind's search starts from that user's queryset (``visible_tickets``,
``visible_contacts``, ``visible_organisations``) and joins its index rows, so
a page of results is one bounded query however many hits are invisible.
Customers' queries look only at the public columns, and their snippets are
cut from ``visible_messages``, so an internal note can neither match nor
show.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Substr
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from frontline.accounts.access import visible_contacts, visible_organisations
from frontline.accounts.models import STAFF_ROLES, Organisation, User
from frontline.tickets.access import (
    sees_internal,
    visible_attachments,
    visible_messages,
    visible_tickets,
)
from frontline.tickets.models import MessageKind, Status, Ticket

from .filters import ticket_conditions
from .indexing import MESSAGE_CHARS, form_answer_words
from .models import Match, Newest, Rank, TicketIndex
from .text import SNIPPET_CHARS, Highlighter, ParsedQuery, parse_query, tokens

PAGE_SIZE = 20
MAX_PAGE = 50  # deeper than a thousand hits, refine the query instead
PREVIEW = 5  # contacts and organisations shown beside the tickets
KINDS = ("tickets", "contacts", "organisations", "articles")
NUMBER = re.compile(r"\s*#?\s*(\d{1,9})\s*")
RANK_CAP = 1000  # past this many visible matches the newest come first, unranked
TOTAL_CAP = 10_000  # the total shown is exact up to this, then "10,000+"
# A query's filters that leave at most this many visible tickets make them a set
# the matches are tested against (``_few_filtered``).
POOL_CAP = 20_000
# PostgreSQL: a query its planner expects to match at least this many visible
# tickets is taken to match more than TOTAL_CAP without counting (``_surely_many``).
SURELY_MANY = 5 * TOTAL_CAP


@dataclass(frozen=True)
class TicketHit:
    ticket: Ticket
    title: SafeString
    snippet: SafeString | None


@dataclass(frozen=True)
class ArticleHit:
    article: Any  # a knowledge-base Article
    title: SafeString
    snippet: SafeString | None


@dataclass
class Results:
    text: str
    query: ParsedQuery
    kind: str | None = None
    page: int = 1
    tickets: list[TicketHit] = field(default_factory=list)
    ticket_count: int = 0  # exact up to TOTAL_CAP
    more_tickets: bool = False  # more than TOTAL_CAP match: the page says "10,000+"
    has_next: bool = False
    contacts: list[User] = field(default_factory=list)
    organisations: list[Organisation] = field(default_factory=list)
    articles: list[ArticleHit] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # why the query could not run
    broad: bool = False  # so many tickets match that the newest come first

    @property
    def is_empty(self) -> bool:
        return not (self.tickets or self.contacts or self.organisations or self.articles)


def ticket_number(text: str) -> int | None:
    """The ticket number ``text`` is (``1042``, ``#1042``), if it is only that."""
    found = NUMBER.fullmatch(text)
    return int(found.group(1)) if found else None


def search(
    user: User,
    text: str,
    *,
    kind: str | None = None,
    page: int = 1,
    articles: QuerySet[Any] | None = None,
) -> Results:
    """What ``user`` may see that matches ``text``: a page of tickets, best first
    (recent first among equals; the latest first for filters alone), for staff
    the first contacts and organisations, and the first of ``articles`` (the
    knowledge-base articles ``user`` may read, from ``knowledge.access``; none
    if not given); or a page of one ``kind``. Filters are on tickets: a query
    with one finds no contact, organisation or article.
    Never raises for what was typed: a query with nothing to look for gives
    empty results (``Results.query.is_empty``), a filter value that means
    nothing gives ``Results.errors``."""
    kind = kind if kind in KINDS else None
    page = min(max(page, 1), MAX_PAGE)
    query = parse_query(text)
    results = Results(text=text, query=query, kind=kind, page=page)
    if query.is_empty:
        return results
    condition, results.errors = ticket_conditions(query.filters, user=user)
    if query.excluded and not query.required:
        results.errors.append(_("A search cannot only exclude words: add a word to look for."))
    if results.errors:
        return results
    match = Match(query, internal=sees_internal(user)) if query.required else None
    if kind in (None, "tickets"):
        _tickets(user, match, condition, results)
    if sees_internal(user) and match is not None and not query.filters:
        size = PREVIEW if kind is None else PAGE_SIZE
        start = (page - 1) * size if kind else 0
        if kind in (None, "contacts"):
            contacts = _ranked(visible_contacts(user), match)[start : start + size + 1]
            results.contacts = list(contacts)
            results.has_next |= kind == "contacts" and len(results.contacts) > size
            results.contacts = results.contacts[:size]
        if kind in (None, "organisations"):
            found = _ranked(visible_organisations(user), match)[start : start + size + 1]
            # Their mail domains in one more query, only when some were found.
            results.organisations = list(found.prefetch_related("domains"))
            results.has_next |= kind == "organisations" and len(results.organisations) > size
            results.organisations = results.organisations[:size]
    if (
        articles is not None
        and match is not None
        and not query.filters
        and kind in (None, "articles")
    ):
        size = PREVIEW if kind is None else PAGE_SIZE
        start = (page - 1) * size if kind else 0
        hits = find_articles(articles, query, start=start, limit=size + 1)
        results.has_next |= kind == "articles" and len(hits) > size
        results.articles = hits[:size]
    return results


def find_articles(
    among: QuerySet[Any], text: str | ParsedQuery, *, start: int = 0, limit: int = PAGE_SIZE
) -> list[ArticleHit]:
    """The articles of ``among`` whose title or text matches ``text``, best first
    (then the most read), with highlighted titles and snippets. ``among`` says
    who may read what (``knowledge.access``): a public-only queryset never
    yields an internal article or a draft."""
    query = parse_query(text) if isinstance(text, str) else text
    if not query.required:
        return []
    match = Match(query, internal=False)
    found = list(_ranked(among, match, "-view_count")[start : start + limit])
    marks = Highlighter(query.words)
    hits = []
    for article in found:
        title = marks.snippet(article.title)
        body = marks.snippet(article.body[:MESSAGE_CHARS])
        hits.append(
            ArticleHit(
                article=article,
                title=mark_safe(title) if title else escape(article.title),  # noqa: S308
                snippet=mark_safe(body) if body else None,  # noqa: S308
            )
        )
    return hits


def _ranked[QS: QuerySet[Any]](qs: QS, match: Match, *ties: str) -> QS:
    """``qs`` narrowed to rows whose index row matches, best first, then by ``ties``."""
    return (
        qs.filter(search_index__title__matches=match)
        .annotate(rank=Rank("search_index__title", match))
        .order_by("rank", *ties, "-pk")
    )


def total(qs: QuerySet[Any]) -> int:
    """How many rows ``qs`` has, counted up to ``TOTAL_CAP + 1`` (one more than the
    cap says "more"): ``SELECT count(*) FROM (SELECT ... LIMIT 10001)``, so a
    word in half the tickets costs no more than the cap's worth of index rows."""
    with _through_the_index():
        return _capped_count(qs)


def _capped_count(qs: QuerySet[Any]) -> int:
    return qs.order_by()[: TOTAL_CAP + 1].count()


@contextmanager
def _through_the_index() -> Iterator[None]:
    """On PostgreSQL, the statements inside read the matches through the GIN
    index: with a LIMIT the planner would rather walk a table, testing ``@@`` on
    each row and detoasting its ``tsvector``, which it prices as cheap and is not
    (``docs/benchmarks.md``, "Stop 11 search": 74,000 to 196,000 buffers for a
    common word, against 3,300 to 11,000 this way). Nothing on SQLite."""
    if connection.vendor != "postgresql":
        yield
        return
    nested = connection.in_atomic_block  # SET LOCAL lasts to the outermost commit
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        yield
        # A savepoint released keeps SET LOCAL to the outermost commit: put them
        # back. One rolled back (the count failed) undoes them itself, and a
        # statement sent in the failed transaction would hide the real error.
        if nested:
            cursor.execute(
                "SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL enable_indexscan TO DEFAULT"
            )


def _first_and_total(qs: QuerySet[Any], *, alone: bool) -> tuple[list[int], int]:
    """The ids of some of ``qs``'s rows, and how many rows it has (exact up to
    ``TOTAL_CAP``, see ``total``). Fewer than ``RANK_CAP`` ids means those are
    all of them: they are ranked among themselves (``Among``), without reading
    every match of the words a second time (``docs/benchmarks.md``, "Stop 13").

    ``alone``: ``qs`` reads the index alone, so its first ``RANK_CAP`` rows
    cost little and a count past them little more. Otherwise every match costs
    a ticket read, and a filter or an agent's team may keep few of them: one
    pass fetches up to ``TOTAL_CAP + 1`` ids, rather than fetching the first
    ``RANK_CAP`` and then counting over the same matches again. So does
    PostgreSQL always: its GIN index yields the first row only after reading
    every match (``docs/benchmarks.md``, "Stop 14")."""
    with _through_the_index():
        ids = qs.order_by().values_list("pk", flat=True)
        # PostgreSQL builds the bitmap of every match of the words before it
        # returns the first row, whatever the LIMIT: two passes would build it twice.
        if not alone or connection.vendor == "postgresql":
            first = list(ids[: TOTAL_CAP + 1])
            return first, len(first)
        first = list(ids[:RANK_CAP])
        if len(first) < RANK_CAP:
            return first, len(first)
        return first, _capped_count(qs)


def _surely_many(qs: QuerySet[Any]) -> bool:
    """On PostgreSQL, whether its planner expects ``qs`` to have at least
    ``SURELY_MANY`` rows (five times the count cap), from its own statistics
    (``EXPLAIN``, no row read: the words' frequencies in the index's sample,
    the share of tickets the user's teams and filters leave). Then the total
    shown is "10,000+" without counting, and the page is the newest matches:
    the GIN index builds the bitmap of every match of the words before its
    first row, 66 ms for a word in a fifth of a million tickets, 150 ms in half
    (``docs/benchmarks.md``, "Stop 15"). A page that ends before it is full is
    counted as it is (``_tickets``). Always False on SQLite, whose FTS5 index
    yields its matches in order and stops at the cap.

    Asked only for the index rows alone (someone who sees every ticket, no
    filter): there the estimate is the words' own frequency. Narrowed to a
    user's teams or by filters it assumes the words spread evenly over them, and
    words follow teams (a billing word is in the billing team's tickets): an
    agent of another team could be told "10,000+" of a few hundred."""
    if connection.vendor != "postgresql":
        return False
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return bool(plan[0]["Plan"]["Plan Rows"] >= SURELY_MANY)


def _counted(user: User, match: Match, query: ParsedQuery, matched: QuerySet[Any]) -> QuerySet[Any]:
    """What to count for the total: for someone who sees every ticket
    (``for_agent`` filters nothing) and no filter, the index rows alone, no join
    to tickets (the index follows tickets in their own transaction, deletions
    included, and ``frontline search check`` reports drift); for everyone else
    the matches they may see."""
    if query.filters or not (sees_internal(user) and user.sees_all_tickets):
        return matched
    return TicketIndex.objects.filter(title__matches=match)


def _few_filtered(visible: QuerySet[Ticket], query: ParsedQuery) -> QuerySet[Any] | None:
    """The ids of the tickets the query's filters leave visible, as a subquery,
    when there are at most ``POOL_CAP`` of them (one count over at most that
    many, from the tickets' indexes for the usual filters); else None.

    Joined to the index, every match of the words costs a read of its ticket's
    row to test the filters: a common word with two filters read half a million
    rows. Tested against the filtered ids instead, the matches are read from the
    index alone (``docs/benchmarks.md``, "Stop 14")."""
    if not query.filters:
        return None
    ids = visible.order_by().values("pk")
    return ids if ids[:POOL_CAP].count() < POOL_CAP else None


def _tickets(user: User, match: Match | None, condition: Q, results: Results) -> None:
    visible = visible_tickets(user).filter(condition)
    count: int | None = None
    ranks: dict[int, float] | None = None  # of every visible match, when read with them
    best: list[int] | None = None  # their ids best first
    if match is None:  # filters alone: the latest first
        matching = visible.order_by("-updated_at", "-pk")
    else:
        # Ranking reads every match; past RANK_CAP of them (visible to this
        # user) the words say little about any one ticket anyway, so the newest
        # come first, read straight from the index in its order. Under it, the
        # few are ranked among themselves.
        pool = _few_filtered(visible, results.query)
        if pool is None:
            matched = visible.filter(search_index__title__matches=match)
            counted = _counted(user, match, results.query, matched)
            if counted.model is TicketIndex and _surely_many(counted):
                first, count = list[int](), TOTAL_CAP + 1
            else:
                first, count = _first_and_total(counted, alone=counted.model is TicketIndex)
        else:
            matched = Ticket.objects.filter(
                search_index__title__matches=match, search_index__title__among=pool
            )
            counted = TicketIndex.objects.filter(title__matches=match, title__among=pool)
            if connection.vendor == "sqlite":
                # The one walk of the matches gives their ranks too (bm25 of the
                # few that pass costs little): no second walk to rank them.
                scored = counted.annotate(rank=Rank("title", match)).order_by()
                ranks = dict(scored.values_list("pk", "rank")[: TOTAL_CAP + 1])
                first, count = list(ranks), len(ranks)
            else:
                first, count = _first_and_total(counted, alone=False)
        results.broad = count >= RANK_CAP
        if results.broad:
            matching = matched.annotate(newest=Newest("search_index__title")).order_by("-newest")
        elif ranks is not None:
            best = _best_first(ranks)
        else:
            among = Ticket.objects.filter(search_index__title__among=first)
            matching = _ranked(among, match, "-updated_at")
    start = (results.page - 1) * PAGE_SIZE
    # The page's ids first, from the index and the visibility filter alone; then
    # those tickets with what the list shows (joined at once, SQLite's planner
    # may start from another table).
    if best is not None:
        ids = best[start : start + PAGE_SIZE + 1]
    else:
        ids = list(matching.values_list("pk", flat=True)[start : start + PAGE_SIZE + 1])
    results.has_next = len(ids) > PAGE_SIZE
    ids = ids[:PAGE_SIZE]
    if count is not None and count > TOTAL_CAP and not first and not results.has_next:
        # The planner expected many (``_surely_many``) and the page says otherwise.
        count = None
    if count is None:
        if not ids:
            count = 0 if results.page == 1 else total(matching)
        elif not results.has_next and start == 0:
            count = len(ids)
        else:
            count = total(matching)
    results.ticket_count = min(count, TOTAL_CAP)
    results.more_tickets = count > TOTAL_CAP
    if not ids:
        return
    rows = {t.pk: t for t in Ticket.objects.filter(pk__in=ids).with_list_relations()}
    texts = _texts(user, ids)
    for pk, ticket in rows.items():
        texts[pk] += form_answer_words(ticket.fields)
    marks = Highlighter(results.query.words)
    for pk in ids:
        ticket = rows[pk]
        title = marks.snippet(ticket.subject)
        found = next(filter(None, (marks.snippet(t) for t in texts[pk])), None)
        results.tickets.append(
            TicketHit(
                ticket=ticket,
                title=mark_safe(title) if title else escape(ticket.subject),  # noqa: S308
                snippet=mark_safe(found) if found else None,  # noqa: S308
            )
        )


def _best_first(ranks: dict[int, float]) -> list[int]:
    """The ids of ``ranks`` best first, then the latest change, as ``_ranked``
    orders them; one read of their tickets' ``updated_at`` by primary key."""
    updated = dict(Ticket.objects.filter(pk__in=list(ranks)).values_list("pk", "updated_at"))
    return sorted(
        (pk for pk in ranks if pk in updated),
        key=lambda pk: (ranks[pk], -updated[pk].timestamp(), -pk),
    )


def _texts(user: User, ids: list[int]) -> dict[int, list[str]]:
    """What a snippet may be cut from, per ticket: the messages ``user`` may read
    (newest first), form answers, and the names of files they may open."""
    texts: dict[int, list[str]] = defaultdict(list)
    bodies = (
        visible_messages(user, of=ids)
        .order_by("-created_at", "-pk")
        .annotate(head=Substr("body", 1, MESSAGE_CHARS))
        .values_list("ticket_id", "head")
    )
    for ticket_id, body in bodies:
        texts[ticket_id].append(body)
    files = visible_attachments(user, of=ids).values_list("ticket_id", "filename")
    for ticket_id, filename in files:
        texts[ticket_id].append(filename)
    return texts


SIMILAR_WORDS = 8  # the words of a ticket looked for in others
SIMILAR_CANDIDATES = 200  # the newest matching tickets ranked, however many match
SIMILAR_TEXT = 600  # of the first message


@dataclass(frozen=True)
class SimilarTicket:
    ticket: Ticket
    resolution: str  # the last public answer from staff, as the user may read it


def similar_words(ticket: Ticket, first_message: str = "") -> list[str]:
    """The distinctive words of a ticket (subject first, then its first message),
    as the index holds them: tokens of three letters or more, not numbers."""
    found = [
        t
        for t in tokens(ticket.subject + " " + first_message[:SIMILAR_TEXT])
        if len(t) >= 3 and not t.isdigit()
    ]
    return list(dict.fromkeys(found))[:SIMILAR_WORDS]


def similar_resolved(user: User, ticket: Ticket, *, limit: int = 5) -> list[SimilarTicket]:
    """Resolved or closed tickets ``user`` may see that share words with ``ticket``
    (any of ``similar_words``), best first, with how each was answered. Starts
    from ``visible_tickets``; three bounded queries: the newest
    ``SIMILAR_CANDIDATES`` matches (read in the index's order, so a common word
    does not make it read every match), those ranked, then the page with its
    last staff reply."""
    first = (
        visible_messages(user, of=[ticket.pk])
        .filter(kind=MessageKind.REPLY)
        .order_by("pk")
        .values_list("body", flat=True)[:1]
    )
    words = similar_words(ticket, next(iter(first), ""))
    if not words or limit <= 0:
        return []
    match = Match(ParsedQuery(required=(tuple((w,) for w in words),)), internal=False)
    pool = (
        visible_tickets(user)
        .filter(status__in=[Status.RESOLVED, Status.CLOSED], merged_into__isnull=True)
        .exclude(pk=ticket.pk)
    )
    candidates = list(
        pool.filter(search_index__title__matches=match)
        .annotate(newest=Newest("search_index__title"))
        .order_by("-newest")
        .values_list("pk", flat=True)[:SIMILAR_CANDIDATES]
    )
    if not candidates:
        return []
    among = Ticket.objects.filter(search_index__title__among=candidates)
    best = list(_ranked(among, match, "-pk").values_list("pk", flat=True)[:limit])
    answers = (
        visible_messages(user, of=best)
        .filter(ticket=OuterRef("pk"), kind=MessageKind.REPLY, author__role__in=STAFF_ROLES)
        .order_by("-pk")
        .annotate(start=Substr("body", 1, SNIPPET_CHARS * 2))
        .values("start")[:1]
    )
    rows = Ticket.objects.filter(pk__in=best).annotate(resolution=Subquery(answers)).in_bulk()
    return [
        SimilarTicket(ticket=rows[pk], resolution=rows[pk].resolution or "")
        for pk in best
        if pk in rows
    ]

"""Articles that match what someone types: the one function callers use.

For now an indexed look-up of terms (``ArticleTerm``, see ``knowledge.terms``),
ranked by how many of the typed words an article has, title words counting
more. The search app will answer the same question from its full-text index;
callers keep calling :func:`suggest_articles`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q

from frontline.tickets.models import MessageKind, Ticket

from .access import public_articles
from .models import STAFF_SCOPE, Article, ArticleQuerySet, ArticleTerm, public_scope
from .terms import terms

MAX_QUERY_TERMS = 24
POSTINGS_PER_TERM = 400
MAX_TEXT = 2000


def suggest_articles(
    text: str,
    *,
    language: str | None,
    limit: int = 5,
    among: ArticleQuerySet | None = None,
    staff: bool = False,
) -> list[Article]:
    """Up to ``limit`` articles matching ``text``, the best first.

    Only public published articles unless ``among`` (which callers get from
    ``knowledge.access``) says otherwise; only those in ``language`` if given.
    ``staff``: the asker is staff, so internal articles may be among the
    candidates (the desk); otherwise only public ones are read from the index,
    whatever ``among`` holds.
    """
    wanted = terms(text[:MAX_TEXT], limit=MAX_QUERY_TERMS)
    if not wanted or limit <= 0:
        return []
    pool = public_articles() if among is None else among
    if language:
        pool = pool.filter(language=language)
    if staff:
        scopes = [STAFF_SCOPE]
    else:
        languages = [language] if language else [code for code, _name in settings.LANGUAGES]
        scopes = [public_scope(code) for code in languages]
    ids = _ranked_ids(wanted, scopes, pool, limit)
    found = pool.filter(pk__in=ids).select_related("category__parent").in_bulk()
    return [found[pk] for pk in ids if pk in found]


def _ranked_ids(
    wanted: list[str], scopes: list[str], pool: ArticleQuerySet, limit: int
) -> list[int]:
    """The ids of the ``limit`` articles of ``pool`` with the most weight of
    ``wanted`` terms, from a bounded number of postings.

    Each term's postings are read from the index (term, scope, weight,
    article) in its order, title words first then the newest articles, and at
    most ``POSTINGS_PER_TERM`` of them per scope. The scopes hold only what
    the asker may be offered (``ArticleTerm``): a customer's cap is counted
    among the public articles of their language, never spent on internal
    articles or drafts. A word in more articles than that tells little about
    any one (on the 10,000-article bench "printer" is in 5,900) and would make
    every keystroke read them all. Only then are they tested against the
    pool's ids, summed and ranked. So a request reads at most
    ``MAX_QUERY_TERMS * POSTINGS_PER_TERM`` index entries per scope, whatever
    the size of the knowledge base; below the cap the ranking is exact. (One
    query; the ORM cannot put a LIMIT inside each member of a UNION on SQLite.)
    """
    table = connection.ops.quote_name(ArticleTerm._meta.db_table)
    postings = " UNION ALL ".join(
        # Only our table's name and an int go into the text; the words are parameters.
        f"SELECT * FROM (SELECT article_id AS hit, weight FROM {table} "  # noqa: S608
        f"WHERE term = %s AND scope = %s "
        f"ORDER BY weight DESC, article_id DESC LIMIT {POSTINGS_PER_TERM}) AS t{i}"
        for i in range(len(wanted) * len(scopes))
    )
    try:
        pool_sql, pool_params = pool.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # a pool that cannot hold anything (``.none()``)
        return []
    sql = (
        f"SELECT hit, SUM(weight) AS score FROM ({postings}) AS postings "  # noqa: S608
        f"WHERE hit IN ({pool_sql}) GROUP BY hit ORDER BY score DESC, hit LIMIT %s"
    )
    pairs = [value for term in wanted for scope in scopes for value in (term, scope)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*pairs, *pool_params, limit])
        return [row[0] for row in cursor.fetchall()]


@dataclass(frozen=True)
class Suggestion:
    """An article for an agent's ticket, and the link to give the customer
    (its translation into the customer's language when there is one; None for
    an internal article, which a customer cannot open)."""

    article: Article
    customer_link: Article | None


@dataclass(frozen=True)
class TicketArticles:
    suggested: list[Suggestion]
    read_before: list[Article]  # opened by the requester while writing the request


def articles_for_ticket(
    ticket: Ticket, *, among: ArticleQuerySet, limit: int = 5
) -> TicketArticles:
    """Articles (from ``among``, which the caller gets from ``knowledge.access``)
    matching the ticket's subject and first message, except those the requester
    already read before writing (in any language), which are listed apart. A
    bounded number of queries."""
    language = ticket.requester.language
    read = list(
        among.filter(suggested_reads__ticket=ticket)
        .distinct()
        .only("id", "title", "language", "translation_of")
    )
    seen = {a.original_id for a in read}
    first = (
        ticket.messages.filter(kind=MessageKind.REPLY)
        .order_by("pk")
        .values_list("body", flat=True)[:1]
    )
    text = " ".join([ticket.subject, *first])
    pool = among.exclude(pk__in=seen).exclude(translation_of_id__in=seen) if seen else among
    found = suggest_articles(text, language=None, limit=limit, among=pool, staff=True)
    return TicketArticles(
        suggested=_with_customer_links(found, language),
        read_before=read,
    )


def _with_customer_links(found: list[Article], language: str) -> list[Suggestion]:
    originals = {a.original_id for a in found if a.is_public}
    translated: dict[int, Article] = {}
    if language and originals:
        for a in public_articles().filter(
            Q(pk__in=originals) | Q(translation_of_id__in=originals), language=language
        ):
            translated[a.original_id] = a
    return [
        Suggestion(
            article=a,
            customer_link=(translated.get(a.original_id, a) if a.is_public else None),
        )
        for a in found
    ]

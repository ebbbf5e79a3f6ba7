"""Articles that match what someone types: the one function callers use.

For now an indexed look-up of terms (``ArticleTerm``, see ``knowledge.terms``),
ranked by how many of the typed words an article has, title words counting
more. The search app will answer the same question from its full-text index;
callers keep calling :func:`suggest_articles`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import BigIntegerField, ExpressionWrapper, F, Q, Sum

from frontline.tickets.models import MessageKind, Ticket

from .access import public_articles
from .models import Article, ArticleQuerySet, ArticleTerm
from .terms import terms

MAX_QUERY_TERMS = 24
MAX_TEXT = 2000


def suggest_articles(
    text: str,
    *,
    language: str | None,
    limit: int = 5,
    among: ArticleQuerySet | None = None,
) -> list[Article]:
    """Up to ``limit`` articles matching ``text``, the best first.

    Only public published articles unless ``among`` (which callers get from
    ``knowledge.access``) says otherwise; only those in ``language`` if given.
    """
    wanted = terms(text[:MAX_TEXT], limit=MAX_QUERY_TERMS)
    if not wanted or limit <= 0:
        return []
    pool = public_articles() if among is None else among
    if language:
        pool = pool.filter(language=language)
    # Start from the postings of the words typed, read from the covering index
    # (term, article, weight), and test each against the pool's ids. Filtered
    # and grouped on ``article_id + 0`` so that SQLite cannot walk an index on
    # the article instead (its planner did: every term of every article in the
    # pool, or of all of them to group without sorting: 80,000 to 170,000 rows
    # on the 10,000-article bench, where the words' postings are ~20,000).
    ranked = (
        ArticleTerm.objects.filter(term__in=wanted)
        .annotate(hit=ExpressionWrapper(F("article_id") + 0, output_field=BigIntegerField()))
        .filter(hit__in=pool.values("pk"))
        .values("hit")
        .annotate(score=Sum("weight"))
        .order_by("-score", "hit")[:limit]
    )
    ids = [row["hit"] for row in ranked]
    found = pool.filter(pk__in=ids).select_related("category__parent").in_bulk()
    return [found[pk] for pk in ids if pk in found]


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
    found = suggest_articles(text, language=None, limit=limit, among=pool)
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

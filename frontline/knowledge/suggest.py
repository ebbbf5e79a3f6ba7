"""Articles that match what someone types: the one function callers use.

For now an indexed look-up of terms (``ArticleTerm``, see ``knowledge.terms``),
ranked by how many of the typed words an article has, title words counting
more. The search app will answer the same question from its full-text index;
callers keep calling :func:`suggest_articles`.
"""

from __future__ import annotations

from django.db.models import Sum

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
    ranked = (
        ArticleTerm.objects.filter(term__in=wanted, article__in=pool.values("pk"))
        .values("article_id")
        .annotate(score=Sum("weight"))
        .order_by("-score", "article_id")[:limit]
    )
    ids = [row["article_id"] for row in ranked]
    found = pool.filter(pk__in=ids).select_related("category__parent").in_bulk()
    return [found[pk] for pk in ids if pk in found]

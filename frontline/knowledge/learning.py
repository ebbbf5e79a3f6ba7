"""The learning path: articles marked for new agents, and who has read which."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from frontline.accounts.models import User

from .models import Article, ArticleQuerySet, ArticleRead

MAX_STEPS = 200


@dataclass(frozen=True)
class Step:
    article: Article
    read_at: datetime.datetime | None


def learning_path(learner: User, *, among: ArticleQuerySet) -> list[Step]:
    """The published learning-path articles of ``among`` (from ``knowledge.access``),
    by category, with when ``learner`` first read each (None: not yet). One query."""
    first_read = ArticleRead.objects.filter(article=OuterRef("pk"), user=learner).values("read_at")[
        :1
    ]
    articles = (
        among.filter(for_trainees=True)
        .select_related("category__parent")
        .annotate(read_at=Subquery(first_read))
        .order_by("category__parent__position", "category__position", "category__name", "title")
    )[:MAX_STEPS]
    return [Step(article=a, read_at=a.read_at) for a in articles]

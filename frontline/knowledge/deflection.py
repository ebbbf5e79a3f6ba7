"""How many requests the knowledge base answered before anyone had to.

A customer writing a new request on the portal sees matching articles; one
they open is a :class:`~frontline.knowledge.models.SuggestedRead`. If they
then write anyway (a new ticket of theirs within ``KB_DEFLECTION_HOURS``) the
read is recorded on that ticket; if that time passes without one, the read is a
**deflection**. Reads younger than that are still open: not counted either way.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q

from .actions import deflection_window
from .models import Article, SuggestedRead


@dataclass(frozen=True)
class Deflection:
    opened: int  # suggested articles opened
    wrote_anyway: int  # ... followed by a request of theirs
    deflected: int  # ... and none within the window
    article: Article | None = None

    @property
    def waiting(self) -> int:
        """Reads too recent to tell."""
        return self.opened - self.wrote_anyway - self.deflected


def _deflected(now: datetime.datetime) -> Count:
    """Reads with no request within the window, which has passed for them."""
    return Count("pk", filter=Q(ticket__isnull=True, opened_at__lt=now - deflection_window()))


OPENED = Count("pk")
WROTE_ANYWAY = Count("pk", filter=Q(ticket__isnull=False))


def deflection_totals(
    *, since: datetime.datetime | None, now: datetime.datetime, article: Article | None = None
) -> Deflection:
    """The counts of reads opened since ``since`` (ever, if None), of one article if given."""
    reads = SuggestedRead.objects.filter(opened_at__lte=now)
    if since is not None:
        reads = reads.filter(opened_at__gte=since)
    if article is not None:
        reads = reads.filter(article=article)
    counts = reads.aggregate(opened=OPENED, wrote_anyway=WROTE_ANYWAY, deflected=_deflected(now))
    return Deflection(**counts, article=article)


def deflection_by_article(
    *, since: datetime.datetime, now: datetime.datetime, limit: int = 50
) -> list[Deflection]:
    """The articles that deflected most requests since ``since``, in two queries."""
    rows = list(
        SuggestedRead.objects.filter(opened_at__gte=since, opened_at__lte=now)
        .values("article_id")
        .annotate(opened=OPENED, wrote_anyway=WROTE_ANYWAY, deflected=_deflected(now))
        .order_by("-deflected", "-opened", "article_id")[:limit]
    )
    articles = Article.objects.select_related("category__parent").in_bulk(
        [row["article_id"] for row in rows]
    )
    return [
        Deflection(
            opened=row["opened"],
            wrote_anyway=row["wrote_anyway"],
            deflected=row["deflected"],
            article=articles[row["article_id"]],
        )
        for row in rows
        if row["article_id"] in articles
    ]

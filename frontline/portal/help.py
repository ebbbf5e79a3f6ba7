"""The help centre: public articles for anyone, without signing in (/help/).

Staff who are signed in also find internal articles here. Every article comes
through ``frontline.knowledge.access``; searches through the search index
(``find_articles``), suggestions through ``suggest_articles``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db.models import F, Q, Window
from django.db.models.functions import Coalesce, RowNumber
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontline.accounts.models import User
from frontline.knowledge.access import (
    access_article,
    access_article_file,
    public_articles,
    readable_articles,
)
from frontline.knowledge.actions import (
    count_article_view,
    record_article_read,
    record_feedback,
    record_suggested_read,
)
from frontline.knowledge.models import Article, ArticleCategory
from frontline.knowledge.suggest import suggest_articles
from frontline.search.selectors import find_articles
from frontline.tickets.downloads import attachment_response

from .forms import HelpfulForm

TOP_PER_CATEGORY = 5
SITEMAP_LIMIT = 50_000  # the sitemap protocol's most addresses in one file
SEARCH_LIMIT = 20
SUGGESTIONS = 5
VOTED = "kb_voted"  # session key: articles this visitor already rated


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


def _most_viewed(request: HttpRequest, language: str) -> list[Article]:
    """The most viewed readable articles of each top-level category, in one query."""
    top = Coalesce("category__parent_id", "category_id")
    return list(
        readable_articles(request.user)
        .filter(language=language)
        .select_related("category__parent")
        .annotate(
            rank=Window(RowNumber(), partition_by=[top], order_by=[F("view_count").desc(), "pk"])
        )
        .filter(rank__lte=TOP_PER_CATEGORY)
        .order_by("category__parent__position", "category__position", "-view_count", "pk")
    )


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    """A search box and the most read articles of each category, in the reader's
    language (the site's default language when there are none in it yet)."""
    language = _language()
    articles = _most_viewed(request, language)
    if not articles and language != settings.LANGUAGE_CODE:
        articles = _most_viewed(request, settings.LANGUAGE_CODE)
    sections: dict[int, tuple[ArticleCategory, list[Article]]] = {}
    for article in articles:
        heading = article.category.parent or article.category
        sections.setdefault(heading.pk, (heading, []))[1].append(article)
    ordered = sorted(sections.values(), key=lambda s: (s[0].position, s[0].name))
    return render(request, "help/home.html", {"sections": ordered})


@login_not_required
def category(request: HttpRequest, pk: int) -> HttpResponse:
    heading = get_object_or_404(ArticleCategory.objects.select_related("parent"), pk=pk)
    articles = list(
        readable_articles(request.user)
        .filter(Q(category=heading) | Q(category__parent=heading), language=_language())
        .select_related("category")
        .order_by("-view_count", "pk")[:100]
    )
    if (
        not articles
        and not readable_articles(request.user)
        .filter(Q(category=heading) | Q(category__parent=heading))
        .exists()
    ):
        raise Http404  # nothing this reader may see: not even the heading
    return render(request, "help/category.html", {"heading": heading, "articles": articles})


@login_not_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    among = readable_articles(request.user).filter(language=_language())
    hits = find_articles(among, query, limit=SEARCH_LIMIT) if query else []
    results = [hit.article for hit in hits]
    return render(request, "help/search.html", {"query": query, "results": results})


@login_not_required
def suggest(request: HttpRequest) -> HttpResponse:
    """Public articles matching a request being written on the portal (htmx fragment)."""
    text = " ".join(request.GET.get(key, "")[:1000] for key in ("subject", "body"))
    articles = suggest_articles(text, language=_language(), limit=SUGGESTIONS)
    return render(request, "help/_suggestions.html", {"articles": articles})


def _article_page(
    request: HttpRequest, article: Article, form: HelpfulForm | None = None, status: int = 200
) -> HttpResponse:
    family = (
        readable_articles(request.user)
        .filter(Q(pk=article.original_id) | Q(translation_of_id=article.original_id))
        .exclude(pk=article.pk)
        .only("id", "title", "language")
    )
    voted = article.pk in request.session.get(VOTED, [])
    return render(
        request,
        "help/article.html",
        {"article": article, "family": family, "form": form or HelpfulForm(), "voted": voted},
        status=status,
    )


@login_not_required
def article(request: HttpRequest, pk: int) -> HttpResponse:
    found = access_article(request.user, pk)
    count_article_view(found)
    if request.GET.get("from") == "suggested" and isinstance(request.user, User):
        # Opened beside a request being written: a deflection unless they write anyway.
        record_suggested_read(found, by=request.user)
    if isinstance(request.user, User) and request.user.is_staff_member:
        record_article_read(found, by=request.user)  # a learning-path article, maybe
    return _article_page(request, found)


@login_not_required
@require_POST
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Was this helpful?": counted once per visitor's session, a comment for staff."""
    found = access_article(request.user, pk)
    form = HelpfulForm(request.POST)
    if not form.is_valid():
        return _article_page(request, found, form=form, status=400)
    voted = request.session.get(VOTED, [])
    if found.pk not in voted:
        record_feedback(
            found,
            helpful=form.cleaned_data["helpful"],
            comment=form.cleaned_data["comment"],
            by=request.user if request.user.is_authenticated else None,
        )
        request.session[VOTED] = [*voted[-199:], found.pk]
    messages.success(request, _("Thank you for telling us."))
    return redirect(reverse("help:article", args=[found.pk]) + "#feedback")


@login_not_required
def article_file(request: HttpRequest, file_id: int) -> FileResponse:
    """A picture or document of an article, to whoever may read the article (an
    internal or draft article's files to staff only), with the same safe
    headers as a ticket's files."""
    return attachment_response(access_article_file(request.user, file_id))


@login_not_required
def sitemap(request: HttpRequest) -> HttpResponse:
    """The public articles for search engines (``/help/sitemap.xml``), at
    ``SITE_URL``. Built from ``public_articles`` whoever asks: a signed-in
    agent's copy lists no internal article or draft either."""
    rows = public_articles().order_by("pk").values_list("pk", "updated_at")[:SITEMAP_LIMIT]
    base = settings.SITE_URL.rstrip("/")
    urls = "".join(
        f"<url><loc>{escape(base + reverse('help:article', args=[pk]))}</loc>"
        f"<lastmod>{updated:%Y-%m-%d}</lastmod></url>\n"
        for pk, updated in rows
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}</urlset>\n"
    )
    return HttpResponse(body, content_type="application/xml; charset=utf-8")

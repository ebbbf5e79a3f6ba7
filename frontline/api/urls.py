"""``/api/v1/``: the API's endpoints, its OpenAPI document and its docs page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .api import api, problem


def _no_login_redirect(patterns: list[Any]) -> list[Any]:
    """The API answers 401 itself; ``LoginRequiredMiddleware`` must not send a
    client to the sign-in page instead."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _no_login_redirect(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback.login_required = False  # type: ignore[attr-defined]
    return patterns


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any other path under the API (or a number that is not one): a problem, not a page."""
    return problem(request, 404, _("Not found."))


app_name = api.urls_namespace
urlpatterns = _no_login_redirect([*api.urls[0], re_path(r"^(?P<path>[\s\S]*)$", not_found)])

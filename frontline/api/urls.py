"""``/api/v1/``: the API's endpoints, its OpenAPI document and its docs page."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver

from .api import api


def _no_login_redirect(patterns: list[Any]) -> list[Any]:
    """The API answers 401 itself; ``LoginRequiredMiddleware`` must not send a
    client to the sign-in page instead."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _no_login_redirect(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback.login_required = False  # type: ignore[attr-defined]
    return patterns


app_name = api.urls_namespace
urlpatterns = _no_login_redirect(list(api.urls[0]))

"""Request hooks that protect signed-in people: pages that hold their data are
never kept in a browser's or proxy's cache."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


def signed_in_pages_not_stored(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """``Cache-Control: private, no-store`` on every response to a signed-in
    person: the back button on a shared computer, or a proxy, must not show a
    ticket after sign-out."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware

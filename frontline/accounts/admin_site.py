"""The Django admin, which can change everything, always asks for a second factor."""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from .forms import AdminSignInForm


def _verified(user: Any) -> bool:
    return bool(getattr(user, "is_verified", lambda: False)())


class VerifiedAdminSite(AdminSite):
    """``admin.site``: only staff who signed in with their second factor."""

    login_form = AdminSignInForm

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and _verified(request.user)

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """Staff signed in with a password only go to the code form (or set one up)."""
        user: Any = request.user
        if user.is_authenticated and user.is_active and user.is_staff and not _verified(user):
            from .second_factor import has_second_factor

            target = "second_factor_verify" if has_second_factor(user) else "second_factor"
            then = request.GET.get("next") or reverse("admin:index")
            return redirect_to_login(then, reverse(target))
        return super().login(request, extra_context)

"""Site-wide endpoints: the front door, the health check, signing out everywhere."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from frontline.accounts.actions import sign_out_everywhere as sign_out_everywhere_action
from frontline.lib.http import AuthedRequest


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    """Staff go to the desk, customers to the portal, everyone else to sign in."""
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    return redirect("desk:queue" if user.is_staff_member else "portal:requests")


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the app and its database answer, 503 when the database does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means unhealthy
        return JsonResponse({"status": "error", "database": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


@require_POST
def sign_out_everywhere(request: AuthedRequest) -> HttpResponse:
    """End this person's sessions on every device, this one too."""
    sign_out_everywhere_action(request.user, by=request.user)
    logout(request)
    messages.success(request, _("You are signed out on every device."))
    return redirect("login")

"""Site-wide endpoints: the front door and the health check."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache


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

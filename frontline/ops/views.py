"""Site-wide endpoints: the front door, the health check, signing out everywhere."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from frontline.accounts.actions import sign_out_everywhere as sign_out_everywhere_action
from frontline.accounts.branding import LOGO_MAX_BYTES, current_brand
from frontline.accounts.models import Brand
from frontline.accounts.single_sign_on import provider_logout_url
from frontline.lib.http import AuthedRequest
from frontline.lib.sniff import INLINE_TYPES, sniff_content_type


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
    """End this person's sessions on every device, this one too (and at the
    sign-on provider, for a session that signed on there)."""
    then = provider_logout_url(request)
    sign_out_everywhere_action(request.user, by=request.user)
    logout(request)
    messages.success(request, _("You are signed out on every device."))
    return redirect(then)


@login_not_required
def brand_logo(request: HttpRequest) -> HttpResponse:
    """The logo an admin uploaded (checked as an image when uploaded, its type
    sniffed again here), for the header of both UIs; 404 without one."""
    row = Brand.objects.order_by("pk").first()
    if row is None or not row.logo:
        raise Http404
    with row.logo.open("rb") as f:
        data = f.read(LOGO_MAX_BYTES + 1)
    kind = sniff_content_type(data[:2048])
    if kind not in INLINE_TYPES or len(data) > LOGO_MAX_BYTES:
        raise Http404
    response = HttpResponse(data, content_type=kind)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=86400"  # the URL changes with the logo
    return response


@login_not_required
def brand_css(request: HttpRequest) -> HttpResponse:
    """The admin's accent colour as a stylesheet (the CSP allows no inline style)."""
    accent = current_brand().accent
    css = f":root {{ --accent: {accent}; }}\n" if accent else ""
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response

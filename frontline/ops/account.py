"""A person's own sign-in security: the second factor (authenticator app and
recovery codes) and the code asked after the password."""

from __future__ import annotations

import base64

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from frontline.accounts.middleware import HAS_SECOND_FACTOR, second_factor_exempt
from frontline.accounts.models import SecurityKey
from frontline.accounts.second_factor import (
    check_code,
    confirm_authenticator,
    has_second_factor,
    new_recovery_codes,
    pending_authenticator,
    remove_second_factor,
)
from frontline.lib.http import AuthedRequest


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _base32(key: bytes) -> str:
    """The key as authenticator apps take it when typed: base32, in groups of four."""
    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _qr_code(url: str) -> str:
    """``url`` as a QR code (inline SVG) for an authenticator app to scan;
    segno is imported here, by the few who set up a code, not by every web
    process that loads the URLs."""
    import segno

    return str(segno.make(url).svg_inline(scale=4))


def _verified(request: AuthedRequest) -> bool:
    return bool(request.user.is_verified())  # type: ignore[attr-defined]


@second_factor_exempt
def second_factor(request: AuthedRequest) -> HttpResponse:
    """Set up an authenticator app (a QR code, then a code from the app to
    confirm), or see that it is on. Once a device exists, only a session that
    passed it may change anything here."""
    user = request.user
    if has_second_factor(user) and not _verified(request):
        return redirect("second_factor_verify")
    form = CodeForm(request.POST or None)
    if not has_second_factor(user) and request.method == "POST" and form.is_valid():
        confirmed = confirm_authenticator(user, code=form.cleaned_data["code"])
        if confirmed is not None:
            device, codes = confirmed
            otp_login(request, device)
            request.session[HAS_SECOND_FACTOR] = True
            return render(request, "account/recovery_codes.html", {"codes": codes})
        form.add_error(
            "code", _("That code is not right. Check the time on your phone and try again.")
        )
    pending = None if has_second_factor(user) else pending_authenticator(user)
    return render(
        request,
        "account/second_factor.html",
        {
            "form": form,
            "pending": pending,
            "qr": _qr_code(pending.config_url) if pending else "",
            "secret": _base32(pending.bin_key) if pending else "",
            "required": user.is_staff_member and settings.FRONTLINE["STAFF_SECOND_FACTOR"],
            "keys": [] if pending else list(SecurityKey.objects.filter(user=user)),
        },
        status=400 if form.errors else 200,
    )


@second_factor_exempt
def second_factor_verify(request: AuthedRequest) -> HttpResponse:
    """The code after the password: from the app, or an unused recovery code."""
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    if _verified(request):
        return redirect(target)
    if not has_second_factor(request.user):  # removed meanwhile (by an admin)
        request.session[HAS_SECOND_FACTOR] = False
        return redirect(target)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = check_code(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(target)
        form.add_error("code", _("That code is not right, or was used already."))
    return render(
        request,
        "account/verify.html",
        {
            "form": form,
            "next": target,
            "has_keys": SecurityKey.objects.filter(user=request.user, confirmed=True).exists(),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def recovery_codes(request: AuthedRequest) -> HttpResponse:
    if not has_second_factor(request.user):
        return redirect("second_factor")
    codes = new_recovery_codes(request.user)
    return render(request, "account/recovery_codes.html", {"codes": codes})


@require_POST
def second_factor_off(request: AuthedRequest) -> HttpResponse:
    if request.user.is_staff_member and settings.FRONTLINE["STAFF_SECOND_FACTOR"]:
        messages.error(request, _("Staff must keep a second factor here."))
        return redirect("second_factor")
    remove_second_factor(request.user)
    request.session[HAS_SECOND_FACTOR] = False
    messages.success(request, _("The second factor is off."))
    return redirect("second_factor")

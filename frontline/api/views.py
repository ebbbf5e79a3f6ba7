"""The person's own API tokens page, shown in the desk (staff) and on the portal
(customers): make a token (its secret shown once), see when each was last
used, revoke one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontline.lib.http import AuthedRequest

from . import actions
from .access import access_token_for_owner, tokens_of
from .forms import TokenForm


def _check_side(request: AuthedRequest, side: str) -> None:
    # Staff keep their tokens in the desk, customers on the portal; the other
    # side's page is not there for them, as the desk is not for customers.
    if (side == "desk") != request.user.is_staff_member:
        raise Http404


def tokens(request: AuthedRequest, side: str) -> HttpResponse:
    _check_side(request, side)
    form = TokenForm(request.POST or None)
    secret, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            try:
                token, secret = actions.create_token(
                    request.user,
                    name=form.cleaned_data["name"],
                    scope=form.cleaned_data["scope"],
                    expires_at=form.expires_at(),
                    by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
                status = 400
            else:
                messages.success(
                    request, _("Token “%(name)s” made. Copy it now.") % {"name": token.name}
                )
                form = TokenForm()
        else:
            status = 400
    context = {
        "form": form,
        "secret": secret,
        "tokens": tokens_of(request.user),
        "side": side,
        "base_template": f"{side}/base.html",
    }
    response = render(request, "api/tokens.html", context, status=status)
    if secret:
        response["Cache-Control"] = "no-store"  # the secret is on this page only once
    return response


@require_POST
def revoke(request: AuthedRequest, side: str, token_id: int) -> HttpResponse:
    _check_side(request, side)
    token = access_token_for_owner(request.user, token_id)
    if actions.revoke_token(token, by=request.user):
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect(f"{side}_tokens")

"""Reply templates in the desk: each agent keeps their own, supervisors the
shared ones (for a team or for everyone). The knowledge actions do the work."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from frontline.knowledge.access import (
    access_template_for_editing,
    manageable_templates,
    may_share_templates,
    usable_templates,
)
from frontline.knowledge.actions import MACRO_FIELDS, save_template
from frontline.knowledge.models import ReplyTemplate
from frontline.lib.http import AuthedRequest

from .kb_forms import TemplateForm, TemplateScope
from .views import staff_required

LIST_LIMIT = 200


@staff_required
def template_list(request: AuthedRequest) -> HttpResponse:
    """The templates this person may insert, theirs first; the shared ones they
    may change are marked editable."""
    user = request.user
    shared_editable = may_share_templates(user)
    templates = list(
        usable_templates(user)
        .select_related("team")
        .annotate(inserted=Coalesce(Sum("uses__count"), 0))
        .order_by("-owner", "name", "language")[:LIST_LIMIT]
    )
    inactive = manageable_templates(user).filter(is_active=False).select_related("team")
    return render(
        request,
        "desk/templates.html",
        {
            "mine": [t for t in templates if t.owner_id == user.pk],
            "shared": [t for t in templates if t.owner_id is None],
            "inactive": inactive[:LIST_LIMIT],
            "shared_editable": shared_editable,
        },
    )


def _scope(template: ReplyTemplate) -> str:
    if template.owner_id is not None:
        return TemplateScope.MINE
    return TemplateScope.TEAM if template.team_id else TemplateScope.EVERYONE


def _edit(request: AuthedRequest, template: ReplyTemplate | None) -> HttpResponse:
    may_share = may_share_templates(request.user)
    initial: dict[str, Any] = {}
    if template is not None:
        initial = {
            "name": template.name,
            "language": template.language,
            "body": template.body,
            "scope": _scope(template),
            "team": template.team_id,
            "is_active": template.is_active,
            **{key: getattr(template, key) for key in MACRO_FIELDS},
        }
    form = TemplateForm(
        request.POST or None, initial=initial, may_share=may_share, editing=template is not None
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        scope = data.get("scope", TemplateScope.MINE)
        try:
            saved = save_template(
                template,
                name=data["name"],
                body=data["body"],
                language=data["language"],
                team=data.get("team") if scope == TemplateScope.TEAM else None,
                personal=scope == TemplateScope.MINE,
                is_active=data.get("is_active", True) if template is not None else True,
                by=request.user,
                macro={key: data.get(key) for key in MACRO_FIELDS},
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Template “%(name)s” saved.") % {"name": saved.name})
            return redirect("desk:templates")
    status = 400 if request.method == "POST" else 200
    uses = (
        template.uses.select_related("user").order_by("-count", "user__first_name")[:50]
        if template is not None
        else []
    )
    return render(
        request,
        "desk/template_form.html",
        {"form": form, "template": template, "uses": uses},
        status=status,
    )


@staff_required
def template_new(request: AuthedRequest) -> HttpResponse:
    return _edit(request, None)


@staff_required
def template_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    return _edit(request, access_template_for_editing(request.user, pk))

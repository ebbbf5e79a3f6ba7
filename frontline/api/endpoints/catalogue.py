"""What a client needs to fill in requests: categories with their forms, and
(for staff) the teams tickets go to."""

from __future__ import annotations

from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from ninja import Router
from pydantic import BaseModel

from frontline.accounts.models import Team
from frontline.lib.http import AuthedRequest
from frontline.tickets.models import Category, FormField

from ..schemas import PRIORITY_NAMES, PriorityName, Problem

router = Router(tags=["catalogue"])
ERRORS = {401: Problem, 403: Problem, 429: Problem}


class FormFieldOut(BaseModel):
    key: str
    label: str
    type: Literal[
        "text", "long_text", "choice", "number", "date", "email", "phone", "file", "checkbox"
    ]
    required: bool
    help_text: str
    choices: list[str]


class CategoryOut(BaseModel):
    id: int
    name: str
    description: str
    default_priority: PriorityName
    fields: list[FormFieldOut]


class TeamOut(BaseModel):
    id: int
    name: str
    tier: int


@router.get("/categories", response={200: list[CategoryOut], **ERRORS}, summary="Categories")
def categories(request: AuthedRequest) -> list[CategoryOut]:
    """The active categories and the questions of each one's form (the ``fields``
    of a new ticket). File questions cannot be answered through the API yet."""
    rows = Category.objects.filter(is_active=True).prefetch_related(
        Prefetch("fields", queryset=FormField.objects.order_by("position", "id"))
    )
    return [
        CategoryOut(
            id=c.pk,
            name=c.name,
            description=c.description,
            default_priority=PRIORITY_NAMES[c.default_priority],  # type: ignore[arg-type]
            fields=[
                FormFieldOut(
                    key=f.key,
                    label=f.label,
                    type=f.field_type,  # type: ignore[arg-type]
                    required=f.required,
                    help_text=f.help_text,
                    choices=f.choice_list,
                )
                for f in c.fields.all()
            ],
        )
        for c in rows
    ]


@router.get("/teams", response={200: list[TeamOut], **ERRORS}, summary="Teams (staff)")
def teams(request: AuthedRequest) -> list[TeamOut]:
    if not request.user.is_staff_member:
        raise PermissionDenied("Only staff see the teams.")
    return [TeamOut(id=t.pk, name=t.name, tier=t.tier) for t in Team.objects.filter(is_active=True)]

"""Who the caller is, as the API sees them."""

from __future__ import annotations

from typing import Literal

from ninja import Router
from pydantic import BaseModel

from frontline.lib.http import AuthedRequest

from ..schemas import Problem

router = Router(tags=["me"])


class MeOut(BaseModel):
    id: int
    username: str
    name: str
    role: str
    is_staff: bool
    organisation: str | None
    token_scope: Literal["read", "write"] | None


@router.get(
    "",
    response={200: MeOut, 401: Problem, 429: Problem},
    summary="The person calling, and the scope of their token",
)
def me(request: AuthedRequest) -> MeOut:
    user = request.user
    token = getattr(request, "api_token", None)
    return MeOut(
        id=user.pk,
        username=user.get_username(),
        name=user.display_name,
        role=user.role,
        is_staff=user.is_staff_member,
        organisation=str(user.organisation) if user.organisation_id else None,
        token_scope=token.scope if token else None,
    )

"""Whether the signed-in agent's public replies wait for a mentor (the composer
then offers "Send for review" in place of sending)."""

from __future__ import annotations

from typing import Any

from django import template

from frontline.knowledge.reviews import needs_review

register = template.Library()


@register.simple_tag(takes_context=True)
def replies_reviewed(context: dict[str, Any]) -> bool:
    user = context["request"].user
    return bool(user.is_authenticated and needs_review(user))

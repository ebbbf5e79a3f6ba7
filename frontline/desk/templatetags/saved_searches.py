"""The agent's pinned saved searches beside the queues (one query)."""

from __future__ import annotations

from typing import Any

from django import template

from frontline.search.access import pinned_searches

register = template.Library()


@register.inclusion_tag("desk/_pinned_searches.html", takes_context=True)
def pinned_search_links(context: Any) -> dict[str, Any]:
    return {"pinned": list(pinned_searches(context["request"].user).only("pk", "name"))}

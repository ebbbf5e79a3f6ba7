"""``{% url %}`` that reverses a view once per shape, not once per use.

A template builtin (``TEMPLATES`` → ``builtins``), so it takes the place of
Django's own ``{% url %}`` in every template. Django's ``reverse()`` walks the
view's patterns and checks the result against a regular expression on every
call, about 40 µs; the desk's ticket page says ``{% url %}`` some 55 times
(every form of the page posts to an address of its own), a tenth of its CPU.

For whole-number arguments only (every id in our addresses), the view is
reversed once with marker numbers in their place; the address is then those
pieces with the numbers put back, remembered per view name, number of
arguments, URL configuration, script prefix and namespace. Anything else
(keyword arguments, strings, a number the pattern might refuse: zero or
negative, a view name that does not reverse) goes through Django's tag as
before, with the same answer and the same errors.
"""

from __future__ import annotations

import functools
from typing import Any

from django import template
from django.template.base import Parser, Token
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

# Markers in the place of the arguments: no address of ours holds such a number.
_MARKERS = tuple(str(918_273_645_000 + i) for i in range(4))


@functools.lru_cache(maxsize=512)
def _pieces(
    view_name: str, count: int, urlconf: Any, prefix: str, current_app: str | None
) -> tuple[str, ...] | None:
    """The address of ``view_name`` cut where its ``count`` arguments go, or None
    when the markers do not come back once each and in order."""
    markers = _MARKERS[:count]
    try:
        address = reverse(
            view_name, urlconf=urlconf, args=[int(m) for m in markers], current_app=current_app
        )
    except NoReverseMatch:
        return None
    pieces = []
    rest = address
    for marker in markers:
        before, found, rest = rest.partition(marker)
        if not found or marker in before or marker in rest:
            return None
        pieces.append(before)
    pieces.append(rest)
    return tuple(pieces)


class FastURLNode(URLNode):
    def render(self, context: Any) -> str:
        if self.kwargs or len(self.args) > len(_MARKERS):
            return super().render(context)
        args = [arg.resolve(context) for arg in self.args]
        if not all(type(a) is int and a > 0 for a in args):
            return super().render(context)
        view_name = self.view_name.resolve(context)
        request = getattr(context, "request", None)
        current_app = getattr(request, "current_app", None)
        if current_app is None:
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        pieces = (
            _pieces(view_name, len(args), get_urlconf(), get_script_prefix(), current_app)
            if isinstance(view_name, str)
            else None
        )
        if pieces is None:
            return super().render(context)
        parts = [pieces[0]]
        for arg, piece in zip(args, pieces[1:], strict=True):
            parts += [str(arg), piece]
        url = "".join(parts)
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser: Parser, token: Token) -> FastURLNode:
    node = django_url(parser, token)
    return FastURLNode(node.view_name, node.args, node.kwargs, node.asvar)

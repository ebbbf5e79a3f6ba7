"""Counting posts per client address in the shared cache, for forms anyone can use."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest


def over_hourly_limit(request: HttpRequest, form: str, limit: int) -> bool:
    """Count this post of ``form`` against the sender's address; True past ``limit``
    an hour.

    The address is ``REMOTE_ADDR``: behind a proxy, the proxy must set it from
    the client's (e.g. gunicorn's forwarded-allow-ips), never from a header the
    client writes.
    """
    key = f"rate:{form}:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, timeout=3600)
    try:
        posts = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        posts = 1
    return posts > limit

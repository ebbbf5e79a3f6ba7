"""The site's name, logo and accent colour as an admin set them (``Brand``),
for the header of both UIs (the ``brand`` context processor) and for mail.

Read on every page, so kept in the cache: one query when the cache is cold,
none after; every change goes through :func:`save_brand` or
:func:`forget_brand`, which drop the cached copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from frontline.lib.sniff import INLINE_TYPES, sniff_content_type

from .models import Brand

CACHE_KEY = "frontline.brand.v1"
LOGO_MAX_BYTES = 256 * 1024
ACCENT = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class ShownBrand:
    name: str
    logo_url: str  # "" without a logo
    accent: str  # "" for Frontline's own colour


def current_brand() -> ShownBrand:
    shown = cache.get(CACHE_KEY)
    if shown is None:
        row = Brand.objects.order_by("pk").first()
        name = (row.name if row else "") or settings.FRONTLINE["SITE_NAME"]
        logo_url = ""
        if row is not None and row.logo:
            logo_url = f"{reverse('brand_logo')}?v={int(row.updated_at.timestamp())}"
        shown = ShownBrand(name=name, logo_url=logo_url, accent=row.accent if row else "")
        cache.set(CACHE_KEY, shown, timeout=None)
    return shown


def forget_brand() -> None:
    cache.delete(CACHE_KEY)


def brand(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``brand`` on every page."""
    return {"brand": current_brand()}


def check_logo(upload: Any) -> str:
    """The logo's content type, sniffed from its bytes: only the raster images a
    browser may show inline (never SVG, which can carry script), at most
    ``LOGO_MAX_BYTES``; a ``ValidationError`` saying what is wrong otherwise."""
    if (upload.size or 0) > LOGO_MAX_BYTES:
        raise ValidationError(
            _("The logo is %(size)s KB; the limit is %(limit)s KB.")
            % {"size": round((upload.size or 0) / 1024), "limit": LOGO_MAX_BYTES // 1024},
            code="logo_too_large",
        )
    upload.seek(0)
    kind = sniff_content_type(upload.read(2048))
    upload.seek(0)
    if kind not in INLINE_TYPES:
        raise ValidationError(
            _("The logo must be a PNG, JPEG, GIF or WebP image."), code="logo_type"
        )
    return kind


def check_accent(value: str) -> str:
    if value and not ACCENT.fullmatch(value):
        raise ValidationError(_("Give the colour as #rrggbb, e.g. #1f5fbf."), code="accent")
    return value.lower()


def save_brand(brand: Brand) -> Brand:
    """Save what an admin set (checked by the admin's form with
    :func:`check_logo` and :func:`check_accent`) and drop the cached copy."""
    brand.full_clean()
    brand.save()
    forget_brand()
    return brand

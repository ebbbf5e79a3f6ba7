"""Cursor pagination: the next page starts after the last row's sort key.

No OFFSET (deep pages cost nothing more than the first) and no COUNT. Each
ordering ends with the id, so the key is unique and no row is skipped or
repeated when rows with equal values straddle a page boundary.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import operator
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

# (field, descending) pairs, the last one always the id.
Ordering = tuple[tuple[str, bool], ...]


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(
        [v.isoformat() if isinstance(v, datetime.datetime) else v for v in values],
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, ordering: Ordering, kinds: dict[str, type]) -> list[Any]:
    """The sort key a cursor carries, each value checked against its field's type;
    ``ValidationError`` for anything not made by :func:`encode_cursor`."""
    invalid = ValidationError({"cursor": _("This cursor is not valid for this list.")})
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(values, list) or len(values) != len(ordering):
        raise invalid
    out: list[Any] = []
    for (field, _desc), value in zip(ordering, values, strict=True):
        kind = kinds[field]
        if kind is datetime.datetime:
            if not isinstance(value, str):
                raise invalid
            try:
                parsed = datetime.datetime.fromisoformat(value)
            except ValueError:
                raise invalid from None
            if parsed.tzinfo is None:
                raise invalid
            out.append(parsed)
        elif kind is int:
            if type(value) is not int or not -(2**63) <= value < 2**63:
                raise invalid
            out.append(value)
        else:
            raise invalid
    return out


def after(ordering: Ordering, values: list[Any]) -> Q:
    """Rows that come after ``values`` in ``ordering``:
    a > x OR (a = x AND (b > y OR (b = y AND ...)))."""
    condition = Q()
    equal: dict[str, Any] = {}
    for (field, desc), value in zip(ordering, values, strict=True):
        condition |= Q(**equal, **{f"{field}__{'lt' if desc else 'gt'}": value})
        equal[field] = value
    return condition


def keyset_page(
    qs: QuerySet[Any],
    ordering: Ordering,
    cursor_values: list[Any] | None,
    limit: int,
    *,
    parts: tuple[Q, ...] = (),
) -> tuple[list[int], str | None]:
    """The ids of one page (in order) and the cursor of the next, if any.

    With ``parts`` (conditions whose union is ``qs``: open and closed tickets,
    or a customer's own and their organisation's) each part's page is read on
    its own and the pages merged, a row in two parts once: one bounded walk of
    an index per part where the whole would need every row sorted (no index
    leads with the sort's column alone)."""
    if cursor_values is not None:
        qs = qs.filter(after(ordering, cursor_values))
    fields = [f for f, _desc in ordering]
    order = [f"-{f}" if desc else f for f, desc in ordering]
    rows: list[tuple[Any, ...]] = []
    for part in parts or (Q(),):
        rows += qs.filter(part).order_by(*order).values_list(*fields)[: limit + 1]
    if len(parts) > 1:
        # Stable sorts, the last key first: each part is in order already.
        for i in reversed(range(len(ordering))):
            rows.sort(key=operator.itemgetter(i), reverse=ordering[i][1])
        # A row in two parts is the same tuple twice, side by side once sorted.
        rows = [row for i, row in enumerate(rows) if i == 0 or row != rows[i - 1]]
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(list(rows[-1])) if more and rows else None
    return [row[-1] for row in rows], next_cursor

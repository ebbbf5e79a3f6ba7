"""Drift: index rows that no longer say what their object says.

A reaction that failed for good, a change made outside the actions (a data
migration, a restore, a manual ``UPDATE``) or a crash between two systems can
leave the index behind the database. :func:`check` finds, for one kind, the
objects with no row (*missing*), the rows whose object is gone (*orphans*) and
the rows whose words differ from the object's words now (*stale*: each row is
built again, exactly as the reaction would, and compared), and with
``repair=True`` writes them right. ``frontline search check`` runs it from the
command line; ``search.tasks.check_recent_drift`` runs it on recently changed
tickets in the background.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from .indexing import BATCH, KINDS, _prune, _write, indexed_model, stored_rows

logger = logging.getLogger(__name__)
SAMPLE = 20  # ids kept per finding, to show


@dataclass
class Drift:
    kind: str
    checked: int = 0  # objects whose row was compared
    missing: int = 0
    orphans: int = 0
    stale: int = 0
    repaired: bool = False
    examples: list[int] = field(default_factory=list)  # some ids of each finding

    @property
    def found(self) -> int:
        return self.missing + self.orphans + self.stale


def _batches(objects: Any, batch: int) -> Iterator[list[int]]:
    last = 0
    while ids := list(
        objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
    ):
        yield ids
        last = ids[-1]


def check(
    kind: str,
    *,
    changed_since: datetime.datetime | None = None,
    changed_before: datetime.datetime | None = None,
    repair: bool = False,
    batch: int = BATCH,
) -> Drift:
    """Compare the index of ``kind`` with the database; with ``repair``, fix what
    differs (each batch in its own transaction, as a rebuild does: safe while
    the site runs).

    Without a window, every object is compared and orphan rows are looked for.
    ``changed_since``/``changed_before`` compare only the objects updated in
    that window (kinds that record it: tickets, articles; others are compared
    whole) and leave orphans out, so that a frequent check stays small; a
    window that ends a few minutes ago leaves alone the changes whose
    reactions are still on their way."""
    make_rows, index = KINDS[kind]
    model = indexed_model(kind)
    table = connection.ops.quote_name(index._meta.db_table)
    drift = Drift(kind=kind)
    objects = model.objects.all()
    windowed = changed_since is not None or changed_before is not None
    if windowed and any(f.name == "updated_at" for f in model._meta.fields):
        if changed_since is not None:
            objects = objects.filter(updated_at__gte=changed_since)
        if changed_before is not None:
            objects = objects.filter(updated_at__lt=changed_before)
    if not windowed:
        source = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {table} "  # noqa: S608
                f"WHERE rowid NOT IN (SELECT id FROM {source})"
            )
            drift.orphans = cursor.fetchone()[0]
    for ids in _batches(objects, batch):
        now = {row[0]: row for row in make_rows(ids)}
        stored = stored_rows(table, ids)
        missing = [pk for pk in now if pk not in stored]
        stale = [pk for pk, row in now.items() if pk in stored and stored[pk] != row]
        drift.checked += len(ids)
        drift.missing += len(missing)
        drift.stale += len(stale)
        drift.examples += [*missing, *stale][: max(0, SAMPLE - len(drift.examples))]
        if repair and (missing or stale):
            wrong = [*missing, *stale]
            with transaction.atomic():
                _write(index, wrong, [now[pk] for pk in wrong])
    if repair and drift.orphans:
        _prune(index, model)
    drift.repaired = repair
    if drift.found:
        logger.warning(
            "Search index drift in %s: %d missing, %d stale, %d orphans%s (e.g. ids %s)",
            kind,
            drift.missing,
            drift.stale,
            drift.orphans,
            ", repaired" if repair else "",
            drift.examples[:5],
        )
    return drift

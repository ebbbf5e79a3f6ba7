"""Many model columns of one kind, made without exhausting CPython's method cache.

Every ``Field()`` Django makes adds one to the class attribute
``Field.creation_counter`` (the order of a model's fields). CPython 3.13 gives
a class a new "type version" each time it is written to and then read, and
after 1,000 versions it stops caching attribute lookups on that class for the
rest of the process. Past about 1,000 model fields, then, every attribute of
every field (``field.attname``, ``field.get_db_prep_save``, ...) is looked up
the slow way, through the class hierarchy, in every query the ORM builds or
reads. Frontline's models passed that line when the daily report rows got
their 368 histogram columns: the mail import spent 10% more instructions per
message from then on (``docs/benchmarks.md``, "Stop 14").

:func:`columns` makes a block of identical columns as copies of one field (as
Django itself copies the fields of an abstract model), each with its own place
in the order, and writes the counter once for the block.
``tests/test_startup.py`` fails if a process that has loaded every app can no
longer cache lookups on ``Field``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from django.db import models


def columns[F: models.Field](names: Sequence[str], field: F) -> dict[str, F]:
    """``{name: a copy of field}`` for each name, in that order, for a model's
    class body (``locals().update(columns(names, models.IntegerField(default=0)))``).

    ``field`` must be new (not yet on a model). The copies sort after it and
    before any field made later, as if each had been made by its own call.
    """
    start = field.creation_counter
    made: dict[str, F] = {}
    for offset, name in enumerate(names):
        column = copy.copy(field) if offset else field
        column.creation_counter = start + offset
        made[name] = column
    # One write to the class for the whole block (the ``field`` itself wrote one).
    models.Field.creation_counter = max(models.Field.creation_counter, start + len(names))
    return made

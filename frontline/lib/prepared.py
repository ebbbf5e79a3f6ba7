"""ORM queries compiled once and run many times: for the few look-ups the mail
import makes for every message.

Building and compiling a QuerySet costs this machine 250-400 µs of Python per
query, several times what SQLite takes to answer it. A :class:`Prepared` query
is written with the ORM as usual, with placeholders where the values go; it is
compiled to SQL once per database connection and then run with new values,
rows turned into model instances as the ORM would (``Model.from_db``, so
deferred loading, ``refresh_from_db`` and saving work as usual).

    by_email = Prepared(lambda p: User.objects.filter(email=p.email))
    by_email(email="ann@example.com")  # → [User, ...]

A placeholder stands for one value, a list of values (``__in``) for a tuple
of placeholders. Values go to the database driver as given: strings and
numbers only (datetimes and UUIDs need their field's conversion, SQLite
stores them as text, so they are refused), and only in lookups that compare
them as they are (``exact``, ``in``, ``lt``/``gt``…; not ``iexact`` or
``contains``, which escape their value).
A plain SELECT of whole rows is turned into instances here, with no more
than the ORM's own conversions. Any other shape (``select_related``,
``only()``/``defer()``, selected annotations, ``values()``/``values_list()``)
is read by Django's own iterable for that shape, which is handed the SQL
compiled once instead of compiling it again: the pages' look-ups, by ticket
or by person, are of that kind. ``prefetch_related`` is refused (its queries
would be built as usual each time, for nothing).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Expression, Field, Model, QuerySet
from django.db.models import signals as models_signals
from django.db.models.query import ModelIterable


class _Slot(Expression):
    """Where a value goes: compiles to one parameter, a marker replaced on each run."""

    def __init__(self, marker: str) -> None:
        super().__init__(output_field=Field())
        self.marker = marker

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[str]]:
        return "%s", (self.marker,)


class _Slots(Expression):
    """Where a list of values goes (``__in``): one parameter per value. An
    expression, so that a foreign key's ``__in`` does not try to turn each
    placeholder into an id as it would a list."""

    def __init__(self, markers: list[str]) -> None:
        super().__init__(output_field=Field())
        self.markers = markers

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[str, ...]]:
        return ", ".join(["%s"] * len(self.markers)), tuple(self.markers)


class _Params:
    """What a query's builder gets: ``p.name`` is a placeholder for one value, and
    for a list of ``n`` values (given as ``n`` when compiling) a tuple of them."""

    def __init__(self, lengths: dict[str, int]) -> None:
        self._lengths = lengths

    def __getattr__(self, name: str) -> Any:
        if name in self._lengths:
            return _Slots([f"\x00{name}\x01{i}\x00" for i in range(self._lengths[name])])
        return _Slot(f"\x00{name}\x00")


def _check_raw(name: str, value: Any) -> None:
    """Only values every driver takes as the ORM would pass them: a datetime or a
    UUID needs the field's conversion (SQLite stores them as text)."""
    if value is not None and type(value) not in (str, int, float, bool):
        raise TypeError(f"{name}: Prepared passes str, int, float or bool, not {type(value)}")


class Prepared[R]:
    """A SELECT built by ``build`` (a function of the placeholders), compiled once
    per database alias and list length, run with ``values``."""

    def __init__(self, build: Callable[[Any], QuerySet[Any, R]]) -> None:
        self._build = build
        self._compiled: dict[tuple[str, tuple[tuple[str, int], ...]], _Compiled[R]] = {}
        self._lock = threading.Lock()

    def __call__(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[R]:
        """The rows for these ``values`` (a list or tuple for a list placeholder;
        padded to a power of two by repeating its last value, so a few compiled
        queries serve every length)."""
        for name, value in values.items():
            if isinstance(value, list | tuple):
                if not value:
                    raise ValueError(f"{name}: an empty list matches nothing; do not ask")
                for item in value:
                    _check_raw(name, item)
                size = 1 << (len(value) - 1).bit_length()
                values[name] = [*value, *[value[-1]] * (size - len(value))]
            else:
                _check_raw(name, value)
        lengths = tuple(
            sorted((k, len(v)) for k, v in values.items() if isinstance(v, list | tuple))
        )
        key = (using, lengths)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or _Compiled(
                    self._build(_Params(dict(lengths))), using
                )
                self._compiled[key] = compiled
        return compiled.run(values)


# Lookups that pass a placeholder through unchanged. Others rewrite their value
# when compiled (``iexact`` and ``contains`` escape ``%`` and ``_`` for LIKE), which
# would rewrite the placeholder and leave the value it stands for raw.
_PLAIN_LOOKUPS = frozenset({"exact", "in", "lt", "lte", "gt", "gte"})


def _check_lookups(query: Any) -> None:
    """Refuse a placeholder in a lookup that rewrites its value (in subqueries too)."""
    stack = [query.where]
    while stack:
        node = stack.pop()
        for child in getattr(node, "children", ()):
            stack.append(child)
        rhs = getattr(node, "rhs", None)
        if rhs is None:
            continue
        if hasattr(rhs, "query"):  # a subquery (QuerySet)
            stack.append(rhs.query.where)
        elif hasattr(rhs, "where"):  # a Query
            stack.append(rhs.where)
        values = rhs if isinstance(rhs, list | tuple) else [rhs]
        if (
            any(isinstance(v, _Slot | _Slots) for v in values)
            and node.lookup_name not in _PLAIN_LOOKUPS
        ):
            raise ValueError(f"Prepared cannot pass a value to “{node.lookup_name}” lookups")


class _Compiled[R]:
    """One query's SQL, where each parameter comes from, and how columns are read."""

    def __init__(self, queryset: QuerySet[Any, R], using: str) -> None:
        query = queryset.query
        if queryset._prefetch_related_lookups:  # type: ignore[attr-defined]
            raise ValueError("Prepared does not run prefetch_related's queries")
        _check_lookups(query)
        self.model, self.using = queryset.model, using
        compiler = query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        columns = [item[0] for item in compiler.select]
        concrete = [f.attname for f in self.model._meta.concrete_fields]
        # Aliases (``alias()``) are fine; selected annotations, joins of related
        # rows, values() and deferred fields change the columns: such rows are
        # read by the queryset's own iterable (``_run_shaped``).
        self.whole_rows = (
            not (
                query.select_related
                or query.annotation_select
                or query.values_select
                or query.extra_select
                or query.deferred_loading[0]
                or queryset._iterable_class is not ModelIterable
            )
            and [getattr(c, "target", None) and c.target.attname for c in columns] == concrete
        )
        self.attnames = concrete
        self.queryset, self.compiler = queryset, compiler
        # Converters of a shaped read, by the columns read (ids of the compiler's
        # own select expressions, which it keeps as long as this object).
        self._shaped_converters: dict[tuple[int, ...], dict[int, Any]] = {}
        self._selected = frozenset(id(column) for column in columns)
        # What the ORM applies to a column read (e.g. text to datetime on SQLite):
        # (position, functions, column).
        self.converters = [
            (position, functions, column)
            for position, (functions, column) in compiler.get_converters(columns).items()
        ]
        # Each parameter: a fixed value, or (name, index in its list or None).
        self.sources: list[tuple[str, int | None] | None] = []
        self.constants: list[Any] = []
        for param in params:
            if isinstance(param, str) and len(param) > 2 and param[0] == param[-1] == "\x00":
                name, _sep, index = param[1:-1].partition("\x01")
                self.sources.append((name, int(index) if index else None))
            else:
                self.sources.append(None)
            self.constants.append(param)

    def run(self, values: dict[str, Any]) -> list[R]:
        params = [
            constant
            if source is None
            else values[source[0]]
            if source[1] is None
            else values[source[0]][source[1]]
            for source, constant in zip(self.sources, self.constants, strict=True)
        ]
        connection = connections[self.using]
        if not self.whole_rows:
            return self._run_shaped(params, connection)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = [list(row) for row in rows]
            for row in rows:
                for position, functions, column in self.converters:
                    for convert in functions:
                        row[position] = convert(row[position], column, connection)
        return [self.model.from_db(self.using, self.attnames, row) for row in rows]

    def _converters(self, expressions: list[Any]) -> dict[int, tuple[list[Any], Any]]:
        """The compiler's ``get_converters`` for the columns read, worked out once:
        the same columns on every run, and asking each column for its functions
        took several calls a column on every run (~320 columns on a desk ticket
        page, 6% of its profile). As for
        whole rows above, the functions are found once and then applied to each
        run's rows on that run's connection (``apply_converters`` passes it)."""
        key = tuple(map(id, expressions))
        found = self._shaped_converters.get(key)
        if found is None:
            found = self.compiler.get_converters(expressions)
            if self._selected.issuperset(key):  # else not kept: ids of passing objects
                self._shaped_converters[key] = found
        return found

    def _run_shaped(self, params: list[Any], connection: Any) -> list[Any]:
        """Rows of any other shape, made by the queryset's own iterable from a copy
        of the compiler that already holds the SQL, its columns and how they map
        to models (``select``, ``klass_info``: what the iterables read after
        ``execute_sql``). The copy runs on this thread's connection."""
        compiler = copy.copy(self.compiler)
        compiler.connection = connection
        sql = self.sql
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        compiler.get_converters = self._converters
        queryset = self.queryset._chain()  # type: ignore[attr-defined]
        queryset._db = self.using
        queryset.query.get_compiler = lambda *args, **kwargs: compiler
        return list(queryset)


def prefetched(instance: Model, name: str, rows: list[Any]) -> None:
    """Give ``instance.<name>.all()`` these ``rows`` without a query, as
    ``prefetch_related`` would have: for a Prepared query's related rows, read
    in one more Prepared query."""
    manager = getattr(instance, name)
    queryset = manager.get_queryset()  # filtered to the instance, as prefetching leaves it
    queryset._result_cache = rows
    queryset._prefetch_done = True
    key = getattr(manager, "prefetch_cache_name", None) or manager.field.remote_field.cache_name
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[key] = queryset


class _Insert:
    """One model's INSERT of a whole new row: its SQL, fields, and what it reads back."""

    def __init__(self, model: type[Model], using: str, with_pk: bool) -> None:
        from django.db.models.sql import InsertQuery

        meta = model._meta
        connection = connections[using]
        self.fields = [
            f
            for f in meta.local_concrete_fields
            if not f.generated and (with_pk or f is not meta.auto_field)
        ]
        self.returning = [] if with_pk else list(meta.db_returning_fields)
        # A model saved through its parents, a field with its own placeholder, or
        # a database that cannot read back the new id: the ORM's own insert.
        self.usable = not (
            meta.parents
            or meta.proxy
            or any(getattr(f, "get_placeholder_sql", None) for f in self.fields)
            or (self.returning and not connection.features.can_return_columns_from_insert)
        )
        if not self.usable:
            return
        qn = connection.ops.quote_name
        self.sql = "{} {} ({}) VALUES ({})".format(
            connection.ops.insert_statement(),
            qn(meta.db_table),
            ", ".join(qn(f.column) for f in self.fields if f.column),
            ", ".join(["%s"] * len(self.fields)),
        )
        self.returning_params: Any = ()
        self.converters: dict[int, Any] = {}
        if self.returning:
            r_sql, self.returning_params = connection.ops.returning_columns(self.returning)
            if r_sql:
                self.sql += " " + r_sql
            self.compiler = InsertQuery(model).get_compiler(using=using)
            self.converters = self.compiler.get_converters(
                [f.get_col(meta.db_table) for f in self.returning]
            )


_INSERTS: dict[tuple[type[Model], str, bool], _Insert] = {}


def insert[M: Model](obj: M, *, using: str = DEFAULT_DB_ALIAS, signals: bool = True) -> M:
    """Write ``obj``, a new instance, with one INSERT whose SQL is built once per
    model, as ``Model.objects.create`` would write it (each field's ``pre_save``
    and database value, the new id read back) without compiling the statement
    again each time: four of them were most of a new ticket's Python. A model
    someone listens to (``pre_save``/``post_save``) is saved by the ORM, which
    sends them, unless ``signals=False`` (as ``bulk_create``, which sends none);
    so is anything unusual (an expression as a value, a model with parents)."""
    model = type(obj)
    key = (model, using, obj.pk is not None)
    plan = _INSERTS.get(key)
    if plan is None:
        plan = _INSERTS.setdefault(key, _Insert(model, using, obj.pk is not None))
    connection = connections[using]
    if plan.usable and not (
        signals
        and (
            models_signals.pre_save.has_listeners(model)
            or models_signals.post_save.has_listeners(model)
        )
    ):
        obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
        values = [f.pre_save(obj, True) for f in plan.fields]
        if not any(hasattr(v, "resolve_expression") for v in values):
            params = [
                f.get_db_prep_save(v, connection=connection)
                for f, v in zip(plan.fields, values, strict=True)
            ]
            with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
                cursor.execute(plan.sql, [*params, *plan.returning_params])
                if plan.returning:
                    (row,) = connection.ops.fetch_returned_rows(cursor, plan.returning_params)
                    if plan.converters:
                        (row,) = plan.compiler.apply_converters([row], plan.converters)
                    for field, value in zip(plan.returning, row, strict=True):
                        setattr(obj, field.attname, value)
            obj._state.adding = False
            obj._state.db = using
            return obj
    obj.save(force_insert=True, using=using)
    return obj

"""Row statements of the call path on SQL built once per model: add a row, save some fields, lock a row.

The Stasis worker makes some fifty statements per call. Through the ORM's query compiler each cost
two to three times the statement itself (about 0.25 ms of CPU against 0.1 ms on the development
machine), so the three shapes the call path repeats are built once from the model's metadata and run
with Django's own value conversion (JSON, datetimes, UUIDs, foreign keys). Only services use this.

No model signals are sent: the models written this way (calls, call events, agents' state and its log)
have no receivers and keep no history.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


@functools.cache
def _insert(model: type[Model]) -> tuple[str, tuple[Field, ...]]:
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key or not f.db_returning)
    columns = ", ".join(_quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    table, pk = _quote(meta.db_table), _quote(meta.pk.column)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING {pk}"
    return sql, fields


@functools.cache
def _update(model: type[Model], names: tuple[str, ...]) -> tuple[str, tuple[Field, ...]]:
    meta = model._meta
    fields = tuple(meta.get_field(name) for name in names)
    assignments = ", ".join(f"{_quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {_quote(meta.db_table)} SET {assignments} WHERE {_quote(meta.pk.column)} = %s"
    return sql, fields


@functools.cache
def _select(model: type[Model], skip_locked: bool) -> str:
    meta = model._meta
    columns = ", ".join(_quote(f.column) for f in meta.concrete_fields)
    lock = "FOR UPDATE SKIP LOCKED" if skip_locked else "FOR UPDATE"
    return f"SELECT {columns} FROM {_quote(meta.db_table)} WHERE {_quote(meta.pk.column)} = %s {lock}"


@functools.cache
def _where(
    model: type[Model], names: tuple[str, ...], nulls: tuple[bool, ...], lock: bool
) -> tuple[str, tuple[Field, ...]]:
    meta = model._meta
    fields = meta.concrete_fields
    columns = ", ".join(_quote(f.column) for f in fields)
    tested = tuple(meta.get_field(name) for name in names)
    tests = " AND ".join(
        f"{_quote(f.column)} IS NULL" if null else f"{_quote(f.column)} = %s"
        for f, null in zip(tested, nulls, strict=True)
    )
    order = _quote(meta.pk.column)
    sql = f"SELECT {columns} FROM {_quote(meta.db_table)} WHERE {tests} ORDER BY {order}"
    return sql + (" FOR UPDATE" if lock else ""), tested


def find(model: type[M], *, lock: bool = False, **equal: Any) -> list[M]:
    """Rows whose fields equal these values (None: IS NULL), by primary key; with `lock`, FOR UPDATE."""
    names = tuple(equal)
    nulls = tuple(value is None for value in equal.values())
    sql, fields = _where(model, names, nulls, lock)
    params = [
        f.get_db_prep_value(getattr(value, "pk", value), connection)
        for f, value in zip(fields, equal.values(), strict=True)
        if value is not None
    ]
    return _rows(model, sql, params)


def add(obj: M) -> M:
    """INSERT an unsaved instance (its defaults are already filled in) and set its primary key."""
    sql, fields = _insert(type(obj))
    params = [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


def save_fields(obj: Model, *names: str) -> None:
    """UPDATE only these fields of a saved instance (as `save(update_fields=...)`, without signals)."""
    sql, fields = _update(type(obj), names)
    params = [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, obj.pk])


def locked(model: type[M], pk: Any, *, skip_locked: bool = False) -> M:
    """The row with this primary key, locked until the transaction ends; `DoesNotExist` when absent.

    With `skip_locked`, a row another transaction holds counts as absent.
    """
    sql = _select(model, skip_locked)
    found = _rows(model, sql, [pk])
    if not found:
        raise model.DoesNotExist(f"{model.__name__} {pk} does not exist or is locked")
    return found[0]


@functools.cache
def _reading(model: type[Model]) -> tuple[list[str], list[list[Callable]]]:
    fields = model._meta.concrete_fields
    return [f.attname for f in fields], [f.get_db_converters(connection) for f in fields]


def _rows(model: type[M], sql: str, params: list[Any]) -> list[M]:
    attnames, converters = _reading(model)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = []
    for row in rows:
        values = list(row)
        for index, field_converters in enumerate(converters):
            for convert in field_converters:
                values[index] = convert(values[index], None, connection)
        found.append(model.from_db(connection.alias, attnames, values))
    return found

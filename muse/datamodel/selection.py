"""Best-calibration selection in one SQL statement, for one target or a batch (DESIGN §4).

The public query API filters and orders by attributes; the ranking of DESIGN §4 also needs a
computed order (the parameter set the request uses first, then the smallest |night(candidate)
− night(t)|, then the newest ``creation_date``) and one winner per target of a batch. This
module adds exactly that, in SQLAlchemy Core on the class table: the same statement returns
the winners' whole rows, which :func:`common.persistent.loading.objects_from_rows` turns into
objects, so a selection is one round trip.

What it uses of the layers below: ``common.database.table_name`` and ``column_name`` (the
naming rules), the current session's ``table(name)`` and ``database.read()``,
``objects_from_rows`` and ``ParameterSet.compute_hash()``. Nothing else.

Selectable = ``is_valid >= 1`` and (``quality_flags == 0`` or ``qc_override``); a nightly
calibration must have ``t`` in ``[timestamp_start, timestamp_end)``, the requested IFU and the
same setup values; a static one has ``timestamp_start <= t`` and an open or later end, and the
newest start wins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FunctionElement,
    Integer,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from common.database import column_name, table_name
from common.errors import QueryError
from common.persistent.loading import objects_from_rows
from common.persistent.session import current_session

__all__ = ["Target", "best_calibrations", "day_number"]


class day_number(FunctionElement):
    """Days since 1970-01-01 of a DATE column, as a number on every backend."""

    type = Integer()
    inherit_cache = True
    name = "day_number"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element: day_number, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5)"


@compiles(day_number, "postgresql")
@compiles(day_number, "oracle")
def _day_number_date_arithmetic(element: day_number, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} - DATE '1970-01-01')"


_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class Target:
    """One request: the time, its night, the IFU (None: any) and the setup values."""

    moment: dt.datetime
    ifu: int | None
    night: dt.date
    setup: Mapping[str, Any] = field(default_factory=dict)


def _column(table: Any, cls: type, name: str) -> ColumnElement[Any]:
    try:
        return table.c[column_name(name)]
    except KeyError:
        raise QueryError(f"{cls.__name__}.select_for_date: {cls.__name__} has no attribute "
                         f"{name!r} to match") from None


def _equal(column: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def best_calibrations(cls: type, targets: Sequence[Target], *,
                      parameter_class: type | None, parameter_hash: str,
                      static: bool) -> list[Any | None]:
    """The best selectable ``cls`` object for each target (None: none), in one statement.

    ``parameter_class`` and ``parameter_hash`` name the parameter set the request uses;
    candidates made with it rank first (no class: no preference, for ingested calibrations).
    """
    if not targets:
        return []
    session = current_session()
    database = session.database
    table = session.table(table_name(cls.__name__))
    selectable = and_(table.c.is_valid >= 1,
                      or_(table.c.quality_flags == 0, table.c.qc_override == true()))
    if parameter_class is None:
        preference: ColumnElement[Any] = literal(0, Integer())
        source: Any = table
    else:
        parameters = session.table(table_name(parameter_class.__name__))
        preference = case((parameters.c.params_hash == parameter_hash, 0), else_=1)
        source = table.outerjoin(parameters, parameters.c.object_id == table.c.parameters)
    branches = []
    for index, target in enumerate(targets):
        conditions = [selectable, table.c.timestamp_start <= target.moment,
                      or_(table.c.timestamp_end.is_(None), table.c.timestamp_end > target.moment)]
        if target.ifu is not None:
            conditions.append(table.c.ifu == target.ifu)
        conditions.extend(_equal(_column(table, cls, name), value)
                          for name, value in target.setup.items())
        if static:
            distance = literal(0, Integer())
        else:
            wanted = (target.night - _EPOCH).days
            distance = func.abs(day_number(table.c.night) - wanted)
        branches.append(select(literal(index, Integer()).label("target"),
                               table.c.object_id, preference.label("preference"),
                               distance.label("distance"), table.c.timestamp_start,
                               table.c.creation_date)
                        .select_from(source).where(and_(*conditions)))
    candidates = (branches[0] if len(branches) == 1 else union_all(*branches)).subquery("c")
    newest = (candidates.c.creation_date.desc(), candidates.c.object_id.desc())
    order = ((candidates.c.preference, candidates.c.timestamp_start.desc(), *newest) if static
             else (candidates.c.preference, candidates.c.distance, *newest))
    rank = func.row_number().over(partition_by=candidates.c.target,
                                  order_by=order).label("rank")
    ranked = select(candidates.c.target, candidates.c.object_id, rank).subquery("ranked")
    statement = (select(ranked.c.target, *table.c)
                 .join_from(ranked, table, table.c.object_id == ranked.c.object_id)
                 .where(ranked.c.rank == 1)
                 .order_by(ranked.c.target))
    with database.read() as connection:
        rows = connection.execute(statement).all()
    objects = objects_from_rows(cls, [tuple(row[1:]) for row in rows])
    winners = {row[0]: obj for row, obj in zip(rows, objects, strict=True)}
    return [winners.get(index) for index in range(len(targets))]


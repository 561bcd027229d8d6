"""Best-calibration selection in one SQL statement, for one target or a batch (DESIGN §4).

The public query API filters and orders by attributes; the ranking of DESIGN §4 also needs a
computed order (the smallest |night(candidate) − night(t)|, then the newest ``creation_date``)
and one winner per target of a batch. This module adds exactly that, in SQLAlchemy Core on the
class table: the same statement returns the winners' whole rows, which
:func:`common.persistent.loading.objects_from_rows` turns into objects, so a selection is one
round trip. The parameter set is a filter, not a preference: a request with the reference set
never gets a product made with an optimised one, and the other way round.

What it uses of the layers below: ``common.database.table_name`` and ``column_name`` (the
naming rules), the current session's ``table(name)``, ``database.read()`` and
``database.backend.rows_table()``,
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
    Float,
    FunctionElement,
    Integer,
    and_,
    func,
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


class validity_days(FunctionElement):
    """Days (fractional) from the first to the second datetime argument, on every backend."""

    type = Float()
    inherit_cache = True
    name = "validity_days"


@compiles(validity_days, "sqlite")
def _validity_days_sqlite(element: validity_days, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(julianday({end}) - julianday({start}))"


@compiles(validity_days, "postgresql")
def _validity_days_postgresql(element: validity_days, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"


@compiles(validity_days, "oracle")
def _validity_days_oracle(element: validity_days, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(CAST({end} AS DATE) - CAST({start} AS DATE))"


class days_before(FunctionElement):
    """The datetime a number of days before a datetime, comparable with datetime columns."""

    inherit_cache = True
    name = "days_before"


@compiles(days_before, "sqlite")
def _days_before_sqlite(element: days_before, compiler: SQLCompiler, **kw: Any) -> str:
    moment, days = (compiler.process(clause, **kw) for clause in element.clauses)
    # ISO text with a 'T', as the datetimes are stored; milliseconds only, but a bound
    # a day wider than needed does not care.
    return f"strftime('%Y-%m-%dT%H:%M:%f', {moment}, '-' || ({days}) || ' days')"


@compiles(days_before, "postgresql")
def _days_before_postgresql(element: days_before, compiler: SQLCompiler, **kw: Any) -> str:
    moment, days = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({moment} - ({days}) * INTERVAL '1 day')"


@compiles(days_before, "oracle")
def _days_before_oracle(element: days_before, compiler: SQLCompiler, **kw: Any) -> str:
    moment, days = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({moment} - NUMTODSINTERVAL({days}, 'DAY'))"


class not_indexed(FunctionElement):
    """A column compared without its index on SQLite (``+column``), the same column elsewhere.

    SQLite's planner, without statistics, prefers an equality on the IFU or parameter-set
    index to the range on ``timestamp_start`` that selects far fewer rows; a unary ``+`` is its
    documented way to take an index out of consideration.
    """

    inherit_cache = True
    name = "not_indexed"

    @property
    def type(self) -> Any:  # type: ignore[override]
        """The type of the column."""
        return next(iter(self.clauses)).type


@compiles(not_indexed)
def _not_indexed(element: not_indexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(not_indexed, "sqlite")
def _not_indexed_sqlite(element: not_indexed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(next(iter(element.clauses)), **kw)}"


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


def _pattern(target: Target) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    """What a target constrains: an IFU or not, its setup names, those it wants NULL."""
    return (target.ifu is not None, tuple(sorted(target.setup)),
            tuple(sorted(name for name, value in target.setup.items() if value is None)))


def _ranked_branch(cls: type, table: Any, name: str, pattern: tuple[bool, tuple[str, ...],
                                                                   tuple[str, ...]],
                   members: list[tuple[int, Target]], *, parameters: Any | None,
                   parameter_hash: str, static: bool) -> Any:
    """``(target, object_id, rank)`` for the targets of one pattern: plain equality joins.

    Splitting the batch by pattern keeps every join condition an equality or a range on one
    column, so each database can use its indexes (an ``OR`` per condition would hide them).
    """
    session = current_session()
    has_ifu, setup_names, null_names = pattern
    setup_columns = {key: _column(table, cls, key) for key in setup_names}
    keys = {key: f"s{index}" for index, key in enumerate(setup_names)}
    columns = {"target": Integer(), "moment": table.c.timestamp_start.type, "night": Integer()}
    if has_ifu:
        columns["ifu"] = Integer()
    columns.update({keys[key]: setup_columns[key].type for key in setup_names
                    if key not in null_names})
    requests = session.database.backend.rows_table(name, columns, [
        {"target": index, "moment": target.moment, "night": (target.night - _EPOCH).days,
         "ifu": target.ifu, **{keys[key]: target.setup[key] for key in setup_names}}
        for index, target in members])
    start, end = table.c.timestamp_start, table.c.timestamp_end
    matches = [table.c.is_valid >= 1,
               or_(table.c.quality_flags == 0, table.c.qc_override == true()),
               start <= requests.c.moment]
    if has_ifu:
        matches.append(not_indexed(_column(table, cls, "ifu")) == requests.c.ifu)
    matches.extend(setup_columns[key].is_(None) if key in null_names
                   else not_indexed(setup_columns[key]) == requests.c[keys[key]]
                   for key in setup_names)
    # The widest closed validity (plus a day) bounds how long before the target a candidate
    # can start: a range on the timestamp_start index, not a scan of the IFU per target.
    widest = (select(func.max(validity_days(start, end)) + 1)
              .where(end.is_not(None)).scalar_subquery())
    closed = [end > requests.c.moment, start >= days_before(requests.c.moment, widest)]
    distance = (start if static else func.abs(day_number(table.c.night) - requests.c.night))
    branches = []
    for validity in (closed, [end.is_(None)]):
        source: Any = requests.join(table, and_(*matches, *validity))
        if parameters is not None:
            link = not_indexed(table.c.parameters)
            source = source.join(parameters, and_(parameters.c.object_id == link,
                                                   parameters.c.params_hash == parameter_hash))
        branches.append(select(requests.c.target, table.c.object_id,
                               distance.label("distance"), table.c.creation_date)
                        .select_from(source))
    candidates = union_all(*branches).subquery(f"{name}_candidates")
    order = ((candidates.c.distance.desc(),) if static else (candidates.c.distance,))
    rank = func.row_number().over(
        partition_by=candidates.c.target,
        order_by=(*order, candidates.c.creation_date.desc(), candidates.c.object_id.desc()))
    return select(candidates.c.target, candidates.c.object_id, rank.label("rank"))


def best_calibrations(cls: type, targets: Sequence[Target], *,
                      parameter_class: type | None, parameter_hash: str,
                      static: bool) -> list[Any | None]:
    """The best selectable ``cls`` object for each target (None: none), in one statement.

    ``parameter_class`` and ``parameter_hash`` name the parameter set the request uses: only
    products made with it are candidates (no class: ingested calibrations, no parameters).
    The targets travel as rows tables (:meth:`Backend.rows_table`, one per pattern of
    constraints, usually one) joined to the class table, so the statement has the same shape
    for one target or ten thousand.
    """
    if not targets:
        return []
    session = current_session()
    database = session.database
    table = session.table(table_name(cls.__name__))
    parameters = (None if parameter_class is None
                  else session.table(table_name(parameter_class.__name__)))
    patterns: dict[tuple[bool, tuple[str, ...], tuple[str, ...]], list[tuple[int, Target]]] = {}
    for index, target in enumerate(targets):
        patterns.setdefault(_pattern(target), []).append((index, target))
    branches = [_ranked_branch(cls, table, f"targets{number}", pattern, members,
                               parameters=parameters, parameter_hash=parameter_hash,
                               static=static)
                for number, (pattern, members) in enumerate(patterns.items())]
    ranked = (branches[0] if len(branches) == 1 else union_all(*branches)).subquery("ranked")
    statement = (select(ranked.c.target, *table.c)
                 .join_from(ranked, table, table.c.object_id == ranked.c.object_id)
                 .where(ranked.c.rank == 1)
                 .order_by(ranked.c.target))
    with database.read() as connection:
        rows = connection.execute(statement).all()
    objects = objects_from_rows(cls, [tuple(row[1:]) for row in rows])
    winners = {row[0]: obj for row, obj in zip(rows, objects, strict=True)}
    return [winners.get(index) for index in range(len(targets))]

"""The planner: for a request, decide per node reuse, make or stop, with set-based queries.

A request: a class of ``AWE_TARGET``, key values (a list asks for each), parameter-set ids
per recipe (reference otherwise); only each class's ``ProcessSpec`` is read.

Two passes over the specs of the request, in dependency order (DESIGN §4, §6):

1. **Top down**, one batch per spec: the raw inputs of every request of that spec (one query
   per input list: chips of the request's night or exposure, with their frames), the
   observation date (mean DATE-OBS), the setup values the calibrations must match, the
   requests of the products it consumes (``select='products'``) and of the processable
   calibrations it needs (keys from its own keys and raw inputs: the raw data's ``night``),
   and the best existing static calibrations (one ``select_for_targets`` statement per class).
2. **Bottom up**, one batch per spec: the existing products with the requested parameter set
   (one query, plus one per input list), each checked by the up-to-date rule: selectable,
   made from exactly the current selectable raw inputs, linked to the calibrations chosen
   now, none of them newer, its validity covering the dates of the requests that need it.
   The newest up-to-date one is reused; else an invalid or QC-flagged one from the same
   inputs and parameters stops the branch (no futile remake); else it is made. Too few, or a
   stopped dependency, stop a node and the nodes that need it; a calibration whose night has
   no raw data falls back to the best selectable one for the date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import literal, select, union_all

from common.database import column_name, list_table_name, table_name
from common.errors import ConfigError, QueryError
from common.persistent.session import current_session
from common.persistent.session import session as open_session
from common.process.plan import Plan, PlanNode, node_id_of, shown_failures
from common.process.requests import (
    RawInput,
    Request,
    coerce_keys,
    concrete,
    mean_moment,
    raw_attributes,
    resolve_class,
    selectable,
    spec_order,
    visible_only,
)
from common.process.spec import Calib, Input, ProcessSpec

__all__ = ["plan_target", "plan_targets"]

_OBSERVED = "DATE_OBS"
"""The attribute of a raw input that holds its observation time."""


class _Planner:
    """The two passes over one request's specs; holds the requests by node id."""

    def __init__(self, parameters: Mapping[str, int] | None,
                 wanted_attributes: tuple[str, ...]) -> None:
        self.session = current_session()
        self.wanted_attributes = wanted_attributes
        self.requests: dict[str, Request] = {}
        self.by_spec: dict[int, list[Request]] = {}
        self.parameter_ids = dict(parameters or {})
        self.parameter_sets: dict[str, Any] = {}

    # -- parameters -------------------------------------------------------------------------

    def parameters_of(self, spec: ProcessSpec) -> Any:
        """The parameter set the request uses for ``spec``'s recipe (reference by default)."""
        found = self.parameter_sets.get(spec.recipe)
        if found is None:
            wanted = self.parameter_ids.get(spec.recipe)
            found = spec.parameters() if wanted is None else spec.parameters.get(wanted)
            self.parameter_sets[spec.recipe] = found
        return found

    def parameters_hash(self, spec: ProcessSpec) -> str:
        """The hash of the parameter set the request uses for ``spec``'s recipe."""
        found = self.parameters_of(spec)
        return found.params_hash if found.is_committed else found.compute_hash()

    # -- requests ---------------------------------------------------------------------------

    def request(self, spec: ProcessSpec, keys: Mapping[str, Any],
                moment: dt.datetime | None) -> Request:
        """The request of ``spec`` with ``keys`` (one per node), noting who needs it when."""
        cls = spec.products[0]
        keys = {name: keys[name] for name in spec.keys}
        node_id = node_id_of(cls.__name__, keys)
        found = self.requests.get(node_id)
        if found is None:
            found = Request(spec, cls, keys, node_id)
            self.requests[node_id] = found
            self.by_spec.setdefault(id(spec), []).append(found)
        if moment is not None:
            found.moments.append(moment)
        return found

    def raw_inputs(self, item: Input, key_sets: Sequence[Mapping[str, Any]],
                   names: Sequence[str],
                   group: Sequence[str] = ()) -> dict[tuple, tuple[list[RawInput], int]]:
        """Selectable raw inputs of ``item`` by key tuple (``names`` + ``group``); others' count.

        One statement for the whole batch (every key of ``names`` in the set of its values):
        the input class's table, joined to the rows of the class it links to (its frame)
        for the attributes it does not have itself.
        """
        cls = item.cls
        table = self.session.table(table_name(cls.__name__))
        wanted = list(dict.fromkeys((*names, *group, *self.wanted_attributes)))
        own = [name for name in wanted if column_name(name) in table.c]
        columns: dict[str, Any] = {name: table.c[column_name(name)] for name in own}
        source: Any = table
        linked = [name for name in wanted if name not in columns]
        if linked:
            link, frames = self.linked_rows(cls, linked)
            source = table.outerjoin(frames, frames.c.object_id == table.c[column_name(link)])
            columns.update({name: frames.c[column_name(name)] for name in linked
                            if column_name(name) in frames.c})
        flags = [table.c[column_name(name)] if column_name(name) in table.c else literal(None)
                 for name in ("is_valid", "quality_flags", "qc_override")]
        observed = table.c[column_name(_OBSERVED)]
        statement = select(table.c.object_id, observed, *flags,
                           *(columns[name] for name in wanted if name in columns))
        statement = statement.select_from(source)
        for name in names:
            if name not in columns:
                raise ConfigError(f"{cls.__name__}: no attribute or linked attribute "
                                  f"{name!r} to select inputs by")
            statement = statement.where(columns[name].in_(
                sorted({keys[name] for keys in key_sets})))
        statement = statement.order_by(observed, table.c.object_id)
        present = [name for name in wanted if name in columns]
        grouped: dict[tuple, tuple[list[RawInput], int]] = {}
        with self.session.database.read() as connection:
            rows = connection.execute(visible_only(self.session, statement, table)).all()
        key_positions = [5 + present.index(name) for name in (*names, *group)]
        for row in rows:
            key = tuple(row[position] for position in key_positions)
            chosen, rejected = grouped.setdefault(key, ([], 0))
            is_valid, quality_flags, override = row[2], row[3], row[4]
            if (is_valid is None or is_valid >= 1) and (not quality_flags or override):
                values = dict(zip(present, row[5:], strict=True))
                chosen.append(RawInput(row[0], row[1], values))
            else:
                grouped[key] = (chosen, rejected + 1)
        return grouped

    def linked_rows(self, cls: type, names: Sequence[str]) -> tuple[str, Any]:
        """The link of ``cls`` whose target has ``names``, and its concrete rows (a union)."""
        record = cls._meta
        for link in record.links:
            target = record.properties[link].target
            tables = []
            for klass in concrete(target):
                table = self.session.table(table_name(klass.__name__))
                if all(column_name(name) in table.c for name in names):
                    tables.append(table)
            if tables:
                branches = [select(table.c.object_id,
                                   *(table.c[column_name(name)] for name in names))
                            for table in tables]
                union = branches[0] if len(branches) == 1 else union_all(*branches)
                return link, union.subquery(f"{link}_rows")
        raise ConfigError(f"{cls.__name__}: no link to a class with {', '.join(names)}")

    # -- pass 1: top down -------------------------------------------------------------------

    def expand(self, spec: ProcessSpec) -> None:
        """Raw inputs, dates, setup, and the requests ``spec``'s requests need."""
        requests = self.by_spec.get(id(spec), [])
        if not requests:
            return
        for item in spec.inputs:
            if item.select == "products":
                self.expand_products(spec, item, requests)
            else:
                names = list(spec.keys)
                found = self.raw_inputs(item, [request.keys for request in requests], names)
                for request in requests:
                    chosen, rejected = found.get(tuple(request.keys[name] for name in names),
                                                 ([], 0))
                    if item.max is not None:
                        chosen = chosen[-item.max:]
                    request.raw[item.name] = chosen
                    request.unselectable[item.name] = rejected
        for request in requests:
            raws = [raw for chosen in request.raw.values() for raw in chosen]
            if raws:
                request.moment = mean_moment([raw.observed for raw in raws if raw.observed])
                request.setup = dict(raws[0].values)
        self.expand_calibrations(spec, requests)

    def expand_products(self, spec: ProcessSpec, item: Input,
                        requests: Sequence[Request]) -> None:
        """The requests of the products ``item`` consumes, one per value of their other keys."""
        sub = item.cls.__process__
        given = [name for name in sub.keys if name in spec.keys]
        extra = [name for name in sub.keys if name not in spec.keys]
        raw_items = [entry for entry in sub.inputs if entry.select != "products"]
        if not raw_items:
            raise ConfigError(f"{spec.recipe}: input {item.name} is made from products only; "
                              "expected raw inputs to find its keys")
        found = self.raw_inputs(raw_items[0], [request.keys for request in requests], given,
                                extra)
        for request in requests:
            wanted = tuple(request.keys[name] for name in given)
            children = []
            observed = []
            for key, (chosen, _) in sorted(found.items(), key=lambda pair: pair[0]):
                if key[:len(given)] != wanted or not chosen:
                    continue
                moment = mean_moment([raw.observed for raw in chosen if raw.observed])
                observed.extend(raw.observed for raw in chosen if raw.observed)
                keys = dict(zip(given + extra, key, strict=True))
                children.append(self.request(sub, keys, moment).node_id)
                if not request.setup:
                    request.setup = dict(chosen[0].values)
            request.children[item.name] = children
            request.raw.setdefault(item.name, [])
            if observed:
                request.moment = mean_moment(observed)

    def expand_calibrations(self, spec: ProcessSpec, requests: Sequence[Request]) -> None:
        """The calibration requests (processable) or best objects (static) of ``requests``."""
        for calib in spec.calibrations:
            sub = getattr(calib.cls, "__process__", None)
            if sub is not None:
                for request in requests:
                    keys = self.calibration_keys(request, sub)
                    if keys is None:
                        request.calibs[calib.name] = None
                        continue
                    request.calibs[calib.name] = self.request(sub, keys, request.moment).node_id
            else:
                self.select_static(calib, requests)

    def calibration_keys(self, request: Request, sub: ProcessSpec) -> dict[str, Any] | None:
        """The keys of the calibration request: the request's own, else its raw data's."""
        keys = {}
        raws = [raw for chosen in request.raw.values() for raw in chosen]
        for name in sub.keys:
            if name in request.keys:
                keys[name] = request.keys[name]
            elif raws and raws[0].values.get(name) is not None:
                keys[name] = raws[0].values[name]
            else:
                return None
        return keys

    def best_for(self, calib: Calib, requests: Sequence[Request]) -> list[Any]:
        """The best selectable ``calib.cls`` objects for ``requests``' dates: one statement."""
        cls = calib.cls
        targets = [(request.moment, request.keys.get("ifu") if "ifu" in cls._meta.properties
                    else None, {name: request.setup.get(name) for name in calib.match})
                   for request in requests]
        spec = getattr(cls, "__process__", None)
        parameters = self.parameters_of(spec) if spec is not None else None
        return cls.select_for_targets(targets, parameters=parameters)

    def select_static(self, calib: Calib, requests: Sequence[Request]) -> None:
        """The best ingested calibration ``calib`` for each dated request."""
        dated = [request for request in requests if request.moment is not None]
        for request, found in zip(dated, self.best_for(calib, dated) if dated else [],
                                  strict=True):
            request.calibs[calib.name] = None if found is None else found.object_id
            if found is not None:
                request.static_created[calib.name] = found.creation_date
        for request in requests:
            request.calibs.setdefault(calib.name, None)

    # -- pass 2: bottom up ------------------------------------------------------------------

    def candidates(self, spec: ProcessSpec, requests: Sequence[Request]) -> dict[str, list]:
        """Existing products of ``spec`` with the requested parameter set, newest first."""
        cls = spec.products[0]
        table = self.session.table(table_name(cls.__name__))
        parameters = self.session.table(table_name(spec.parameters.__name__))
        columns = {"object_id", "creation_date", "is_valid", "quality_flags", "qc_override",
                   "timestamp_start", "timestamp_end", *spec.keys,
                   *(calib.name for calib in spec.calibrations),
                   *(item.name for item in spec.inputs if item.max == 1)}
        chosen = [table.c[column_name(name)] for name in sorted(columns)
                  if column_name(name) in table.c]
        statement = (select(*chosen)
                     .join_from(table, parameters,
                                parameters.c.object_id == table.c[column_name("parameters")])
                     .where(parameters.c.params_hash == self.parameters_hash(spec)))
        for name in spec.keys:
            statement = statement.where(table.c[column_name(name)].in_(
                sorted({request.keys[name] for request in requests})))
        statement = statement.order_by(table.c.creation_date.desc(), table.c.object_id.desc())
        lists = [item.name for item in spec.inputs if item.max != 1
                 and item.name in cls._meta.lists]
        statement = visible_only(self.session, statement, table)
        with self.session.database.read() as connection:
            rows = [dict(row._mapping) for row in connection.execute(statement)]
            ids = [row["object_id"] for row in rows]
            for name in lists:
                members = self.session.table(list_table_name(cls.__name__, name))
                found: dict[int, list[int]] = {}
                if ids:
                    for owner, value in connection.execute(
                            select(members.c.object_id, members.c.value)
                            .where(members.c.object_id.in_(ids))
                            .order_by(members.c.object_id, members.c.position)):
                        found.setdefault(owner, []).append(value)
                for row in rows:
                    row[column_name(name)] = found.get(row["object_id"], [])
        siblings: dict[str, dict] = {other.__name__: {} for other in spec.products[1:]}
        for other in spec.products[1:]:
            for row in self.sibling_rows(other, spec, requests):
                key = node_id_of(cls.__name__, {name: row[column_name(name)]
                                                for name in spec.keys})
                siblings[other.__name__][key, row["creation_date"]] = row
        by_node: dict[str, list] = {}
        for row in rows:
            node_id = node_id_of(cls.__name__, {name: row[column_name(name)]
                                                for name in spec.keys})
            row["siblings"] = {name: found.get((node_id, row["creation_date"]))
                               for name, found in siblings.items()}
            by_node.setdefault(node_id, []).append(row)
        return by_node

    def sibling_rows(self, cls: type, spec: ProcessSpec,
                     requests: Sequence[Request]) -> list[dict[str, Any]]:
        """Rows of ``cls``, made by the same runs as the spec's first product (one query)."""
        table = self.session.table(table_name(cls.__name__))
        columns = ["object_id", "creation_date", "is_valid", "quality_flags", "qc_override",
                   *spec.keys]
        statement = select(*(table.c[column_name(name)] for name in columns))
        for name in spec.keys:
            statement = statement.where(table.c[column_name(name)].in_(
                sorted({request.keys[name] for request in requests})))
        with self.session.database.read() as connection:
            rows = connection.execute(visible_only(self.session, statement, table))
            return [dict(row._mapping) for row in rows]

    def wanted(self, request: Request) -> tuple[dict[str, Any], str | None]:
        """The input and calibration ids the request would use now, or why it cannot run.

        Values are object ids (int), node ids of nodes to make (str) or None.
        """
        wanted: dict[str, Any] = {}
        for item in request.spec.inputs:
            if item.select == "products":
                children = [self.requests[node_id] for node_id in request.children[item.name]]
                stopped = [child for child in children if child.action == "stop"]
                if stopped:
                    return wanted, (f"needs {stopped[0].node_id}, which is stopped"
                                    + (f" (and {len(stopped) - 1} more)"
                                       if len(stopped) > 1 else ""))
                if len(children) < item.min:
                    return wanted, (f"too few inputs: {len(children)} {item.cls.__name__} "
                                    f"for {item.name}, expected at least {item.min}")
                wanted[item.name] = [child.object_ids[item.cls.__name__]
                                     if child.action == "reuse" else child.node_id
                                     for child in children]
            else:
                chosen = request.raw.get(item.name, [])
                if len(chosen) < item.min:
                    where = ", ".join(f"{key}={value}" for key, value in request.keys.items())
                    others = request.unselectable.get(item.name, 0)
                    request.no_raw_data = not chosen and not others
                    return wanted, (f"too few inputs: {len(chosen)} selectable "
                                    f"{item.cls.__name__} for {where}"
                                    + (f" ({others} not selectable)" if others else "")
                                    + f", expected at least {item.min}")
                wanted[item.name] = [raw.object_id for raw in chosen]
        for calib in request.spec.calibrations:
            value = request.calibs.get(calib.name)
            if isinstance(value, str):
                dependency = self.requests[value]
                if dependency.action == "stop":
                    if calib.optional:
                        wanted[calib.name] = None
                        continue
                    return wanted, f"needs {value}, which is stopped"
                wanted[calib.name] = (dependency.object_ids[calib.cls.__name__]
                                      if dependency.action == "reuse" else dependency.node_id)
            elif value is None and not calib.optional:
                return wanted, (f"no selectable {calib.cls.__name__} for "
                                f"{request.moment.isoformat() if request.moment else 'it'}"
                                + (f" ({', '.join(f'{k}={v}' for k, v in request.setup.items() if k in calib.match)})"  # noqa: E501
                                   if calib.match else ""))
            else:
                wanted[calib.name] = value
        return wanted, None

    def created_of(self, request: Request, name: str) -> dt.datetime | None:
        """When the calibration ``name`` the request uses now was committed."""
        origin = request.calibs.get(name)
        if isinstance(origin, str):
            return self.requests[origin].created
        return request.static_created.get(name)

    def compare(self, request: Request, row: Mapping[str, Any],
                wanted: Mapping[str, Any]) -> str | None:
        """Why ``row`` is not up to date with ``wanted`` (None: it is)."""
        shown = f"{row['object_id']:#x}"
        for item in request.spec.inputs:
            have = row.get(column_name(item.name))
            have = [have] if item.max == 1 and have is not None else list(have or [])
            now = wanted[item.name]
            if any(isinstance(value, str) for value in now):
                return f"{shown} is outdated: its {item.name} are being remade"
            if sorted(have) != sorted(now):
                removed, added = len(set(have) - set(now)), len(set(now) - set(have))
                return (f"{shown} is outdated: its {item.name} changed ({removed} no longer "
                        f"selectable, {added} new)")
        for calib in request.spec.calibrations:
            have = row.get(column_name(calib.name))
            now = wanted.get(calib.name)
            if isinstance(now, str):
                return f"{shown} is outdated: its {calib.name} {now} is to be made"
            if have != now:
                return (f"{shown} is outdated: the {calib.name} is now "
                        f"{'none' if now is None else f'{now:#x}'}, it used "
                        f"{'none' if have is None else f'{have:#x}'}")
            created = self.created_of(request, calib.name)
            if created is not None and created > row["creation_date"]:
                return f"{shown} is outdated: its {calib.name} {now:#x} is newer than it"
        start, end = row.get("timestamp_start"), row.get("timestamp_end")
        for moment in request.moments:
            if (start is not None and moment < start) or (end is not None and moment >= end):
                return (f"{shown}'s validity [{start}, {end}) does not cover {moment} where it "
                        "is needed")
        return None

    def futile(self, request: Request, row: Mapping[str, Any]) -> str:
        """The reason a remake would be futile: ``row`` (or a sibling) failed, same inputs."""
        cls = request.cls
        for name, item in row["siblings"].items():
            if not selectable(row) or selectable(item):
                continue
            cls = next(klass for klass in request.spec.products if klass.__name__ == name)
            row = item
        obj = cls.get(row["object_id"])
        if (row["is_valid"] or 0) < 1:
            from common.persistent.objects import AuditRecord

            audits = list(((AuditRecord.target == obj) & (AuditRecord.field == "is_valid"))
                          .order_by("creation_date", desc=True)[:1])
            why = f"invalidated ({audits[0].reason})" if audits else "invalid"
        else:
            failures = obj.qc_failures() if hasattr(obj, "qc_failures") else []
            why = "failed QC: " + (shown_failures(failures) or f"flags {row['quality_flags']}")
        return (f"{cls.__name__} {row['object_id']:#x} from the same inputs and "
                f"parameters is {why}; not remade. Ways on: invalidate one of its inputs, or "
                "override its QC (override_qc)")

    def decide(self, spec: ProcessSpec) -> None:
        """Reuse, make or stop for every request of ``spec`` (its dependencies decided)."""
        requests = self.by_spec.get(id(spec), [])
        if not requests:
            return
        existing = self.candidates(spec, requests)
        fallbacks: dict[str, list[Request]] = {}
        for request in requests:
            wanted, problem = self.wanted(request)
            if problem is not None:
                request.action, request.reason = "stop", problem
                if request.no_raw_data and request.moments:
                    fallbacks.setdefault("", []).append(request)
                continue
            request.inputs = wanted
            outdated = None
            failed = None
            for row in existing.get(request.node_id, []):
                made = [row, *row["siblings"].values()]
                if any(item is None for item in made):
                    continue
                usable = all(selectable(item) for item in made)
                why = self.compare(request, row, wanted)
                if why is None and usable:
                    request.action, request.object_id = "reuse", row["object_id"]
                    request.object_ids = {request.cls.__name__: row["object_id"],
                                          **{name: item["object_id"]
                                             for name, item in row["siblings"].items()}}
                    request.created = row["creation_date"]
                    request.reason = (f"up to date (made {row['creation_date']:%Y-%m-%d %H:%M}"
                                      f" with the same parameters and inputs)")
                    break
                if why is None:
                    failed = failed or row
                elif usable:
                    outdated = outdated or why
            if not request.action and failed is not None:
                request.action, request.object_id = "stop", failed["object_id"]
                request.reason = self.futile(request, failed)
            if not request.action:
                request.action = "make"
                request.reason = outdated or (f"no {request.cls.__name__} with these "
                                              "parameters yet")
        for group in fallbacks.values():
            self.fall_back(spec, group)

    def fall_back(self, spec: ProcessSpec, requests: list[Request]) -> None:
        """A calibration without raw data of its night: the best selectable one, if any."""
        for request in requests:
            request.moment = request.moments[0]
            request.setup = {}
        found = [self.best_for(Calib(cls.__name__, cls), requests) for cls in spec.products]
        for request, best in zip(requests, zip(*found, strict=True), strict=True):
            if all(item is not None for item in best):
                request.action, request.object_id = "reuse", best[0].object_id
                request.object_ids = {type(item).__name__: item.object_id for item in best}
                request.created = max(item.creation_date for item in best)
                request.reason = (f"no raw data of its own; the best selectable "
                                  f"{request.cls.__name__} for {request.moment} is "
                                  f"{best[0].object_id:#x}")

    # -- the plan ---------------------------------------------------------------------------

    def node(self, request: Request) -> PlanNode:
        """The plan node of ``request``; an optional calibration that is stopped is left out."""
        depends = [node_id for children in request.children.values() for node_id in children]
        optional = {calib.name for calib in request.spec.calibrations if calib.optional}
        depends += [value for name, value in request.calibs.items() if isinstance(value, str)
                    and (name not in optional or self.requests[value].action != "stop")]
        parameters = self.parameters_of(request.spec)
        inputs = request.inputs if request.action == "make" else {}
        return PlanNode(
            node_id=request.node_id, class_name=request.cls.__name__, keys=dict(request.keys),
            action=request.action, reason=request.reason, object_id=request.object_id,
            depends_on=list(dict.fromkeys(depends)),
            spec_products=tuple(cls.__name__ for cls in request.spec.products),
            inputs={name: (list(value) if isinstance(value, list) else [value])
                    for name, value in inputs.items() if value is not None},
            parameters_id=parameters.object_id if parameters.is_committed else None)


def plan_targets(cls_or_name: type | str, key_sets: Iterable[Mapping[str, Any]], *,
                 parameters: Mapping[str, int] | None = None, session: Any = None) -> Plan:
    """The plan of many targets of one class at once (the batch behind :func:`plan_target`).

    ``parameters`` maps a recipe name (``'bias'``) to the id of a committed parameter set;
    the others use their reference set. With several targets the root is a group node.
    """
    cls = resolve_class(cls_or_name)
    if session is not None:
        with open_session(session.database, session.context, store=session._store):
            return plan_targets(cls, key_sets, parameters=parameters)
    spec: ProcessSpec = cls.__process__
    recipes = {item.recipe for item in spec_order(spec)}
    unknown = sorted(set(parameters or {}) - recipes)
    if unknown:
        raise ConfigError(f"parameters for {', '.join(unknown)}: {cls.__name__} runs the "
                          f"recipes {', '.join(sorted(recipes))}")
    order = spec_order(spec)
    planner = _Planner(parameters, raw_attributes(order))
    for recipe in parameters or {}:
        item = next(entry for entry in spec_order(spec) if entry.recipe == recipe)
        planner.parameters_of(item)
    roots = [planner.request(spec, keys, None) for keys in key_sets]
    if not roots:
        raise QueryError(f"{cls.__name__}: no target to plan")
    for item in order:
        planner.expand(item)
    for item in reversed(order):
        planner.decide(item)
    nodes: list[PlanNode] = []
    seen: set[str] = set()

    def emit(request: Request) -> None:
        if request.node_id in seen:
            return
        seen.add(request.node_id)
        node = planner.node(request)
        for child in node.depends_on:
            emit(planner.requests[child])
        nodes.append(node)

    for root in roots:
        emit(root)
    if len(roots) == 1:
        return Plan(nodes, roots[0].node_id)
    actions = {root.action for root in roots}
    action = "stop" if "stop" in actions else "make" if "make" in actions else "reuse"
    group = PlanNode(node_id=f"{cls.__name__}[{len(roots)} targets]",
                     class_name=cls.__name__, keys={}, action=action,
                     reason=(f"{sum(root.action == 'reuse' for root in roots)} up to date, "
                             f"{sum(root.action == 'make' for root in roots)} to make, "
                             f"{sum(root.action == 'stop' for root in roots)} stopped"),
                     depends_on=[root.node_id for root in roots])
    return Plan([*nodes, group], group.node_id)


def plan_target(cls_or_name: type | str, keys: Mapping[str, Any], *,
                parameters: Mapping[str, int] | None = None, session: Any = None) -> Plan:
    """The plan of one request: class, keys (a list value asks for each), parameter sets.

    ``parameters`` maps recipe names to committed parameter-set ids (reference otherwise).
    Runs a few set-based queries per spec of the request; writes nothing.
    """
    cls = resolve_class(cls_or_name)
    return plan_targets(cls, coerce_keys(cls, keys), parameters=parameters, session=session)

"""Target processing: plan a request, run its nodes bottom-up, record each product as made.

:func:`process_target` plans (:func:`~common.process.planner.plan_target`), then runs every
node to make as soon as the nodes it needs are done, on an :class:`Executor` (a local pool of
database-free workers by default). This process is the single writer: for each finished
task it builds the products (keys, attributes, QC values, links to the objects used, the
parameter set, observation date and validity), checks the files the worker stored
(commit verifies name and sha256 in the store), sets ``quality_flags`` (``verify()``) and
commits them together. A flagged product stops the nodes that need it, naming it and its
QC failures; a failed task stops its dependents; other branches finish. With a job
(:class:`~common.process.jobs.Job`) the plan, progress and result are written to its row.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
import shutil
import socket
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.persistent import commit
from common.persistent.loading import load_ids
from common.persistent.session import current_session
from common.process.executor import Executor
from common.process.plan import Plan, PlanNode, plain_keys, shown_failures
from common.process.planner import plan_target
from common.process.requests import resolve_class
from common.process.spec import ProcessSpec
from common.process.worker import RUN_MARKER, SCHEDULER_PREFIX

__all__ = ["NodeOutcome", "TargetResult", "process_target", "run_job"]

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class NodeOutcome:
    """What happened to one node: the object made, reused or stopping it, and why."""

    node_id: str
    class_name: str
    keys: dict[str, Any]
    object_id: int | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """The outcome as plain JSON data."""
        return {"node_id": self.node_id, "class_name": self.class_name,
                "keys": plain_keys(self.keys), "object_id": self.object_id,
                "reason": self.reason}


@dataclass
class TargetResult:
    """The outcome of a request: the plan and what was made, reused, stopped or failed."""

    plan: Plan
    made: list[NodeOutcome] = field(default_factory=list)
    reused: list[NodeOutcome] = field(default_factory=list)
    stopped: list[NodeOutcome] = field(default_factory=list)
    failed: list[NodeOutcome] = field(default_factory=list)
    root_id: int | None = None

    @property
    def state(self) -> str:
        """The job state it ends in: failed, stopped (the root could not be made) or done."""
        if self.failed:
            return "failed"
        root = self.plan[self.plan.root]
        if any(outcome.node_id == root.node_id for outcome in self.stopped) or \
                (not root.spec_products and self.stopped):
            return "stopped"
        return "done"

    @property
    def error(self) -> str | None:
        """The job row's error text: each failed or stopped node with its reason, or None."""
        return "\n".join(f"{outcome.node_id}: {outcome.reason}"
                         for outcome in (*self.failed, *self.stopped)) or None

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON data (the plan included)."""
        return {"plan": self.plan.to_dict(), "root_id": self.root_id, "state": self.state,
                **{name: [outcome.to_dict() for outcome in getattr(self, name)]
                   for name in ("made", "reused", "stopped", "failed")}}

    def summary(self) -> str:
        """What was reused, made, stopped and failed, one line each, with the reasons."""
        lines = [f"{self.plan.root}: {len(self.made)} made, {len(self.reused)} reused, "
                 f"{len(self.stopped)} stopped, {len(self.failed)} failed"
                 + (f"; result {self.root_id:#x}" if self.root_id is not None else "")]
        for name in ("made", "stopped", "failed"):
            for outcome in getattr(self, name):
                shown = f" {outcome.object_id:#x}" if outcome.object_id is not None else ""
                lines.append(f"  {name:7} {outcome.node_id}{shown}: {outcome.reason}")
        return "\n".join(lines)


@functools.cache
def _software_release(top: str) -> str:
    """The installed release of the distribution holding package ``top``.

    Looked up once per process: reading the distributions' file lists takes about 0.5 s.
    """
    for name in importlib.metadata.packages_distributions().get(top, []):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "unknown"


def _coerced(cls: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """Attribute values from a worker (ISO text for dates) as ``cls``'s attribute types."""
    coerced = {}
    for name, value in values.items():
        prop = cls._meta.properties.get(name)
        kind = getattr(prop, "type", None)
        if isinstance(value, str) and kind is dt.datetime:
            value = dt.datetime.fromisoformat(value)
        elif isinstance(value, str) and kind is dt.date:
            value = dt.date.fromisoformat(value)
        coerced[name] = value
    return coerced


def _file_ref(obj: Any) -> dict[str, Any]:
    """How a worker fetches ``obj``: its stored file, or its byte range of a stored file."""
    if getattr(obj, "hdu_offset", None) is not None:
        record = type(obj)._meta
        for link in record.links:
            holder = getattr(obj, link)
            if holder is not None and getattr(holder, "filename", None):
                return {"name": holder.filename, "offset": obj.hdu_offset,
                        "size": obj.hdu_size, "primary_size": holder.primary_size}
        raise ValueError(f"{obj!r}: a byte range without a stored file it belongs to")
    return {"name": obj.filename, "offset": None, "size": None}


class _Run:
    """The scheduler of one plan: submits ready nodes, records their products."""

    def __init__(self, plan: Plan, executor: Executor, progress: Progress | None,
                 job: Any, parameters: Mapping[str, int] | None) -> None:
        self.plan = plan
        self.executor = executor
        self.progress = progress
        self.job = job
        self.session = current_session()
        self.parameter_ids = dict(parameters or {})
        self.parameter_sets: dict[str, Any] = {}
        self.products: dict[str, dict[str, Any]] = {}
        self.state: dict[str, str] = {}
        self.result = TargetResult(plan)
        self.workdir = Path(tempfile.mkdtemp(prefix=SCHEDULER_PREFIX))
        (self.workdir / RUN_MARKER).touch()
        self.total = len(plan.to_make())
        self.done = 0

    # -- bookkeeping ------------------------------------------------------------------------

    def outcome(self, node: PlanNode, object_id: int | None, reason: str) -> NodeOutcome:
        return NodeOutcome(node.node_id, node.class_name, dict(node.keys), object_id, reason)

    def tell(self, what: str) -> None:
        if self.progress is not None:
            self.progress(self.done, self.total, what)
        elif self.job is not None:
            self.job.report_progress(self.done, self.total, what)

    def stop(self, node: PlanNode, reason: str, object_id: int | None = None) -> None:
        self.state[node.node_id] = "stop"
        self.result.stopped.append(self.outcome(node, object_id, reason))

    # -- tasks ------------------------------------------------------------------------------

    def parameter_set(self, spec: ProcessSpec) -> Any:
        """The committed parameter set of ``spec``'s recipe (committed once per run)."""
        found = self.parameter_sets.get(spec.recipe)
        if found is None:
            wanted = self.parameter_ids.get(spec.recipe)
            found = (spec.parameters().commit() if wanted is None
                     else spec.parameters.get(wanted))
            self.parameter_sets[spec.recipe] = found
        return found

    def objects(self, node: PlanNode, spec: ProcessSpec) -> dict[str, list[Any]]:
        """The objects of each input and calibration of ``node`` (made ones resolved)."""
        classes = {item.name: item.cls for item in spec.inputs}
        classes.update({calib.name: calib.cls for calib in spec.calibrations})
        found: dict[str, list[Any]] = {}
        for name, values in node.inputs.items():
            cls = classes[name]
            ids = [value for value in values if isinstance(value, int)]
            loaded = load_ids(self.session, cls, ids, refresh=False) if ids else {}
            objects = []
            for value in values:
                if isinstance(value, int):
                    objects.append(loaded[value])
                else:
                    objects.append(self.products[value][cls.__name__])
            found[name] = objects
        return found

    def task(self, node: PlanNode) -> tuple[dict[str, Any], dict[str, Any]]:
        cls = resolve_class(node.class_name)
        spec: ProcessSpec = cls.__process__
        objects = self.objects(node, spec)
        parameters = self.parameter_set(spec)
        ids = self.session.database.allocate_ids(len(spec.products))
        outputs = {}
        for product_class, object_id in zip(spec.products, ids, strict=True):
            stub = product_class(**{name: value for name, value in node.keys.items()
                                    if name in product_class._meta.properties})
            stub.__dict__["object_id"] = object_id
            outputs[product_class.__name__] = stub.make_filename(Path("product.fits"))
        params = (parameters.recipe_parameters() if hasattr(parameters, "recipe_parameters")
                  else parameters.parameter_values())
        task = {"node_id": node.node_id, "adapter": spec.make,
                "inputs": {name: [_file_ref(obj) for obj in values]
                           for name, values in objects.items()},
                "params": params, "store": self.session.store.config(),
                "workdir": str(self.workdir), "outputs": outputs}
        context = {"spec": spec, "objects": objects, "parameters": parameters,
                   "ids": dict(zip((c.__name__ for c in spec.products), ids, strict=True))}
        return task, context

    def record(self, node: PlanNode, context: Mapping[str, Any],
               made: Mapping[str, Any]) -> list[Any]:
        """Build, verify and commit the products of one finished task (in one transaction)."""
        spec: ProcessSpec = context["spec"]
        objects: dict[str, list[Any]] = context["objects"]
        keys = {name: value for name, value in node.keys.items()}
        products = []
        for cls in spec.products:
            name = cls.__name__
            values = {**_coerced(cls, made["attributes"].get(name, {})),
                      **_coerced(cls, keys)}
            values = {key: value for key, value in values.items()
                      if key in cls._meta.properties}
            product = cls(**values)
            if "parameters" in cls._meta.properties:
                product.parameters = context["parameters"]
            if "software_release" in cls._meta.properties:
                product.software_release = _software_release(cls.__module__.split(".")[0])
            if hasattr(product, "set_qc"):
                product.set_qc(made["qc"].get(name, {}))
            raw = []
            for item in spec.inputs:
                chosen = objects.get(item.name, [])
                if item.name in cls._meta.properties:
                    setattr(product, item.name, chosen[0] if item.max == 1 else chosen)
                raw.extend(obj for obj in chosen if getattr(obj, "hdu_offset", None) is not None)
            for calib in spec.calibrations:
                chosen = objects.get(calib.name)
                if chosen and calib.name in cls._meta.properties:
                    setattr(product, calib.name, chosen[0])
            if raw and hasattr(product, "set_observation"):
                product.set_observation(raw)
            if hasattr(product, "set_validity_of_night") and getattr(product, "night", None):
                product.set_validity_of_night()
            stored = made["products"][name]
            product.__dict__.update(object_id=context["ids"][name], filename=stored["name"],
                                    file_size=stored["size"], checksum=stored["sha256"])
            if hasattr(product, "verify"):
                product.verify()
            products.append(product)
        return commit(*products)

    # -- the loop ---------------------------------------------------------------------------

    def ready(self, node: PlanNode) -> bool | None:
        """True when every dependency is done, False when one stopped, None to wait."""
        for dependency in node.depends_on:
            state = self.state.get(dependency)
            if state in ("stop", "failed"):
                return False
            if state not in ("reuse", "made"):
                return None
        return True

    def blocked_by(self, node: PlanNode) -> str:
        for dependency in node.depends_on:
            state = self.state.get(dependency)
            if state in ("stop", "failed"):
                why = next((outcome for outcome in (*self.result.stopped, *self.result.failed)
                            if outcome.node_id == dependency), None)
                reason = f": {why.reason}" if why else ""
                shown = (f" {why.object_id:#x}" if why and why.object_id is not None else "")
                verb = "failed" if state == "failed" else "is stopped"
                return f"needs {dependency}{shown}, which {verb}{reason}"
        return "a dependency is stopped"

    def run(self) -> TargetResult:
        for node in self.plan:
            if not node.spec_products:
                continue
            if node.action == "reuse":
                self.state[node.node_id] = "reuse"
                self.result.reused.append(self.outcome(node, node.object_id, node.reason))
            elif node.action == "stop":
                self.stop(node, node.reason, node.object_id)
        pending = [node for node in self.plan.to_make()]
        running: dict[Future, tuple[PlanNode, dict[str, Any]]] = {}
        self.tell("planned")
        try:
            while pending or running:
                for node in list(pending):
                    ready = self.ready(node)
                    if ready is None:
                        continue
                    pending.remove(node)
                    if not ready:
                        self.stop(node, self.blocked_by(node))
                        self.done += 1
                        continue
                    try:
                        task, context = self.task(node)
                        running[self.executor.submit(task)] = (node, context)
                    except Exception as exc:
                        self.fail(node, f"{type(exc).__name__}: {exc}")
                if not running:
                    if pending and all(self.ready(node) is None for node in pending):
                        for node in pending:
                            self.stop(node, "its dependencies never finished")
                        pending.clear()
                    continue
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in finished:
                    node, context = running.pop(future)
                    self.finish(node, context, future)
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)
        root = self.plan[self.plan.root]
        if root.spec_products and self.state.get(root.node_id) in ("reuse", "made"):
            self.result.root_id = (root.object_id if self.state[root.node_id] == "reuse"
                                   else self.products[root.node_id][root.class_name].object_id)
        return self.result

    def fail(self, node: PlanNode, reason: str) -> None:
        self.state[node.node_id] = "failed"
        self.result.failed.append(self.outcome(node, None, reason))
        self.done += 1
        self.tell(f"failed {node.node_id}")

    def finish(self, node: PlanNode, context: Mapping[str, Any], future: Future) -> None:
        try:
            made = future.result()
        except Exception as exc:
            message = str(exc).split("\n")[0] or type(exc).__name__
            if not message.startswith(node.node_id):
                message = f"{node.node_id}: {type(exc).__name__}: {message}"
            self.fail(node, message)
            return
        try:
            products = self.record(node, context, made)
        except Exception as exc:
            self.fail(node, f"{node.node_id}: recording failed: {type(exc).__name__}: {exc}")
            return
        self.products[node.node_id] = {type(product).__name__: product for product in products}
        flagged = [product for product in products if not product.is_selectable]
        self.done += 1
        if flagged:
            failures = (shown_failures(flagged[0].qc_failures())
                        if hasattr(flagged[0], "qc_failures") else "")
            self.stop(node, f"{type(flagged[0]).__name__} {flagged[0].object_id:#x} failed "
                            f"QC: {failures or 'flagged'}", flagged[0].object_id)
        else:
            self.state[node.node_id] = "made"
            self.result.made.append(self.outcome(node, products[0].object_id, node.reason))
        self.tell(node.node_id)


def process_target(cls_or_name: type | str, keys: Mapping[str, Any], *,
                   parameters: Mapping[str, int] | None = None,
                   executor: Executor | None = None, dry_run: bool = False,
                   progress: Progress | None = None, job: Any = None) -> TargetResult:
    """Return the up-to-date product of a request, making what is missing or outdated.

    ``parameters`` maps recipe names to committed parameter-set ids (reference otherwise);
    ``executor`` None runs a :class:`~common.process.local.LocalExecutor` with the
    configured worker count (``workers``; default: the usable cores); ``dry_run`` plans
    only; ``progress(done, total, what)`` hears each node. ``job`` (a running
    :class:`~common.process.jobs.Job`) gets the plan, and the progress when no ``progress``
    is given; whoever runs the job marks it running and finishes it (:func:`run_job`).
    """
    plan = plan_target(cls_or_name, keys, parameters=parameters)
    if job is not None:
        job.set_plan(plan.to_dict())
    if dry_run:
        result = TargetResult(plan)
        for node in plan:
            if node.spec_products and node.action in ("reuse", "stop"):
                getattr(result, "reused" if node.action == "reuse" else "stopped").append(
                    NodeOutcome(node.node_id, node.class_name, dict(node.keys),
                                node.object_id, node.reason))
        root = plan[plan.root]
        result.root_id = root.object_id if root.action == "reuse" else None
        return result
    owned = executor is None
    if owned:
        from common.process.local import LocalExecutor

        executor = LocalExecutor()
    try:
        return _Run(plan, executor, progress, job, parameters).run()
    finally:
        if owned:
            executor.shutdown(cancel=True)


def run_job(job: Any, *, executor: Executor | None = None, dry_run: bool = False,
            progress: Progress | None = None) -> TargetResult:
    """Run a queued job in this process: mark it running, process its target, finish it.

    The job ends done, stopped (its target could not be made) or failed (a node failed, or
    an error before any node ran), with the result and the reasons; the error is raised
    again after the row is written.
    """
    job.mark_running(socket.gethostname(), job.dpu)
    try:
        result = process_target(job.target, job.keys, parameters=job.parameters or None,
                                executor=executor, dry_run=dry_run, progress=progress,
                                job=job)
    except Exception as exc:
        job.finish("failed", error=f"{type(exc).__name__}: {exc}")
        raise
    job.finish(result.state, result.to_dict(), error=result.error)
    return result

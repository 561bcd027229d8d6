"""The plan of one target request: a DAG of nodes, each reused, made or stopped, with why.

A node is one recipe run (or one existing product it would make): its spec's first product
class, the key values, the decision and its reason, the object it reuses or that stops it,
and the nodes it needs. The plan is plain data (``to_dict``/``from_dict`` round-trip through
JSON) so a job row and a DPU can carry it; :meth:`Plan.text` prints it as a tree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["ACTIONS", "Plan", "PlanNode", "node_id_of", "plain_keys", "shown_failures"]

SHOWN_FAILURES = 3

Action = Literal["reuse", "make", "stop"]
ACTIONS: tuple[str, ...] = ("reuse", "make", "stop")


def plain_keys(keys: Mapping[str, Any]) -> dict[str, Any]:
    """Key values as JSON-friendly values (dates and datetimes as ISO text)."""
    return {name: value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value
            for name, value in keys.items()}


def shown_failures(failures: list[str]) -> str:
    """QC failures for a message: the first few, and how many more."""
    shown = "; ".join(failures[:SHOWN_FAILURES])
    more = len(failures) - SHOWN_FAILURES
    return f"{shown}; and {more} more" if more > 0 else shown


def node_id_of(class_name: str, keys: Mapping[str, Any]) -> str:
    """``MasterBias(night=2016-03-14,ifu=5)``: the id of the node of one class and key set."""
    shown = ",".join(f"{name}={value}" for name, value in plain_keys(keys).items())
    return f"{class_name}({shown})"


@dataclass
class PlanNode:
    """One node: ``action`` on ``class_name`` with ``keys``, and why (``reason``).

    ``object_id`` is the product reused, or the object that stops the node (None when a
    missing input stops it, and for a node to make); ``depends_on`` are the node ids it needs;
    ``spec_products`` the classes one run makes (empty for a group of targets).
    ``inputs`` maps each input and calibration name to object ids (int) and node ids (str)
    and ``parameters_id`` is the committed parameter set, for nodes to make.
    """

    node_id: str
    class_name: str
    keys: dict[str, Any]
    action: Action
    reason: str
    object_id: int | None = None
    depends_on: list[str] = field(default_factory=list)
    spec_products: tuple[str, ...] = ()
    inputs: dict[str, list[int | str]] = field(default_factory=dict)
    parameters_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The node as plain JSON data."""
        return {"node_id": self.node_id, "class_name": self.class_name,
                "keys": plain_keys(self.keys), "action": self.action, "reason": self.reason,
                "object_id": self.object_id, "depends_on": list(self.depends_on),
                "spec_products": list(self.spec_products),
                "inputs": {name: list(values) for name, values in self.inputs.items()},
                "parameters_id": self.parameters_id}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanNode:
        """The node :meth:`to_dict` wrote (key values stay ISO text)."""
        if data.get("action") not in ACTIONS:
            raise ValueError(f"plan node {data.get('node_id')}: action expected one of "
                             f"{', '.join(ACTIONS)}, found {data.get('action')!r}")
        return cls(node_id=data["node_id"], class_name=data["class_name"],
                   keys=dict(data["keys"]), action=data["action"], reason=data["reason"],
                   object_id=data.get("object_id"), depends_on=list(data.get("depends_on", ())),
                   spec_products=tuple(data.get("spec_products", ())),
                   inputs={name: list(values)
                           for name, values in data.get("inputs", {}).items()},
                   parameters_id=data.get("parameters_id"))


@dataclass
class Plan:
    """Nodes in topological order (every node after the nodes it depends on); ``root`` last."""

    nodes: list[PlanNode]
    root: str

    def __post_init__(self) -> None:
        self._by_id = {node.node_id: node for node in self.nodes}
        if self.root not in self._by_id:
            raise ValueError(f"plan: the root {self.root} is not one of its nodes")

    def __getitem__(self, node_id: str) -> PlanNode:
        return self._by_id[node_id]

    def __iter__(self) -> Iterator[PlanNode]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def count(self, action: str) -> int:
        """How many nodes have ``action`` (reuse, make or stop)."""
        return sum(1 for node in self.nodes if node.action == action and node.spec_products)

    def to_make(self) -> list[PlanNode]:
        """The nodes to run, bottom-up."""
        return [node for node in self.nodes if node.action == "make" and node.spec_products]

    def text(self) -> str:
        """The plan as an indented tree from the root, one line per node with its reason.

        A node needed by several others is printed in full once and referred to after.
        """
        lines: list[str] = []
        shown: set[str] = set()

        def walk(node_id: str, depth: int) -> None:
            node = self._by_id[node_id]
            indent = "  " * depth
            object_id = f" {node.object_id:#x}" if node.object_id is not None else ""
            if node_id in shown:
                lines.append(f"{indent}{node.action:5} {node_id}{object_id} (see above)")
                return
            shown.add(node_id)
            lines.append(f"{indent}{node.action:5} {node_id}{object_id}: {node.reason}")
            for child in node.depends_on:
                walk(child, depth + 1)

        walk(self.root, 0)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The plan as plain JSON data."""
        return {"root": self.root, "nodes": [node.to_dict() for node in self.nodes]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        """The plan :meth:`to_dict` wrote."""
        return cls([PlanNode.from_dict(node) for node in data["nodes"]], data["root"])

"""The lineage of a product as a graph: each object once, placed by its depth, edges to inputs.

Laid out on the server (columns by depth, rows in order of discovery) so the page draws it as
an SVG without JavaScript; every box links to the object's page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from muse.datamodel.lineage import LineageNode

__all__ = ["Graph", "GraphNode", "lineage_graph"]

BOX_WIDTH = 230
BOX_HEIGHT = 40
COLUMN_GAP = 60
ROW_GAP = 12
MAX_NODES = 300


@dataclass
class GraphNode:
    """An object of the graph: its id, two label lines and its box's position."""

    object_id: int
    title: str
    detail: str
    depth: int
    x: int = 0
    y: int = 0


@dataclass
class Graph:
    """Nodes, edges (from a product to an input, by object id) and the drawing's size."""

    nodes: list[GraphNode]
    edges: list[tuple[GraphNode, GraphNode]]
    width: int
    height: int
    truncated: bool


def _detail(obj: Any) -> str:
    values = obj._meta.properties
    parts = []
    for name in ("ifu", "night", "params_hash"):
        if name in values and getattr(obj, name) is not None:
            value = getattr(obj, name)
            parts.append(f"{name}={str(value)[:12]}")
    if not parts and "filename" in values and obj.filename:
        parts.append(obj.filename[:34])
    return " ".join(parts) or f"{obj.object_id:#018x}"


def lineage_graph(tree: LineageNode, visible: Any) -> Graph:
    """The graph of ``tree``; objects ``visible(obj)`` rejects are left out with their inputs."""
    nodes: dict[int, GraphNode] = {}
    edges: list[tuple[int, int]] = []
    truncated = False
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        obj = node.obj
        known = nodes.get(obj.object_id)
        if known is not None:
            known.depth = max(known.depth, depth)
        else:
            if len(nodes) >= MAX_NODES:
                truncated = True
                continue
            nodes[obj.object_id] = GraphNode(obj.object_id, type(obj).__name__, _detail(obj),
                                             depth)
        for child in reversed(node.children):
            if visible(child.obj):
                edges.append((obj.object_id, child.obj.object_id))
                stack.append((child, depth + 1))
    columns: dict[int, list[GraphNode]] = {}
    for graph_node in nodes.values():
        columns.setdefault(graph_node.depth, []).append(graph_node)
    for depth, members in columns.items():
        for row, graph_node in enumerate(members):
            graph_node.x = depth * (BOX_WIDTH + COLUMN_GAP)
            graph_node.y = row * (BOX_HEIGHT + ROW_GAP)
    pairs = [(nodes[a], nodes[b]) for a, b in dict.fromkeys(edges) if a in nodes and b in nodes]
    width = (max(columns, default=0) + 1) * (BOX_WIDTH + COLUMN_GAP)
    height = max((len(members) for members in columns.values()), default=1) * \
        (BOX_HEIGHT + ROW_GAP)
    return Graph(list(nodes.values()), pairs, width, height, truncated)

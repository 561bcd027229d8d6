"""What schema evolution does and refuses: :class:`Change`, :class:`Plan`, :class:`Preview`.

A change is additive (a new table, column or index, a widened string, a declared rename); the
actions are applied in :data:`ACTION_ORDER` (tables before their columns and indexes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import MetaData

from common.database.history import DeclaredSchema

__all__ = [
    "ACTION_ORDER",
    "ADD_COLUMN",
    "CREATE_INDEX",
    "CREATE_SEQUENCE",
    "CREATE_TABLE",
    "INSERT_ROW",
    "MIGRATE_HINT",
    "RENAME_COLUMN",
    "WIDEN_COLUMN",
    "Change",
    "Plan",
    "Preview",
    "refusals_text",
]

CREATE_SEQUENCE = "create sequence"
CREATE_TABLE = "create table"
INSERT_ROW = "insert row"
RENAME_COLUMN = "rename column"
WIDEN_COLUMN = "widen column"
ADD_COLUMN = "add column"
CREATE_INDEX = "create index"
# The order changes are applied in (tables before their columns and indexes).
ACTION_ORDER = (CREATE_SEQUENCE, CREATE_TABLE, INSERT_ROW, RENAME_COLUMN, WIDEN_COLUMN,
                ADD_COLUMN, CREATE_INDEX)
MIGRATE_HINT = ("keep these declarations as the database has them (declare renamed_from='old "
                "name' on a renamed attribute), or make the change by hand as the owner and then "
                "run `awe db migrate`; `awe db migrate --dry-run` lists every difference")


@dataclass(frozen=True)
class Change:
    """One additive change: ``action`` on ``table`` (``column``, ``detail`` as the action needs)."""

    action: str
    table: str
    column: str = ""
    detail: str = ""

    def describe(self) -> str:
        """One line for people: ``add column awe_master_bias.gain (float, default 1.5)``."""
        if self.action == RENAME_COLUMN:
            return f"rename column {self.table}.{self.detail} to {self.column}"
        if self.action in (ADD_COLUMN, WIDEN_COLUMN):
            return f"{self.action} {self.table}.{self.column} ({self.detail})"
        if self.action == CREATE_INDEX:
            return f"create index {self.column} on {self.table}"
        if self.action == INSERT_ROW:
            return f"insert row into {self.table} ({self.detail})"
        return f"{self.action} {self.table}"

    def to_json(self) -> dict[str, str]:
        """The change as plain data, as the history records it."""
        return {"action": self.action, "table": self.table, "column": self.column,
                "detail": self.detail}


@dataclass
class Plan:
    """What evolving the database to the declared tables takes: changes, or refusals."""

    changes: list[Change] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        """One line per change."""
        return [change.describe() for change in self.changes]


def refusals_text(plan: Plan) -> str:
    """The refusals of ``plan``, one indented line each, and what to do about them."""
    listed = "\n".join(f"  - {refusal}" for refusal in plan.refusals)
    return f"{listed}\n{MIGRATE_HINT}"


@dataclass(frozen=True)
class Preview:
    """A plan made without altering anything, with what rendering it as a script needs."""

    plan: Plan
    declared: DeclaredSchema
    metadata: MetaData
    newest_version: int
    recorded: dict[str, Any] | None

    @property
    def up_to_date(self) -> bool:
        """Whether the database needs nothing (no change and no refusal)."""
        return not self.plan.changes and not self.plan.refusals


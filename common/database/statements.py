"""Count the SQL statements a piece of code sends, to prove "one query per class per level"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import event

if TYPE_CHECKING:
    from common.database.engine import Database

__all__ = ["StatementLog", "count_statements"]


@dataclass
class StatementLog:
    """The statements sent while counting (transaction control such as BEGIN left out)."""

    statements: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.statements)


@contextmanager
def count_statements(database: Database) -> Iterator[StatementLog]:
    """Record every statement ``database`` executes inside the block (all threads)."""
    log = StatementLog()

    def before_cursor_execute(connection: Any, cursor: Any, statement: str, parameters: Any,
                              context: Any, executemany: bool) -> None:
        if context is not None and context.execution_options.get("awe_control"):
            return
        log.statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield log
    finally:
        event.remove(database.engine, "before_cursor_execute", before_cursor_execute)

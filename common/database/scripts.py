"""Schema evolution as a script for a DBA (``awe db migrate --sql``), per database product.

The script runs the same DDL a client would (see :mod:`common.database.applying`), opened as
the backend says (a transaction under the schema lock, or SQL*Plus settings), and ends by
inserting the history row, so clients of the new model find their hash once it has run.
"""

from __future__ import annotations

import io

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData

from common.database.applying import apply_plan, history_row
from common.database.backends import backend_for
from common.database.changes import Preview, refusals_text
from common.database.history import history_table, merge_models
from common.errors import SchemaEvolutionError

__all__ = ["render_script"]

_HISTORY = history_table(MetaData())


class _ScriptBuffer(io.StringIO):
    """The text of a script, and each statement written to it (separators left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.statements: list[str] = []

    def write(self, text: str) -> int:
        """Keep ``text``; Alembic writes one statement (or one separator) per call."""
        piece = "\n".join(line for line in text.splitlines() if line.strip())
        if piece and piece not in ("/", ";"):
            self.statements.append(piece)
        return super().write(text)


def render_script(planned: Preview, dialect_name: str, *, record: bool = True,
                  applied_by: str = "dba") -> str:
    """The SQL of ``planned`` for ``dialect_name`` (``oracle``: for SQL*Plus).

    With ``record`` the script is one transaction where the database has transactional DDL
    (PostgreSQL: under the schema lock; SQLite), stops at the first error (Oracle), and ends
    by inserting the history row, so clients of the new model find their hash once it has run.
    A plan with refusals raises :class:`~common.errors.SchemaEvolutionError`.
    """
    if planned.plan.refusals:
        raise SchemaEvolutionError(
            "the declared data model differs from the database in ways that are not additive:"
            "\n" + refusals_text(planned.plan))
    backend = backend_for(dialect_name)
    output = _ScriptBuffer()
    context = MigrationContext.configure(dialect_name=dialect_name, opts={
        "as_sql": True, "output_buffer": output, "literal_binds": True})
    operations = Operations(context)
    if record:
        backend.begin_script(context, operations)
    first = len(output.statements)
    apply_plan(operations, backend, planned.plan, planned.metadata, planned.declared)
    if record:
        operations.execute(history_row(
            _HISTORY, backend, version_id=planned.newest_version + 1, declared=planned.declared,
            applied_by=applied_by, plan=planned.plan, statements=output.statements[first:],
            model=merge_models(planned.recorded, planned.declared.model)))
        context.impl.static_output("COMMIT;")
    return output.getvalue()

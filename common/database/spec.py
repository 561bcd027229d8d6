"""Small dataclass specs between the class metadata and SQLAlchemy ``Table`` objects.

The persistent layer describes each table it needs as a :class:`TableSpec`; this layer turns
specs into tables (:mod:`common.database.mapping`), so the persistent layer never builds SQL
types and schema evolution can compare specs without importing any class.
"""

from __future__ import annotations

from dataclasses import dataclass

from common.errors import TableSpecError

__all__ = ["KINDS", "ColumnSpec", "TableSpec"]

# The value kinds of DESIGN §3's type table; "link" is an object id referencing awe_object.
KINDS = ("int", "float", "str", "bool", "datetime", "date", "dict", "link")
DEFAULT_STRING_LENGTH = 255
MAX_STRING_LENGTH = 4000


@dataclass(frozen=True)
class ColumnSpec:
    """One column: its name, value kind and options.

    ``length`` applies to ``str`` (default 255, at most 4000). A ``link`` column is a foreign key
    to ``awe_object.object_id``, deferrable and initially deferred. ``default`` is the declared
    Python default (schema evolution uses it as the server default of an added column).
    ``renamed_from`` names the column this one was called before (schema evolution renames it).
    """

    name: str
    kind: str
    length: int | None = None
    nullable: bool = True
    index: bool = False
    unique: bool = False
    default: object = None
    doc: str = ""
    renamed_from: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise TableSpecError(f"column {self.name}: kind must be one of {', '.join(KINDS)}, "
                                 f"found {self.kind!r}")
        if self.kind == "str":
            length = DEFAULT_STRING_LENGTH if self.length is None else self.length
            if not 1 <= length <= MAX_STRING_LENGTH:
                raise TableSpecError(f"column {self.name}: length must be 1-{MAX_STRING_LENGTH}, "
                                     f"found {length}")
            object.__setattr__(self, "length", length)
        elif self.length is not None:
            raise TableSpecError(f"column {self.name}: length applies to str columns only, "
                                 f"not {self.kind}")
        if self.renamed_from == self.name:
            raise TableSpecError(f"column {self.name}: renamed_from names the column itself")


@dataclass(frozen=True)
class TableSpec:
    """One table: its columns in order, primary key and the class that owns it.

    ``owner`` is the persistent class name (for messages and the catalogue); ``role`` says
    what the table is: ``"class"`` (one row per object), ``"list"`` (an ordered association
    table) or ``"system"``. ``mutable`` names the columns that change after insert (the only
    ones a user role is granted UPDATE on; see :mod:`common.database.postgresql_security`).
    """

    name: str
    columns: tuple[ColumnSpec, ...]
    primary_key: tuple[str, ...]
    owner: str = ""
    role: str = "class"
    doc: str = ""
    mutable: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = [column.name for column in self.columns]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise TableSpecError(f"table {self.name}: duplicate columns {', '.join(duplicates)}")
        missing = [name for name in self.primary_key if name not in names]
        if missing:
            raise TableSpecError(f"table {self.name}: primary key names unknown columns "
                                 f"{', '.join(missing)}")
        unknown = [name for name in self.mutable if name not in names]
        if unknown:
            raise TableSpecError(f"table {self.name}: mutable names unknown columns "
                                 f"{', '.join(unknown)}")

    def column(self, name: str) -> ColumnSpec:
        """The column called ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name} has no column {name!r}")

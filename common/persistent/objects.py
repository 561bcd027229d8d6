"""``DBObject`` and ``DataObject``: the bases of every persistent class.

``DBObject`` carries the system fields (``object_id``, ``creator``, ``project``,
``privileges``, ``creation_date``), construction ``Cls(attr=value, …)``, commit, lookup and the
audited mutators. A committed object is immutable: assigning a persistent attribute raises
:class:`~common.errors.ImmutableError`; ``is_valid``, ``qc_override``, ``timestamp_start``,
``timestamp_end`` and ``privileges`` change only through :meth:`DBObject.set_valid`,
:meth:`DBObject.override_qc`, :meth:`DBObject.set_validity` and :meth:`DBObject.publish`,
each writing an :class:`AuditRecord` per field in the same transaction (the records are built
here, beside ``DBObject``, and written by commit). ``del obj.attr`` is refused on a committed
object too; on a new one it resets the attribute to its default.

``DataObject`` adds a file in the logical store: :meth:`DataObject.store` puts it there
(name, size and sha256 recorded), :meth:`DataObject.retrieve` gets it back, verified;
commit refuses a DataObject whose file is not in the store.
"""

from __future__ import annotations

import datetime as dt
import numbers
from pathlib import Path
from typing import Any, ClassVar

from common.config import MAX_PRIVILEGES, is_privilege_level
from common.database.naming import snake_case
from common.errors import (
    ImmutableError,
    IntegrityError,
    PersistenceError,
    QueryError,
    StoreError,
)
from common.persistent import lifecycle
from common.persistent.commit import audit_text, commit, mutate
from common.persistent.lifecycle import Node
from common.persistent.loading import load_ids
from common.persistent.meta import PersistentMeta
from common.persistent.properties import INT_RANGE, persistent, shown_value
from common.persistent.query import Query
from common.persistent.session import current_session
from common.persistent.state import NEW, Stateful, set_state

__all__ = ["AuditRecord", "DBObject", "DataObject"]

_SET_BY_COMMIT = frozenset({"object_id", "creator", "creation_date"})
_MUTATORS = {"is_valid": "set_valid(n, reason)", "qc_override": "override_qc(reason)",
             "timestamp_start": "set_validity(start, end, reason)",
             "timestamp_end": "set_validity(start, end, reason)",
             "privileges": "publish(level)"}
VALIDITY_STATES = (0, 1, 2)


class DBObject(Stateful, metaclass=PersistentMeta, abstract=True):
    """A persistent object: its class is a table, its attributes columns, itself a row."""

    object_id = persistent("object id: site_id << 48 | n, set by commit", int)
    creator = persistent("who committed the object", str, length=63)
    project = persistent("the project the object belongs to", str, length=63)
    privileges = persistent("who may see it: 1 creator, 2 project, 3 all users, 4-5 published",
                            int)
    creation_date = persistent("when the object was committed (naive UTC)", dt.datetime)

    def __init__(self, **values: Any) -> None:
        set_state(self, NEW)
        properties = self._meta.properties
        own = self.__dict__
        for name, prop in properties.items():
            own[name] = prop.initial()
        for name, value in values.items():
            if name not in properties:
                raise PersistenceError(
                    f"{type(self).__name__} has no persistent attribute {name!r}; it has "
                    f"{', '.join(properties)}")
            setattr(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        prop = self._meta.properties.get(name)
        if prop is None:
            object.__setattr__(self, name, value)
            return
        if self._state.committed or name in _SET_BY_COMMIT:
            self._refuse_change(name, "set")
        self.__dict__[name] = prop.check(value)

    def __delattr__(self, name: str) -> None:
        prop = self._meta.properties.get(name)
        if prop is None:
            object.__delattr__(self, name)
            return
        if self._state.committed or name in _SET_BY_COMMIT:
            self._refuse_change(name, "delete")
        self.__dict__[name] = prop.initial()

    def _refuse_change(self, name: str, verb: str) -> None:
        """Raise for a change of ``name`` on a committed object, or of a field commit sets."""
        if self._state.committed:
            hint = (f"; it changes only through {_MUTATORS[name]}" if name in _MUTATORS
                    else "")
            raise ImmutableError(f"{type(self).__name__} {self.__dict__['object_id']:#018x} is "
                                 f"committed and immutable: cannot {verb} {name}{hint}")
        raise PersistenceError(f"{type(self).__name__}.{name} is set by commit")

    def __repr__(self) -> str:
        object_id = self.__dict__.get("object_id")
        state = "" if self.is_committed else " uncommitted"
        shown = "no id" if object_id is None else f"{object_id:#018x}"
        return f"<{type(self).__name__} {shown}{state}>"

    @property
    def is_committed(self) -> bool:
        """Whether the object is in the database (and so immutable)."""
        return self._state.committed

    def assign_id(self) -> int:
        """The object's id, allocated now if it has none (products need it for their name)."""
        values = self.__dict__
        if values["object_id"] is None:
            values["object_id"] = current_session().database.allocate_ids(1)[0]
        return values["object_id"]

    def commit(self) -> Any:
        """Commit this object and every uncommitted object it links to, in one transaction.

        Returns the committed object (for a parameter set, the equal one already committed).
        """
        return commit(self)[0]

    @classmethod
    def select_all(cls) -> Query:
        """Every object of this class and its subclasses."""
        return Query(cls)

    @classmethod
    def get(cls, object_id: int | str) -> Any:
        """The object of this class (or a subclass) with ``object_id``; refreshes it.

        ``object_id`` is an integer or its text (decimal, or hex with ``0x``); anything
        else, or an integer outside the signed 64-bit range, raises QueryError.
        """
        given = object_id
        if isinstance(object_id, str):
            try:
                object_id = int(object_id, 0)
            except ValueError:
                object_id = None
        if isinstance(object_id, bool) or not isinstance(object_id, numbers.Integral) or \
                int(object_id) not in INT_RANGE:
            raise QueryError(f"{cls.__name__}.get: expected an object_id (a signed 64-bit "
                             f"integer or its text), found {shown_value(given)}")
        object_id = int(object_id)
        found = load_ids(current_session(), cls, [object_id]).get(object_id)
        if found is None:
            raise cls.NotFound(f"no {cls.__name__} with object_id {object_id:#018x} (or it "
                               "is not visible)")
        return found

    # -- audited mutators ---------------------------------------------------------------

    def _mutate(self, method: str, changes: dict[str, Any], reason: str) -> None:
        cls = type(self)
        properties = cls._meta.properties
        missing = [name for name in changes if name not in properties]
        if missing:
            raise PersistenceError(f"{cls.__name__}.{method}: the class has no "
                                   f"{' or '.join(missing)} attribute")
        if not self.is_committed:
            raise PersistenceError(f"{cls.__name__}.{method}: the object is not committed; "
                                   f"set {', '.join(changes)} directly before commit")
        if not isinstance(reason, str) or not reason.strip():
            raise PersistenceError(f"{cls.__name__}.{method}: a reason is required (the "
                                   "audit record keeps it)")
        checked = {name: properties[name].check(value) for name, value in changes.items()}
        reason = reason.strip()
        # An audit record is as visible as its object (after the change), never more.
        reach = {"project": self.__dict__["project"],
                 "privileges": checked.get("privileges", self.__dict__["privileges"])}
        mutate(self, checked, [AuditRecord(target=self, field=name, new_value=audit_text(value),
                                           reason=reason, **reach)
                               for name, value in checked.items()])

    def set_valid(self, is_valid: int, reason: str) -> None:
        """Set ``is_valid`` (0 invalid, 1 valid, 2 proposed for promotion), audited."""
        if is_valid not in VALIDITY_STATES or isinstance(is_valid, bool):
            raise PersistenceError(f"{type(self).__name__}.set_valid: expected 0, 1 or 2, "
                                   f"found {is_valid!r}")
        self._mutate("set_valid", {"is_valid": is_valid}, reason)

    def override_qc(self, reason: str) -> None:
        """Accept the object despite its QC flags (``qc_override`` = True), audited."""
        self._mutate("override_qc", {"qc_override": True}, reason)

    def set_validity(self, start: dt.datetime, end: dt.datetime | None, reason: str) -> None:
        """Set the validity range ``[start, end)`` (``end`` None: open), audited."""
        if not isinstance(start, dt.datetime) or (end is not None and
                                                  not isinstance(end, dt.datetime)):
            raise PersistenceError(f"{type(self).__name__}.set_validity: expected datetimes, "
                                   f"found {start!r} and {end!r}")
        if end is not None and end <= start:
            raise PersistenceError(f"{type(self).__name__}.set_validity: the end {end} is not "
                                   f"after the start {start}")
        self._mutate("set_validity", {"timestamp_start": start, "timestamp_end": end}, reason)

    def publish(self, level: int, dry_run: bool = False, *, reason: str = "") -> list[Node]:
        """Raise this object and its whole dependency tree to ``level`` (1-5), audited.

        One transaction; nothing changes when the caller may not raise every node (see
        :func:`common.persistent.lifecycle.publish`). Returns the nodes raised (with
        ``dry_run``: that would be).
        """
        if not is_privilege_level(level):
            raise PersistenceError(f"{type(self).__name__}.publish: expected a level 1-"
                                   f"{MAX_PRIVILEGES}, found {level!r}")
        return lifecycle.publish(self, level, dry_run=dry_run, reason=reason)

    def delete(self, recursive: bool = False, force: bool = False, *,
               reason: str = "") -> list[Node]:
        """Delete this object (``recursive``: and what depends on it) in one transaction, audited.

        Refused while anything depends on it, and at level 3 or more unless a manager of its
        project forces it (see :func:`common.persistent.lifecycle.delete`). Returns the nodes
        deleted; their files stay in the store until ``awe dataserver gc``.
        """
        return lifecycle.delete(self, recursive=recursive, force=force, reason=reason)


class AuditRecord(DBObject):
    """Who changed which mutable field of which object, when, from what to what, and why."""

    target = persistent("the changed object", DBObject)
    field = persistent("the changed attribute", str, length=63)
    old_value = persistent("the value before the change, as text", str, length=1000)
    new_value = persistent("the value after the change, as text", str, length=1000)
    reason = persistent("why it was changed", str, length=2000)


class DataObject(DBObject, abstract=True, stored=True):
    """A persistent object with a file in the logical store.

    ``product_category`` (the ESO PRO.CATG of a product class, set by the data model) makes
    product names ``<PRO.CATG>-<ifu:02d>.<object_id:016x>.fits``; other classes get
    ``<snake_case class>.<object_id:016x><suffix>`` from :meth:`make_filename`, the hook a
    class overrides for its own names. A ``filename`` set before :meth:`store` (a raw file's
    ARCFILE) is kept.
    """

    filename = persistent("name of the file in the store", str, length=255)
    file_size = persistent("size of the file in bytes", int)
    checksum = persistent("sha256 of the file (hex)", str, length=64)
    product_category: ClassVar[str | None] = None

    def make_filename(self, source: Path) -> str:
        """The store name of this object's file (allocates the object id)."""
        object_id = self.assign_id()
        if self.product_category:
            ifu = self.__dict__.get("ifu")
            if isinstance(ifu, int):
                return f"{self.product_category}-{ifu:02d}.{object_id:016x}.fits"
            return f"{self.product_category}.{object_id:016x}.fits"
        return f"{snake_case(type(self).__name__)}.{object_id:016x}{source.suffix}"

    def store(self, path: str | Path) -> str:
        """Put the file at ``path`` into the store; return its name.

        Records name, size and sha256; commit afterwards.
        """
        source = Path(path)
        if self.is_committed:
            raise ImmutableError(f"{self!r} is committed; its file cannot be replaced")
        if not source.is_file():
            raise StoreError(f"{type(self).__name__}.store: {source} is not a file")
        name = self.__dict__["filename"] or self.make_filename(source)
        size = source.stat().st_size
        digest = current_session().store.put(source, name)
        values = self.__dict__
        values["filename"], values["file_size"], values["checksum"] = name, size, digest
        return name

    def check_stored(self, store: Any) -> None:
        """Refuse (before commit) a file that is not in ``store`` or differs from the record."""
        name = self.__dict__["filename"]
        if name is None or self.__dict__["checksum"] is None:
            raise StoreError(f"{self!r}: no file was stored; call store(path) before commit()")
        if not store.exists(name):
            raise StoreError(f"{self!r}: file {name} is not in the store; call store(path) "
                             "before commit()")
        found = store.checksum(name)
        if found != self.__dict__["checksum"]:
            raise IntegrityError(f"{self!r}: file {name} in the store has sha256 {found}, the "
                                 f"object records {self.__dict__['checksum']}")

    def retrieve(self, dst: str | Path | None = None) -> Path:
        """Get the file from the store, checksum verified; return its path.

        ``dst`` is a file path or a directory (default: the current directory).
        """
        name = self.__dict__["filename"]
        if name is None:
            raise StoreError(f"{self!r} has no file")
        target = Path.cwd() if dst is None else Path(dst)
        if target.is_dir():
            target = target / name
        store = current_session().store
        found = store.checksum(name)
        if found != self.__dict__["checksum"]:
            raise IntegrityError(f"{self!r}: file {name} in the store has sha256 {found}, the "
                                 f"object records {self.__dict__['checksum']}")
        return store.get(name, target)


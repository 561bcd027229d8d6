"""One error hierarchy for the whole system, so servers can send errors and clients re-raise them.

Every class below has a stable ``error_type`` name. The data server and the DPU send an error
as the pair ``(error_type, message)`` (see :meth:`AweError.to_wire`) and the client rebuilds
the same class with :func:`error_from_wire`. Messages name the object, file or field, what was
expected and what was found.

A subclass that sets ``error_type`` in its own body is registered under that name (a second
class with the same name is refused); a subclass that does not (such as the per-class
``NotFound`` of a persistent class) travels as its nearest registered base.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AweError",
    "ChecksumMismatch",
    "ConfigError",
    "CorruptFile",
    "DatabaseError",
    "DpuError",
    "ImmutableError",
    "IntegrityError",
    "JobFailed",
    "NotFound",
    "PermissionDenied",
    "PersistenceError",
    "PlanStopped",
    "QcFailed",
    "QueryError",
    "RangeNotSatisfiable",
    "RecipeError",
    "SchemaEvolutionError",
    "StoreError",
    "StoreFull",
    "StoreRequestError",
    "StoreUnavailable",
    "TableSpecError",
    "error_from_wire",
    "registered_error_types",
]

_REGISTRY: dict[str, type[AweError]] = {}


class AweError(Exception):
    """Base of every error MUSE-WISE raises on purpose."""

    error_type: ClassVar[str] = "AweError"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "error_type" in cls.__dict__:
            _register(cls)

    def to_wire(self) -> tuple[str, str]:
        """Return the plain ``(error_type, message)`` pair that crosses a process boundary."""
        return (self.error_type, str(self))


def _register(cls: type[AweError]) -> None:
    existing = _REGISTRY.get(cls.error_type)
    if existing is not None and existing is not cls:
        raise TypeError(
            f"error_type {cls.error_type!r} of {cls.__module__}.{cls.__qualname__} is already "
            f"used by {existing.__module__}.{existing.__qualname__}; choose a unique name"
        )
    _REGISTRY[cls.error_type] = cls


_register(AweError)


class ConfigError(AweError, ValueError):
    """A configuration value is missing or malformed (names key, source and expectation)."""

    error_type = "ConfigError"


class DatabaseError(AweError):
    """The database cannot be reached or refused an operation."""

    error_type = "DatabaseError"


class TableSpecError(DatabaseError, TypeError):
    """A table or column spec is malformed, or its table name is already declared."""

    error_type = "TableSpecError"


class QueryError(AweError, ValueError):
    """A query names an unknown attribute or compares values of the wrong kind."""

    error_type = "QueryError"


class SchemaEvolutionError(DatabaseError):
    """The data model and the database differ in a way that cannot be evolved automatically."""

    error_type = "SchemaEvolutionError"


class PermissionDenied(AweError, PermissionError):
    """The user, token or role may not do what was asked."""

    error_type = "PermissionDenied"


class ImmutableError(AweError, AttributeError):
    """A committed object was changed other than through its audited mutators."""

    error_type = "ImmutableError"


class NotFound(AweError, LookupError):
    """An object, file or job that was asked for does not exist (or is not visible)."""

    error_type = "NotFound"


class IntegrityError(AweError, ValueError):
    """Content does not match its recorded checksum, or differs under an existing name."""

    error_type = "IntegrityError"


class StoreError(AweError, OSError):
    """A file-store operation failed: a bad name, a full disk, an unusable store root."""

    error_type = "StoreError"


class StoreUnavailable(StoreError):
    """No data server of the logical store could be reached."""

    error_type = "StoreUnavailable"


class RecipeError(AweError, RuntimeError):
    """A recipe cannot run on its inputs (names file, extension and keyword)."""

    error_type = "RecipeError"


class QcFailed(AweError):
    """A product's QC values are outside their thresholds and nothing overrides them."""

    error_type = "QcFailed"


class PlanStopped(AweError):
    """Target processing stopped a branch (flagged or invalid dependency, futile remake)."""

    error_type = "PlanStopped"


class DpuError(AweError, RuntimeError):
    """The processing unit could not accept or run a job."""

    error_type = "DpuError"


class JobFailed(DpuError):
    """A processing job ended in the failed state."""

    error_type = "JobFailed"


class PersistenceError(AweError, TypeError):
    """A persistent class is declared wrongly, or an attribute gets a value of the wrong kind."""

    error_type = "PersistenceError"


class StoreRequestError(StoreError):
    """A file-store request is malformed: a bad file name, checksum, length or byte range."""

    error_type = "StoreRequestError"


class ChecksumMismatch(IntegrityError):
    """Received content does not have the sha256 its sender declared; nothing was stored."""

    error_type = "ChecksumMismatch"


class CorruptFile(StoreError, IntegrityError):
    """A stored file no longer matches its recorded sha256 (or that record is damaged).

    Found by a read, a client's report or a scrub; the file is quarantined rather than
    served, and its name stays bound to the recorded content. It is not "no such file".
    """

    error_type = "CorruptFile"


class RangeNotSatisfiable(StoreRequestError):
    """A byte range is malformed, asks for several ranges, or lies outside the file."""

    error_type = "RangeNotSatisfiable"


class StoreFull(StoreError):
    """A file store has no room for a file (its space limit or the disk's free space)."""

    error_type = "StoreFull"


def registered_error_types() -> dict[str, type[AweError]]:
    """Return a copy of the ``error_type`` → class registry."""
    return dict(_REGISTRY)


def error_from_wire(error_type: str, message: str) -> AweError:
    """Rebuild the error sent as ``(error_type, message)``.

    An unknown ``error_type`` (a newer server) becomes a plain :class:`AweError` whose message
    keeps the original type name, so nothing is lost.
    """
    cls = _REGISTRY.get(error_type)
    if cls is None:
        return AweError(f"{error_type}: {message}")
    return cls(message)

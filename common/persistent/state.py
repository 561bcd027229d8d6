"""An object's state (new, or committed with its batch) and the freezing of committed values.

Every persistent object has the slot ``_state``: :data:`NEW` until commit, then an
:class:`ObjectState` shared by the objects one query or one commit produced (their
:class:`~common.persistent.identity.Batch`). A committed object is immutable; its ``dict``
values are deep-frozen (:func:`freeze`): changing them, at any depth, raises
:class:`FrozenValueError` (an :class:`~common.errors.ImmutableError` that is also a
``TypeError``, as for Python's own read-only containers). ``copy.copy`` and ``copy.deepcopy``
of a frozen value give plain, editable ``dict`` and ``list`` objects; pickling keeps it frozen.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from common.errors import ImmutableError

if TYPE_CHECKING:
    from common.persistent.identity import Batch

__all__ = ["NEW", "FrozenDict", "FrozenList", "FrozenValueError", "ObjectState", "Stateful",
           "freeze", "set_state"]


@dataclass(frozen=True, slots=True)
class ObjectState:
    """Whether an object is committed, and the batch it was committed or loaded with."""

    committed: bool
    batch: Batch | None = None


NEW = ObjectState(committed=False)
"""The state of an object not yet committed."""


class Stateful:
    """The base that gives every persistent object its ``_state`` slot."""

    __slots__ = ("__dict__", "__weakref__", "_state")


set_state = Stateful._state.__set__  # type: ignore[attr-defined]
"""``set_state(obj, state)``: set the slot without the object's ``__setattr__`` (loops)."""


class FrozenValueError(ImmutableError, TypeError):
    """A committed ``dict`` value (or a list or dict inside it) was changed."""


class FrozenDict(dict):
    """A read-only dict (a committed ``dict`` value or one nested in it)."""

    __slots__ = ("_label",)

    def __init__(self, values: dict, label: str) -> None:
        super().__init__(values)
        self._label = label

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise FrozenValueError(f"{self._label} is committed and immutable: its dict cannot "
                               "change (copy it with copy.deepcopy to edit a copy)")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple:
        return (FrozenDict, (dict(self), self._label))

    def __copy__(self) -> dict:
        return dict(self)

    def __deepcopy__(self, memo: dict) -> dict:
        return {key: copy.deepcopy(value, memo) for key, value in self.items()}


class FrozenList(list):
    """A read-only list nested in a committed ``dict`` value."""

    __slots__ = ("_label",)

    def __init__(self, values: list, label: str) -> None:
        super().__init__(values)
        self._label = label

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise FrozenValueError(f"{self._label} is committed and immutable: a list in its dict "
                               "cannot change (copy it with copy.deepcopy to edit a copy)")

    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse

    def __reduce__(self) -> tuple:
        return (FrozenList, (list(self), self._label))

    def __copy__(self) -> list:
        return list(self)

    def __deepcopy__(self, memo: dict) -> list:
        return [copy.deepcopy(value, memo) for value in self]


def _deep_frozen(value: Any, label: str) -> Any:
    if isinstance(value, dict):
        return FrozenDict({key: _deep_frozen(item, label) for key, item in value.items()},
                          label)
    if isinstance(value, list):
        return FrozenList([_deep_frozen(item, label) for item in value], label)
    return value


def freeze(obj: Any) -> None:
    """Deep-freeze the ``dict`` values of a committed object."""
    values = obj.__dict__
    for name in type(obj)._meta.dicts:
        value = values[name]
        if value is not None and not isinstance(value, FrozenDict):
            label = f"{type(obj).__name__} {values['object_id']:#018x}.{name}"
            values[name] = _deep_frozen(value, label)

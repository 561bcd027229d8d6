"""FITS keywords → attribute values of a generated class (those declared with ``fits=``).

A keyword that is absent gives no value (the attribute stays NULL); one that is present but
cannot be the attribute's type raises :class:`KeywordError` naming the keyword, what was
expected and what was found.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Mapping
from typing import Any

from common.errors import AweError
from common.persistent import persistent

__all__ = ["KeywordError", "fits_attributes", "header_key", "read_keywords"]


class KeywordError(AweError, ValueError):
    """A FITS keyword is missing or has a value the data model cannot take."""


def fits_attributes(cls: type) -> dict[str, persistent]:
    """The attributes of ``cls`` (and its bases) read from a FITS keyword, by name."""
    found: dict[str, persistent] = {}
    for klass in reversed(inspect.getmro(cls)):
        for name, value in vars(klass).items():
            if isinstance(value, persistent) and value.fits:
                found[name] = value
    return found


def header_key(keyword: str) -> str:
    """The astropy key of ``keyword`` (``ESO …`` keywords are HIERARCH cards)."""
    return f"HIERARCH {keyword}" if keyword.startswith("ESO ") else keyword


def _convert(keyword: str, kind: str, value: Any) -> Any:
    if kind == "datetime":
        try:
            return dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise KeywordError(f"keyword '{keyword}': expected an ISO date and time, found "
                               f"{value!r}") from None
    if kind == "str":
        return str(value).strip()
    if kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "bool" and isinstance(value, bool):
        return value
    raise KeywordError(f"keyword '{keyword}': expected a value of type {kind}, found {value!r}")


def read_keywords(cls: type, header: Mapping[str, Any]) -> dict[str, Any]:
    """The values of the FITS-declared attributes of ``cls`` found in ``header``."""
    values = {}
    for name, prop in fits_attributes(cls).items():
        key = header_key(prop.fits)
        if key in header and header[key] is not None and str(header[key]).strip() != "":
            values[name] = _convert(prop.fits, prop.kind, header[key])
    return values

"""The data-server wire protocol shared by the server, its peers and the client.

Headers:

- ``X-Checksum-Sha256: HEX`` — the sha256 of a whole file, sent with every PUT and every file
  response (also as the strong ``ETag``). RFC 9530's ``Repr-Digest: sha-256=:BASE64:`` is
  accepted on PUT instead and sent on responses as well.
- ``X-Awe-Peer-Hop: 1`` — marks a request one server makes to a peer; a server answering such
  a request uses only its own disk and never asks its peers again, so two servers that both
  miss cannot ask each other in a loop.
- ``Authorization: Bearer TOKEN`` — a user, service or federation (peer) token.

Error responses carry JSON ``{"error_type": ..., "message": ...}``; the client rebuilds the
same :mod:`common.errors` class from it. This module imports no web framework.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

from common.errors import (
    AweError,
    ChecksumMismatch,
    CorruptFile,
    IntegrityError,
    NotFound,
    PermissionDenied,
    RangeNotSatisfiable,
    StoreError,
    StoreFull,
    StoreRequestError,
    StoreUnavailable,
)

__all__ = [
    "CHECKSUM_HEADER",
    "DIGEST_HEADER",
    "ERROR_STATUS",
    "HOP_HEADER",
    "declared_checksum",
    "error_class_for_status",
    "parse_age",
    "parse_size",
    "repr_digest",
    "status_for_error",
]

CHECKSUM_HEADER = "X-Checksum-Sha256"
DIGEST_HEADER = "Repr-Digest"
HOP_HEADER = "X-Awe-Peer-Hop"

_HEX64 = re.compile(r"[0-9a-f]{64}")

# The first matching class decides, so subclasses come before their bases. PermissionDenied
# is 401 when the request carried no valid token and 403 when it did (decided by the server).
# CorruptFile is 502: the bytes the server got from its disk or a peer are bad (500 is for
# our bugs); it always travels with its error type, since a proxy's 502 means "unreachable".
ERROR_STATUS: tuple[tuple[type[AweError], int], ...] = (
    (RangeNotSatisfiable, 416),
    (StoreRequestError, 400),
    (PermissionDenied, 403),
    (NotFound, 404),
    (ChecksumMismatch, 422),
    (CorruptFile, 502),
    (IntegrityError, 409),
    (StoreFull, 507),
    (StoreUnavailable, 503),
    (StoreError, 500),
    (AweError, 500),
)


def status_for_error(error: AweError) -> int:
    """The HTTP status a server answers ``error`` with."""
    for cls, status in ERROR_STATUS:
        if isinstance(error, cls):
            return status
    return 500


# A status without a body or X-Awe-Error-Type (a proxy) stands for the most general class.
_CLASS_FOR_STATUS: dict[int, type[AweError]] = {
    400: StoreRequestError, 401: PermissionDenied, 403: PermissionDenied, 404: NotFound,
    409: IntegrityError, 416: RangeNotSatisfiable, 422: ChecksumMismatch, 500: StoreError,
    503: StoreUnavailable, 507: StoreFull,
}


def error_class_for_status(status: int) -> type[AweError]:
    """The error class for a status that came without a JSON body (a HEAD, a proxy)."""
    if status in _CLASS_FOR_STATUS:
        return _CLASS_FOR_STATUS[status]
    return StoreUnavailable if status >= 500 else AweError


def repr_digest(sha256: str) -> str:
    """The RFC 9530 ``Repr-Digest`` value for a sha256 hex digest."""
    return "sha-256=:" + base64.b64encode(bytes.fromhex(sha256)).decode("ascii") + ":"


def _sha256_from_repr_digest(value: str) -> str | None:
    """The sha-256 member of a ``Repr-Digest`` dictionary as hex, or None if absent."""
    for member in value.split(","):
        key, _, item = member.strip().partition("=")
        if key.strip().lower() != "sha-256":
            continue
        item = item.strip()
        if len(item) < 2 or item[0] != ":" or item[-1] != ":":
            raise StoreRequestError(f"{DIGEST_HEADER}: expected sha-256=:BASE64:, found {value!r}")
        try:
            raw = base64.b64decode(item[1:-1], validate=True)
        except binascii.Error:
            raise StoreRequestError(
                f"{DIGEST_HEADER}: the sha-256 value is not base64, found {item!r}") from None
        if len(raw) != 32:
            raise StoreRequestError(f"{DIGEST_HEADER}: a sha-256 digest has 32 bytes, found "
                                    f"{len(raw)} in {item!r}")
        return raw.hex()
    return None


def declared_checksum(headers: Mapping[str, str], name: str) -> str:
    """The sha256 hex a PUT declares, from ``X-Checksum-Sha256`` or ``Repr-Digest``.

    Raises :class:`StoreRequestError` when neither is given, one is malformed, or they differ.
    """
    found: dict[str, str] = {}
    if CHECKSUM_HEADER in headers:
        value = headers[CHECKSUM_HEADER].strip().lower()
        if not _HEX64.fullmatch(value):
            raise StoreRequestError(f"PUT {name}: {CHECKSUM_HEADER} must be 64 hex digits, "
                                    f"found {headers[CHECKSUM_HEADER]!r}")
        found[CHECKSUM_HEADER] = value
    if DIGEST_HEADER in headers:
        value = _sha256_from_repr_digest(headers[DIGEST_HEADER])
        if value is not None:
            found[DIGEST_HEADER] = value
    if not found:
        raise StoreRequestError(f"PUT {name}: needs the file's sha256 in {CHECKSUM_HEADER}: HEX "
                                f"or {DIGEST_HEADER}: sha-256=:BASE64:")
    if len(set(found.values())) > 1:
        raise StoreRequestError(f"PUT {name}: {CHECKSUM_HEADER} and {DIGEST_HEADER} disagree "
                                f"({found[CHECKSUM_HEADER]} vs {found[DIGEST_HEADER]})")
    return next(iter(found.values()))


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b?)\s*", re.IGNORECASE)
_AGE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
_AGE_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_size(text: str) -> int:
    """Bytes from ``"500G"``, ``"1.5T"``, ``"2048"`` (binary units: K = 1024)."""
    match = _SIZE.fullmatch(text)
    if not match:
        raise ValueError(f"expected a size such as 2048, 500M, 20G or 1.5T, found {text!r}")
    return int(float(match[1]) * _SIZE_UNITS[match[2].lower()])


def parse_age(text: str) -> float:
    """Seconds from ``"7d"``, ``"12h"``, ``"30m"``, ``"90s"`` or ``"3600"``."""
    match = _AGE.fullmatch(text)
    if not match:
        raise ValueError(f"expected an age such as 3600, 90s, 30m, 12h, 7d or 2w, found {text!r}")
    return float(match[1]) * _AGE_UNITS[match[2].lower()]

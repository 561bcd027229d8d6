"""What crosses the wire between DPU clients and daemons: plain data, errors by ``error_type``.

Pyro5 runs with serpent only. Every exposed call returns a reply dict, never raises: ``{'ok':
value}`` on success or ``{'error_type': name, 'message': text}`` on failure; the client rebuilds
the same :class:`~common.errors.AweError` class with :func:`unwrap`. Values are plain data
(None, bool, int, float, str, lists, dicts with str keys), checked by :func:`plain` so a stray
object (a datetime, a Path, a persistent object) is caught on the sending side with its path.
Datetimes are sent as ISO strings.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable, Mapping
from typing import Any

from common.errors import AweError, DpuError, PermissionDenied, error_from_wire

__all__ = ["HANDSHAKE_FIELD", "OBJECT_ID", "SERIALIZER", "check_token", "failure", "guarded",
           "plain", "success", "unwrap"]

SERIALIZER = "serpent"
OBJECT_ID = "awe.dpu"
"""The Pyro object id of the DPU service: its URI is ``PYRO:awe.dpu@HOST:PORT``."""
HANDSHAKE_FIELD = "token"


def plain(value: Any, where: str = "value") -> Any:
    """``value`` as plain wire data (datetimes become ISO text); anything else is refused."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise DpuError(f"{where}: expected text keys on the wire, found {key!r}")
            out[key] = plain(item, f"{where}.{key}")
        return out
    raise DpuError(f"{where}: expected plain data (None, bool, number, text, list, dict), "
                   f"found a {type(value).__name__}")


def success(value: Any = None) -> dict[str, Any]:
    """The reply of a call that worked."""
    return {"ok": plain(value, "reply")}


def failure(exc: BaseException) -> dict[str, Any]:
    """The reply of a call that failed; a non-AweError travels as ``DpuError``."""
    if isinstance(exc, AweError):
        error_type, message = exc.to_wire()
    else:
        error_type, message = DpuError.error_type, f"{type(exc).__name__}: {exc}"
    return {"error_type": error_type, "message": message}


def unwrap(reply: Any, what: str) -> Any:
    """The value of a reply, or raise the error it carries (``what`` names the call)."""
    if not isinstance(reply, dict) or not ({"ok"} <= set(reply) or "error_type" in reply):
        raise DpuError(f"{what}: expected a DPU reply dict, found {reply!r:.200}")
    if "error_type" in reply:
        raise error_from_wire(str(reply["error_type"]), str(reply.get("message", "")))
    return reply["ok"]


def guarded(call: Callable[[], Any]) -> dict[str, Any]:
    """Run ``call`` and turn its value or its exception into a reply."""
    try:
        return success(call())
    except Exception as exc:  # every error crosses the wire as a reply, none breaks the loop
        return failure(exc)


def check_token(expected: str, data: Any) -> None:
    """Refuse a handshake whose data does not carry ``expected`` (constant-time compare)."""
    token = data.get(HANDSHAKE_FIELD) if isinstance(data, dict) else None
    if not isinstance(token, str) or not hmac.compare_digest(token.encode(), expected.encode()):
        raise PermissionDenied("DPU handshake: the token does not match the DPU's token file")

"""The DPU daemon: a Pyro5 daemon serving one :class:`DpuService` as ``PYRO:awe.dpu@HOST:PORT``.

Every connection starts with Pyro5's handshake, which must carry the site's token (the
clients open one connection per call, so every call is checked); a wrong token is refused
with ``PermissionDenied``. Calls must use serpent; replies are plain data (:mod:`dpu.wire`).
TLS is on when a certificate and key are given. ``SIGTERM``/``SIGINT`` stop the daemon, and
the job executors' workers with it.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import Pyro5.api
import Pyro5.errors
import Pyro5.serializers
from Pyro5.callcontext import current_context

from common.errors import DpuError, PermissionDenied
from dpu.scheduler import Scheduler
from dpu.wire import OBJECT_ID, SERIALIZER, check_token, guarded

__all__ = ["DpuService", "TokenDaemon", "configure_tls", "serve"]

_SERPENT_ID = Pyro5.serializers.serializers[SERIALIZER].serializer_id


def _serpent_only() -> None:
    if current_context.serializer_id != _SERPENT_ID:
        raise PermissionDenied(f"DPU calls must use the {SERIALIZER} serializer")


@Pyro5.api.expose
class DpuService:
    """The calls a client makes; each returns a reply dict (``dpu.wire``), never raises."""

    def __init__(self, scheduler: Scheduler, info: dict[str, Any]) -> None:
        self._scheduler = scheduler
        self._info = info

    def _reply(self, call: Callable[[], Any]) -> dict[str, Any]:
        def checked() -> Any:
            _serpent_only()
            return call()

        return guarded(checked)

    def info(self) -> dict[str, Any]:
        """The DPU's name, host, executor and worker count."""
        return self._reply(lambda: self._info)

    def submit(self, job_id: int) -> dict[str, Any]:
        """Take the queued job row ``job_id``."""
        return self._reply(lambda: self._scheduler.submit(int(job_id)))

    def status(self, job_id: int) -> dict[str, Any]:
        """The job's row."""
        return self._reply(lambda: self._scheduler.status(int(job_id)))

    def logs(self, job_id: int) -> dict[str, Any]:
        """The job's log (live while it runs)."""
        return self._reply(lambda: self._scheduler.logs(int(job_id)))

    def cancel(self, job_id: int) -> dict[str, Any]:
        """Cancel the job; returns its row once it has stopped."""
        return self._reply(lambda: self._scheduler.cancel(int(job_id)))

    def jobs(self) -> dict[str, Any]:
        """The rows of this DPU's jobs, newest first."""
        return self._reply(self._scheduler.jobs)


class TokenDaemon(Pyro5.api.Daemon):
    """A Pyro5 daemon that admits only connections whose handshake carries ``token``."""

    def __init__(self, token: str, **options: Any) -> None:
        self._token = token
        super().__init__(**options)

    def validateHandshake(self, conn: Any, data: Any) -> str:
        """Refuse the connection unless ``data`` carries the token.

        Pyro5 sends the refusal's text to the client, so it starts with the error type.
        """
        try:
            check_token(self._token, data)
        except PermissionDenied as exc:
            error_type, message = exc.to_wire()
            raise PermissionDenied(f"{error_type}: {message}") from None
        return "awe.dpu"


def configure_tls(cert: Path | None, key: Path | None) -> bool:
    """Switch Pyro5 to TLS with ``cert``/``key`` (both or neither); return whether it is on."""
    if (cert is None) != (key is None):
        raise DpuError("TLS: expected both --cert and --key, found only one")
    if cert is None:
        return False
    for path, what in ((cert, "--cert"), (key, "--key")):
        if not Path(path).is_file():
            raise DpuError(f"TLS {what}: {path} is not a file")
    Pyro5.config.SSL = True
    Pyro5.config.SSL_SERVERCERT = str(cert)
    Pyro5.config.SSL_SERVERKEY = str(key)
    return True


def serve(scheduler: Scheduler, *, host: str, port: int, token: str, info: dict[str, Any],
          cert: Path | None = None, key: Path | None = None) -> int:
    """Run the daemon until SIGTERM/SIGINT; print ``listening on PORT`` once it accepts calls."""
    Pyro5.config.SERIALIZER = SERIALIZER
    tls = configure_tls(cert, key)
    daemon = TokenDaemon(token, host=host, port=port)
    uri = daemon.register(DpuService(scheduler, {**info, "tls": tls}), OBJECT_ID)
    stopping = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        stopping.set()
        # Pyro's shutdown waits for the request loop to end: from this (the loop's) thread
        # it would wait its full 5 s timeout
        threading.Thread(target=daemon.shutdown, name="dpu-shutdown", daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    resumed = scheduler.start()
    if resumed:
        print(f"re-planning unfinished jobs {', '.join(map(str, resumed))}", flush=True)
    print(f"DPU {info.get('name')} at {uri}", flush=True)
    print(f"listening on {uri.port}", flush=True)
    try:
        daemon.requestLoop(loopCondition=lambda: not stopping.is_set())
    finally:
        scheduler.stop()
        daemon.close()
    sys.stdout.flush()
    return 0

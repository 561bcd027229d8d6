"""Every key the server keeps on its application and requests, in one place."""

from __future__ import annotations

from aiohttp import web

from dataserver.service import FileService
from dataserver.settings import ServerSettings
from dataserver.tokens import TokenRegistry

__all__ = ["IDENTITY", "RESPONSE_STARTED", "SERVICE", "SETTINGS", "TOKENS"]

SETTINGS = web.AppKey("settings", ServerSettings)
TOKENS = web.AppKey("tokens", TokenRegistry)
SERVICE = web.AppKey("service", FileService)

# Request state (plain string keys: aiohttp's RequestKey is newer than the aiohttp we support).
IDENTITY = "awe.identity"
"""The :class:`~dataserver.tokens.Identity` of the caller, or None."""
RESPONSE_STARTED = "awe.response_started"
"""True once a handler has sent headers itself (a relayed peer file): errors then abort."""

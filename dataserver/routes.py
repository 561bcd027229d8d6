"""The URL map of a data server (DESIGN §5)."""

from __future__ import annotations

from aiohttp import web

from dataserver import handlers

__all__ = ["setup_routes"]


def setup_routes(app: web.Application) -> None:
    """Add every route; ``{name:.*}`` lets a bad name reach the handler and get its 400."""
    app.router.add_get("/health", handlers.health)
    app.router.add_get("/files", handlers.list_files)
    app.router.add_get("/tombstones", handlers.list_tombstones)
    app.router.add_post("/gc", handlers.collect)
    app.router.add_post("/verify/{name:.*}", handlers.verify_file)
    app.router.add_put("/files/{name:.*}", handlers.put_file, expect_handler=handlers.expect_put)
    app.router.add_get("/files/{name:.*}", handlers.get_file)
    app.router.add_delete("/files/{name:.*}", handlers.delete_file)

"""The admin console (console/, a single-page app): its built files at /console/.

Hashed assets (`/console/assets/…`) are cached for a year; every other path under /console/
answers with index.html (no-cache), so the app's own routes (`/console/tickets/…`) load it.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

PREFIX = "/console"
_IMMUTABLE = "public, max-age=31536000, immutable"


def add_console(app: FastAPI, root: Path) -> bool:
    """Serves `root` (console/dist) at /console/; False if it has not been built."""
    root = root.resolve()
    index = root / "index.html"
    if not index.is_file():
        return False

    @app.get(PREFIX, include_in_schema=False)
    async def console_root() -> Response:
        return RedirectResponse(f"{PREFIX}/", status_code=308)

    @app.get(PREFIX + "/{path:path}", include_in_schema=False)
    async def console_file(path: str) -> Response:
        if path.startswith("assets/"):
            file = (root / path).resolve()
            if not file.is_relative_to(root / "assets") or not file.is_file():
                raise HTTPException(404, "no such file")
            return FileResponse(file, headers={"cache-control": _IMMUTABLE})
        return FileResponse(index, headers={"cache-control": "no-cache"})

    return True

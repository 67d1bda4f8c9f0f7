"""An ASGI app served over real HTTP in the test's event loop (uvicorn), for what an in-memory
transport cannot show: responses that never end, such as server-sent event streams."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn

from devstack.ports import free_port


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Yields the base URL while the app is served."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class EventStream:
    """A server-sent events client: `await stream.next()` returns the next event as a dict
    (`event`, `id`, and `data` parsed from JSON)."""

    def __init__(self, response: httpx.Response):
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        return await asyncio.wait_for(self._next(), timeout)

    async def _next(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        async for line in self._lines:
            if not line:
                if "data" in fields:
                    fields["data"] = json.loads(fields["data"])
                    return fields
                fields = {}
                continue
            if line.startswith(":"):
                continue  # a ping
            key, _, value = line.partition(":")
            fields[key] = value.removeprefix(" ")
        raise EOFError("the stream ended")


@contextlib.asynccontextmanager
async def event_stream(
    base_url: str, path: str, headers: dict[str, str]
) -> AsyncIterator[EventStream]:
    async with httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(30, read=None)) as c:
        async with c.stream("GET", path, headers=headers) as response:
            assert response.status_code == 200, (await response.aread()).decode()
            yield EventStream(response)

"""Request size limits, checked while the body streams in: a declared Content-Length over the
limit is refused before a byte is read, and a chunked body is refused as soon as it passes the
limit — the gateway never holds more than the limit of anybody's body. Multipart uploads
(attachments) have their own, larger limit."""

from __future__ import annotations

from typing import Any

from google.rpc import code_pb2, error_details_pb2, status_pb2

from gateway.errors import status_response

TOO_LARGE = 413


class BodyTooLarge(Exception):
    """Raised from `receive` once a body passes its limit; becomes the 413 answer."""


class BodyLimit:
    """Pure ASGI middleware: 413 with a google.rpc.Status body naming the limit."""

    def __init__(self, app: Any, *, max_bytes: int, max_upload_bytes: int):
        self._app = app
        self._max = max_bytes
        self._max_upload = max_upload_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        upload = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = self._max_upload if upload else self._max
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(scope, receive, send, limit)
            return
        seen = 0
        started = False

        async def counted_receive() -> dict[str, Any]:
            nonlocal seen
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def tracked_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if not started:
                await _refuse(scope, receive, send, limit)


async def _refuse(scope: dict[str, Any], receive: Any, send: Any, limit: int) -> None:
    status = status_pb2.Status(
        code=code_pb2.INVALID_ARGUMENT, message=f"the request body is larger than {limit} bytes"
    )
    status.details.add().Pack(
        error_details_pb2.ErrorInfo(
            reason="REQUEST_TOO_LARGE",
            domain="ticketing.gateway",
            metadata={"limitBytes": str(limit)},
        )
    )
    response = status_response(status, headers={"connection": "close"})
    response.status_code = TOO_LARGE
    await response(scope, receive, send)

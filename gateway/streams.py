"""Server-streaming methods as server-sent events — any method with a google.api.http rule,
not one special route.

Each streamed message is one event: `data` is its proto3 JSON; `id` is its `event_id` field
when it has one (a client that reconnects sends it back as Last-Event-ID, which the gateway
forwards as `last-event-id` metadata so the service resumes after it); `event` is the name of
the member set in its oneof, if it has one. A comment every `sse_ping_seconds` keeps idle
connections open. A service accepts a stream by sending its initial metadata: until then an
error (401, 403, 400, 503) is an ordinary HTTP error answer; after it, a failure ends the
stream with an `error` event carrying the same error body.

A method that streams `google.api.HttpBody` is a download instead: its chunks are the raw HTTP
body, typed by the first chunk's `content_type`, named by the service's initial metadata
`content-disposition` (default: an attachment). A failure after the first byte cannot change the
status any more: the connection is closed without the body's end, which clients report as an
incomplete download."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.message import Message
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway.api_keys import ApiKeyExchange
from gateway.errors import domain_error_response, rpc_error_response
from gateway.http_rules import HttpRoute
from gateway.metadata import ascii_text, forwarded
from gateway.settings import GatewaySettings
from gateway.transcode import build_request, render_response
from gateway.upstreams import Upstreams
from servicekit.context import new_request_id, request_id_var
from servicekit.errors import DomainError

Endpoint = Callable[[Request], Awaitable[Response]]
HTTP_BODY = "google.api.HttpBody"


def stream_endpoint(
    route: HttpRoute, upstreams: Upstreams, settings: GatewaySettings, keys: ApiKeyExchange
) -> Endpoint:
    if route.method.output_type.full_name == HTTP_BODY:
        return download_endpoint(route, upstreams, settings, keys)
    input_class = message_factory.GetMessageClass(route.method.input_type)
    output = route.method.output_type
    has_event_id = "event_id" in output.fields_by_name
    oneof = output.oneofs[0].name if output.oneofs else ""

    def event_of(reply: Message) -> ServerSentEvent:
        event_id = getattr(reply, "event_id", "") if has_event_id else ""
        name = (reply.WhichOneof(oneof) if oneof else None) or "message"
        data = json.dumps(render_response(route, reply), ensure_ascii=False)
        return ServerSentEvent(data=data, id=event_id or None, event=name)

    async def endpoint(request: Request) -> Response:
        request_id = request_id_var.get() or new_request_id()
        headers = {"x-request-id": request_id, "cache-control": "no-store"}
        query = [(k, v) for k, v in request.query_params.multi_items()]
        try:
            metadata = await keys.resolve(forwarded(request, request_id, settings.trusted_proxies))
            if last := request.headers.get("last-event-id"):
                metadata.append(("last-event-id", ascii_text(last)))
            message = build_request(
                route, input_class, path_params=request.path_params, query=query, body=b""
            )
            call = upstreams.stream(
                route, message, metadata=metadata, timeout=settings.stream_max_seconds
            )
            await call.initial_metadata()  # the service accepted the stream, or failed
            early: list[Message] = [m async for m in call] if call.done() else []
        except DomainError as error:
            return domain_error_response(error, headers)
        except grpc.aio.AioRpcError as error:
            return rpc_error_response(error, headers, route.method.input_type)

        async def events() -> AsyncIterator[ServerSentEvent]:
            try:
                for reply in early:
                    yield event_of(reply)
                if not early:
                    async for reply in call:
                        yield event_of(reply)
            except grpc.aio.AioRpcError as error:
                body: Any = rpc_error_response(error, headers, route.method.input_type).body
                yield ServerSentEvent(data=bytes(body).decode(), event="error")
            finally:
                call.cancel()

        return EventSourceResponse(events(), headers=headers, ping=settings.sse_ping_seconds)

    return endpoint


def download_endpoint(
    route: HttpRoute, upstreams: Upstreams, settings: GatewaySettings, keys: ApiKeyExchange
) -> Endpoint:
    input_class = message_factory.GetMessageClass(route.method.input_type)

    async def endpoint(request: Request) -> Response:
        request_id = request_id_var.get() or new_request_id()
        headers = {"x-request-id": request_id, "cache-control": "no-store"}
        query = [(k, v) for k, v in request.query_params.multi_items()]
        try:
            metadata = await keys.resolve(forwarded(request, request_id, settings.trusted_proxies))
            message = build_request(
                route, input_class, path_params=request.path_params, query=query, body=b""
            )
            call = upstreams.stream(
                route, message, metadata=metadata, timeout=settings.stream_max_seconds
            )
            initial = dict(await call.initial_metadata() or ())
            first: Any = await call.read()
        except DomainError as error:
            return domain_error_response(error, headers)
        except grpc.aio.AioRpcError as error:
            return rpc_error_response(error, headers, route.method.input_type)
        disposition = initial.get("content-disposition")
        headers["content-disposition"] = (
            disposition if isinstance(disposition, str) and disposition else "attachment"
        )
        done = first is grpc.aio.EOF
        media_type = "application/octet-stream" if done else first.content_type

        async def chunks() -> AsyncIterator[bytes]:
            try:
                if done:
                    return
                yield bytes(first.data)
                while True:
                    reply: Any = await call.read()
                    if reply is grpc.aio.EOF:
                        return
                    yield bytes(reply.data)
            finally:
                call.cancel()

        return StreamingResponse(
            chunks(), media_type=media_type or "application/octet-stream", headers=headers
        )

    return endpoint

"""The FastAPI application: one route per google.api.http rule of every upstream service."""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import fastapi_offline
import grpc
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from google.protobuf import message_factory
from google.rpc import code_pb2, error_details_pb2, status_pb2
from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.staticfiles import StaticFiles

from gateway.api_keys import ApiKeyExchange
from gateway.console import PREFIX as CONSOLE
from gateway.console import add_console
from gateway.descriptors import service_descriptor
from gateway.errors import domain_error_response, rpc_error_response, status_response
from gateway.http_rules import HttpRoute, routes_of
from gateway.limits import BodyLimit
from gateway.media import build_from_form, is_multipart, media_response
from gateway.metadata import forwarded
from gateway.openapi import build_openapi
from gateway.ratelimit import RateLimit
from gateway.settings import GatewaySettings
from gateway.streams import stream_endpoint
from gateway.transcode import build_request, render_response
from gateway.upstreams import Upstreams
from servicekit.context import new_request_id, request_id_var
from servicekit.errors import DomainError

log = logging.getLogger(__name__)
DOCS_ASSETS = "/docs/assets"
_SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"
HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request time",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
Endpoint = Callable[[Request], Awaitable[Response]]


def create_app(settings: GatewaySettings) -> FastAPI:
    upstreams = Upstreams(dict(settings.upstreams))
    routes = sorted(
        (r for name in settings.upstreams for r in routes_of(service_descriptor(name))),
        key=lambda r: r.specificity,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await upstreams.close()

    app = FastAPI(
        title=settings.title, openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan
    )
    document = build_openapi(routes, title=settings.title, version="v1")
    keys = ApiKeyExchange(upstreams, settings.call_timeout_seconds)
    app.state.openapi = document
    for route in routes:
        app.add_api_route(
            route.path,
            _endpoint(route, upstreams, settings, keys),
            methods=[route.http_method],
            include_in_schema=False,
            name=route.method.full_name,
        )
    _add_ops_routes(app, upstreams, settings, document)
    add_console(app, Path(settings.console_dir))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["authorization", "content-type", "x-request-id"],
            expose_headers=["x-request-id", "retry-after"],
            max_age=600,
        )
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_body_bytes, max_upload_bytes=settings.max_upload_bytes
    )
    if settings.rate_limit_per_address or settings.rate_limit_per_user:
        app.add_middleware(
            RateLimit,
            per_address=settings.rate_limit_per_address,
            per_user=settings.rate_limit_per_user,
            storage=settings.rate_limit_storage,
            trusted_proxies=settings.trusted_proxies,
        )
    app.add_middleware(AccessLog)
    app.add_exception_handler(StarletteHTTPException, _http_exception)  # type: ignore[arg-type]
    return app


def _endpoint(
    route: HttpRoute, upstreams: Upstreams, settings: GatewaySettings, keys: ApiKeyExchange
) -> Endpoint:
    if route.method.server_streaming:
        return stream_endpoint(route, upstreams, settings, keys)
    input_class = message_factory.GetMessageClass(route.method.input_type)
    timeout, trusted = settings.call_timeout_seconds, settings.trusted_proxies

    async def endpoint(request: Request) -> Response:
        request_id = request_id_var.get() or new_request_id()
        headers = {"x-request-id": request_id}
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "alt"]
        try:
            metadata = await keys.resolve(forwarded(request, request_id, trusted))
            if route.body and is_multipart(request):
                message = await build_from_form(route, input_class, request)
            else:
                message = build_request(
                    route,
                    input_class,
                    path_params=request.path_params,
                    query=query,
                    body=await request.body() if route.body else b"",
                )
            reply = await upstreams.call(route, message, metadata=metadata, timeout=timeout)
        except DomainError as error:
            return domain_error_response(error, headers)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.UNAUTHENTICATED:
                keys.forget(request.headers.get("authorization", ""))
            return rpc_error_response(error, headers, route.method.input_type)
        if request.query_params.get("alt") == "media" and (media := media_response(reply, headers)):
            return media
        return JSONResponse(render_response(route, reply), headers=headers)

    return endpoint


def _add_ops_routes(
    app: FastAPI, upstreams: Upstreams, settings: GatewaySettings, document: dict[str, Any]
) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        report = await upstreams.health(settings.readiness_timeout_seconds)
        ready = all(state == "SERVING" for state in report.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "upstreams": report},
            status_code=200 if ready else 503,
        )

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi() -> dict[str, Any]:
        return document

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=settings.title,
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
        )

    # Swagger UI's own files, from a pinned package (fastapi-offline): /docs needs no CDN.
    app.mount(DOCS_ASSETS, StaticFiles(directory=_SWAGGER_UI), name="docs-assets")


class AccessLog:
    """Pure ASGI middleware (Starlette's BaseHTTPMiddleware costs a task and two memory streams
    per request): sets the request id for the call and writes one JSON line per request."""

    def __init__(self, app: Any):
        self._app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        token = request_id_var.set(_request_id(headers.get(b"x-request-id", b"")))
        started, status = time.perf_counter(), 500

        async def send_with_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *_safety_headers(scope)]
            await send(message)

        try:
            await self._app(scope, receive, send_with_status)
        finally:
            request_id_var.reset(token)
            route = getattr(scope.get("route"), "path", "unmatched")
            elapsed = time.perf_counter() - started
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], route).observe(elapsed)
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "http",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": elapsed * 1000,
                    },
                )


# API answers are data, never pages: nothing may be sniffed, framed or run from them. Swagger
# UI (/docs) loads its own assets, so it gets a policy that lets it.
_API_POLICY = b"default-src 'none'; frame-ancestors 'none'"
# The console: its own scripts and styles only (Element Plus sets inline styles), images from
# itself, data: and blob: (attachment previews are fetched with the token), calls to this origin.
_CONSOLE_POLICY = (
    b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_DOCS_POLICY = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def _safety_headers(scope: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    path: str = scope.get("path", "")
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"content-security-policy", _policy(path)),
        (b"referrer-policy", b"no-referrer"),
    ]
    if path.startswith("/v1/auth:"):  # tokens must not be kept by caches
        headers.append((b"cache-control", b"no-store"))
    return headers


def _policy(path: str) -> bytes:
    if path == "/docs" or path.startswith(DOCS_ASSETS + "/"):
        return _DOCS_POLICY
    if path == CONSOLE or path.startswith(CONSOLE + "/"):
        return _CONSOLE_POLICY
    return _API_POLICY


_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def _request_id(given: bytes) -> str:
    """The caller's request id if it is a plain token, else a new one (it travels in logs
    and gRPC metadata)."""
    return given.decode() if _REQUEST_ID.fullmatch(given) else new_request_id()


_HTTP_TO_CODE = {
    404: code_pb2.NOT_FOUND,
    405: code_pb2.UNIMPLEMENTED,
    401: code_pb2.UNAUTHENTICATED,
}


async def _http_exception(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_TO_CODE.get(exc.status_code, code_pb2.INVALID_ARGUMENT)
    status = status_pb2.Status(code=code, message=str(exc.detail))
    reason = "ROUTE_NOT_FOUND" if exc.status_code == 404 else f"HTTP_{exc.status_code}"
    status.details.add().Pack(
        error_details_pb2.ErrorInfo(reason=reason, domain="ticketing.gateway")
    )
    response = status_response(status)
    response.status_code = exc.status_code
    if exc.status_code == 405:
        response.headers["allow"] = ", ".join(_methods_at(request))
    return response


_PARAMETER = re.compile(r"\{[^}]*\}")


def _methods_at(request: Request) -> list[str]:
    """Every method served at the resource this path names: the most specific template that
    matches it (routes are registered most specific first, so `/v1/articles/1:feedback` is
    the `:feedback` resource, not article "1:feedback"); each rule is its own route."""
    template = None
    methods: set[str] = set()
    for route in request.app.router.routes:
        path = _PARAMETER.sub("{}", getattr(route, "path", ""))  # names differ across rules
        if template is not None and path != template:
            continue
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            template = path
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)

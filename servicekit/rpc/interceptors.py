"""Server interceptors. Each is a small async context manager around the call, applied the
same way to unary and server-streaming methods."""

from __future__ import annotations

import abc
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeAlias

import grpc
from grpc import aio
from prometheus_client import Counter, Histogram

from servicekit.auth.tokens import TokenVerifier
from servicekit.context import (
    ClientAddress,
    client_var,
    new_request_id,
    principal_var,
    request_id_var,
    token_var,
)
from servicekit.errors import DomainError, ErrorCode, unauthenticated
from servicekit.rpc.status import (
    grpc_code,
    internal_status,
    status_from_error,
    trailing_metadata,
    unavailable_status,
)
from servicekit.rpc.validation import check_request
from servicekit.transient import is_transient

log = logging.getLogger(__name__)

ALWAYS_PUBLIC_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")

HANDLED = Counter("grpc_server_handled_total", "RPCs completed", ["grpc_method", "grpc_code"])
LATENCY = Histogram(
    "grpc_server_handling_seconds",
    "RPC handling time",
    ["grpc_method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# The context every servicer method receives.
Context = aio.ServicerContext[Any, Any]
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"  # a stub-only generic
Scope = Callable[[str, Context], contextlib.AbstractAsyncContextManager[None]]


def _accept(request: Any) -> None:
    """The default request check: every request may proceed."""


class ScopedInterceptor(aio.ServerInterceptor, abc.ABC):
    """Runs `scope(method, context)` around every call of every method, and `check(request)`
    inside it before the servicer."""

    check: Callable[[Any], None] = staticmethod(_accept)

    @abc.abstractmethod
    def scope(self, method: str, context: Context) -> Any:
        """An async context manager entered before the call and left after it."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(details)
        if handler is None:
            return handler
        return wrap_handler(handler, details.method, self.scope, self.check)


def wrap_handler(
    handler: Handler, method: str, scope: Scope, check: Callable[[Any], None] = lambda _: None
) -> Handler:
    """The handler run inside `scope(method, context)`, after `check(request)`."""
    # grpc's stubs describe synchronous handlers; under grpc.aio they are coroutine functions.
    if handler.unary_unary:
        inner: Any = handler.unary_unary

        async def unary(request: Any, context: Context) -> Any:
            async with scope(method, context):
                check(request)
                return await inner(request, context)

        return grpc.unary_unary_rpc_method_handler(
            unary, handler.request_deserializer, handler.response_serializer
        )
    if handler.unary_stream:
        inner_stream: Any = handler.unary_stream

        async def stream(request: Any, context: Context) -> AsyncIterator[Any]:
            async with scope(method, context):
                check(request)
                async for item in inner_stream(request, context):
                    yield item

        return grpc.unary_stream_rpc_method_handler(
            stream, handler.request_deserializer, handler.response_serializer
        )
    return handler  # client-streaming methods are not used by this suite


def _metadata(context: Context) -> dict[str, str]:
    return {k: v for k, v in context.invocation_metadata() or () if isinstance(v, str)}


def _final_code(context: Context, error: BaseException | None) -> str:
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code.name
    if isinstance(code, int):
        return next((c.name for c in grpc.StatusCode if c.value[0] == code), "UNKNOWN")
    return "OK" if error is None else "UNKNOWN"


class RequestContextInterceptor(ScopedInterceptor):
    """Takes the request id from metadata (or makes one), and writes one access-log line and
    the Prometheus metrics per call."""

    @contextlib.asynccontextmanager
    async def scope(self, method: str, context: Context) -> AsyncIterator[None]:
        metadata = _metadata(context)
        token = request_id_var.set(metadata.get("x-request-id") or new_request_id())
        client = client_var.set(
            ClientAddress(
                ip_address=metadata.get("x-client-ip", ""),
                user_agent=metadata.get("x-client-user-agent", ""),
            )
        )
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            error = exc
            raise
        finally:
            elapsed = time.perf_counter() - started
            code = _final_code(context, error)
            HANDLED.labels(method, code).inc()
            LATENCY.labels(method).observe(elapsed)
            log.info(
                "rpc",
                extra={"grpc_method": method, "grpc_code": code, "duration_ms": elapsed * 1000},
            )
            request_id_var.reset(token)
            client_var.reset(client)


class ErrorMappingInterceptor(ScopedInterceptor):
    """DomainError → status code + ErrorInfo reason + BadRequest field violations; a dependency
    that is unavailable for now (database, broker, timeouts) → UNAVAILABLE, which clients may
    retry; anything else → INTERNAL without leaking its text, logged with its traceback."""

    @contextlib.asynccontextmanager
    async def scope(self, method: str, context: Context) -> AsyncIterator[None]:
        try:
            yield
        except DomainError as error:
            status = status_from_error(error)
            await context.abort(grpc_code(error.code), error.message, trailing_metadata(status))
        except (aio.AbortError, aio.UsageError, GeneratorExit):
            raise
        except Exception as error:
            if (refused := refusal_by_database(error)) is not None:
                log.warning("request refused by the database in %s: %r", method, error)
                status = status_from_error(refused)
                await context.abort(
                    grpc_code(refused.code), refused.message, trailing_metadata(status)
                )
            if is_transient(error):
                log.warning("dependency unavailable in %s: %r", method, error)
                status = unavailable_status()
                await context.abort(
                    grpc.StatusCode.UNAVAILABLE, status.message, trailing_metadata(status)
                )
            log.exception("unhandled error in %s", method)
            status = internal_status()
            await context.abort(grpc.StatusCode.INTERNAL, status.message, trailing_metadata(status))


def refusal_by_database(error: BaseException) -> DomainError | None:
    """A value the database refused (SQLSTATE class 22, data exception) is the caller's bad
    input; a constraint it enforced (class 23) is a conflict. Neither is a server error, and
    neither message shows the database's text."""
    sqlstate = str(getattr(getattr(error, "orig", None), "sqlstate", "") or "")
    if sqlstate.startswith("22"):
        return DomainError(
            "VALUE_INVALID", "a value is malformed or out of range", ErrorCode.INVALID_ARGUMENT
        )
    if sqlstate.startswith("23"):
        return DomainError("CONFLICT", "the change conflicts with existing data", ErrorCode.ABORTED)
    return None


class RequestCheckInterceptor(ScopedInterceptor):
    """Refuses requests holding values no service can store (servicekit.rpc.validation)
    before the servicer runs; the error-mapping interceptor outside turns that into
    INVALID_ARGUMENT naming the fields."""

    check = staticmethod(check_request)

    @contextlib.asynccontextmanager
    async def scope(self, method: str, context: Context) -> AsyncIterator[None]:
        yield


class AuthInterceptor(ScopedInterceptor):
    """Verifies the bearer token in `authorization` metadata and sets the caller for the call.
    Methods not listed as public refuse anonymous calls."""

    def __init__(self, verifier: TokenVerifier, public_methods: Iterable[str] = ()):
        self._verifier = verifier
        self._public = frozenset(public_methods)

    @contextlib.asynccontextmanager
    async def scope(self, method: str, context: Context) -> AsyncIterator[None]:
        header = _metadata(context).get("authorization", "")
        principal, token = None, ""
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise unauthenticated("TOKEN_MALFORMED", "authorization must be 'Bearer <token>'")
            principal = await self._verifier.verify(token)
        elif not self._is_public(method):
            raise unauthenticated("TOKEN_MISSING", "this call needs an access token")
        reset = principal_var.set(principal)
        reset_token = token_var.set(token)
        try:
            yield
        finally:
            token_var.reset(reset_token)
            principal_var.reset(reset)

    def _is_public(self, method: str) -> bool:
        return method in self._public or method.startswith(ALWAYS_PUBLIC_PREFIXES)

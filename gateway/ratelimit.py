"""Rate limits at the edge (pure ASGI middleware, the `limits` library): a moving window per
client address and one per signed-in user. Over either: 429 with `Retry-After` (seconds until
the window lets the next request in) and a google.rpc.Status body naming the limit.

The counters live in `TICKETING_GATEWAY_RATE_LIMIT_STORAGE`: in the process by default
(`memory://`: each replica counts for itself), or in Redis (`redis://host:6379`) so the
limits hold across replicas. If the store does not answer, requests pass (a limiter must not
take the API down with it) and the gateway logs it.

The user is the access token's subject, read without checking the signature (the services
check it). So that nobody can use up someone else's allowance with forged tokens, a user's
request counts only once the upstream has accepted the token (any answer but 401); the check
before the call only refuses when the user is already over."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from google.rpc import code_pb2, error_details_pb2, status_pb2
from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.requests import Request

from gateway.errors import status_response
from gateway.metadata import client_ip

log = logging.getLogger(__name__)
TOO_MANY = 429
EXEMPT = ("/healthz", "/readyz", "/.well-known/")


class RateLimit:
    def __init__(
        self,
        app: Any,
        *,
        per_address: str,
        per_user: str,
        storage: str,
        trusted_proxies: Sequence[str],
    ):
        self._app = app
        uri = storage if storage.startswith("async+") else f"async+{storage}"
        self._limiter = MovingWindowRateLimiter(storage_from_string(uri))
        self._address = parse(per_address) if per_address else None
        self._user = parse(per_user) if per_user else None
        self._trusted = tuple(trusted_proxies)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT):
            await self._app(scope, receive, send)
            return
        request = Request(scope)
        if self._address is not None:
            address = client_ip(request, self._trusted)
            if not await self._take(self._address, "address", address):
                await self._refuse(scope, receive, send, self._address, "address", address)
                return
        user = subject(request.headers.get("authorization", ""))
        if user and self._user is not None:
            if not await self._test(self._user, "user", user):
                await self._refuse(scope, receive, send, self._user, "user", user)
                return
            accepted = True

            async def watching(message: dict[str, Any]) -> None:
                nonlocal accepted
                if message["type"] == "http.response.start":
                    accepted = message["status"] != 401
                await send(message)

            await self._app(scope, receive, watching)
            if accepted:
                await self._take(self._user, "user", user)
            return
        await self._app(scope, receive, send)

    async def _take(self, item: RateLimitItem, *key: str) -> bool:
        return await self._ask(self._limiter.hit, item, *key)

    async def _test(self, item: RateLimitItem, *key: str) -> bool:
        return await self._ask(self._limiter.test, item, *key)

    @staticmethod
    async def _ask(
        question: Callable[..., Awaitable[bool]], item: RateLimitItem, *key: str
    ) -> bool:
        try:
            return await question(item, *key)
        except Exception as error:
            log.warning("rate limit store unavailable: %r", error)
            return True

    async def _refuse(
        self, scope: dict[str, Any], receive: Any, send: Any, item: RateLimitItem, *key: str
    ) -> None:
        try:
            stats = await self._limiter.get_window_stats(item, *key)
            wait = max(1, math.ceil(stats.reset_time - time.time()))
        except Exception:
            wait = item.get_expiry()
        status = status_pb2.Status(
            code=code_pb2.RESOURCE_EXHAUSTED,
            message=f"too many requests: at most {item} per {key[0]}; retry in {wait} s",
        )
        status.details.add().Pack(
            error_details_pb2.ErrorInfo(
                reason="RATE_LIMITED",
                domain="ticketing.gateway",
                metadata={"limit": str(item), "scope": key[0]},
            )
        )
        status.details.add().Pack(error_details_pb2.RetryInfo(retry_delay={"seconds": wait}))
        response = status_response(status, headers={"retry-after": str(wait)})
        response.status_code = TOO_MANY
        await response(scope, receive, send)


def subject(authorization: str) -> str:
    """The `sub` of a bearer JWT, unverified, or an API key's hash ("" when there is none)."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "apikey" and token.strip():
        return "apikey:" + hashlib.sha256(token.strip().encode()).hexdigest()[:32]
    if scheme.lower() != "bearer" or token.count(".") != 2:
        return ""
    payload = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, UnicodeDecodeError):
        return ""
    sub = claims.get("sub") if isinstance(claims, dict) else None
    return sub[:128] if isinstance(sub, str) else ""

"""`Authorization: ApiKey <secret>`: integration access (API 拓展接入). The gateway trades the
key for a short-lived access token at identity (ApiKeyService.ExchangeApiKey) and forwards
that as `Bearer`, so every service checks one kind of token. The token is kept per key (by
the secret's hash) until shortly before it expires, so a busy integration costs identity one
exchange per token lifetime per gateway process; a token a service refuses (the key revoked,
its organisation disabled) is dropped at once, and the next request asks identity again."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import Any

from google.protobuf import message_factory
from google.protobuf.message import Message
from grpc import aio

from gateway.descriptors import service_descriptor
from gateway.upstreams import Upstreams
from servicekit.errors import unauthenticated

SERVICE = "ticketing.identity.v1.ApiKeyService"
SCHEME = "apikey "
MARGIN_SECONDS = 30.0  # a kept token is renewed this long before it expires
MAX_KEPT = 10_000


class ApiKeyExchange:
    def __init__(self, upstreams: Upstreams, timeout: float):
        self._upstreams = upstreams
        self._timeout = timeout
        self._kept: dict[str, tuple[float, str]] = {}  # secret hash → (renew at, authorization)

    @staticmethod
    def uses_key(metadata: Sequence[tuple[str, str]]) -> bool:
        return any(k == "authorization" and v.lower().startswith(SCHEME) for k, v in metadata)

    async def resolve(self, metadata: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The metadata with an API key replaced by a bearer token for it."""
        if not self.uses_key(metadata):
            return metadata
        resolved = []
        for name, value in metadata:
            if name == "authorization":
                value = await self._bearer(value[len(SCHEME) :].strip(), metadata)
            resolved.append((name, value))
        return resolved

    def forget(self, authorization: str) -> None:
        """Drops the token kept for this request's key (a service refused it)."""
        if authorization.lower().startswith(SCHEME):
            self._kept.pop(_hash(authorization[len(SCHEME) :].strip()), None)

    async def _bearer(self, secret: str, metadata: Sequence[tuple[str, str]]) -> str:
        key = _hash(secret)
        kept = self._kept.get(key)
        if kept is not None and kept[0] > time.time():
            return kept[1]
        if SERVICE not in self._upstreams.targets:
            raise unauthenticated("API_KEY_NOT_ACCEPTED", "API keys are not accepted here")
        method = service_descriptor(SERVICE).methods_by_name["ExchangeApiKey"]
        request_class = message_factory.GetMessageClass(method.input_type)
        reply_class = message_factory.GetMessageClass(method.output_type)
        stub: aio.UnaryUnaryMultiCallable[Message, Message] = self._upstreams.channel(
            SERVICE
        ).unary_unary(
            f"/{SERVICE}/ExchangeApiKey",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=reply_class.FromString,
        )
        passed_on = tuple((k, v) for k, v in metadata if k != "authorization")
        reply: Any = await stub(
            request_class(secret=secret), metadata=passed_on, timeout=self._timeout
        )
        token = reply.access_token
        expires = reply.access_token_expire_time.seconds
        if len(self._kept) >= MAX_KEPT:
            self._kept.clear()
        authorization = f"Bearer {token}"
        self._kept[key] = (expires - MARGIN_SECONDS, authorization)
        return authorization


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()

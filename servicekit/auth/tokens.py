"""Verifying access tokens (JWT, asymmetric, `kid`-selected key) and issuing them in tests.

Keys come from a KeySource: identity's JWKS endpoint in production, a static set in tests.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import jwt

from servicekit.auth.principal import Principal
from servicekit.auth.revocations import RevocationFeed, Revocations
from servicekit.errors import unauthenticated
from servicekit.transient import TransientError

ALGORITHMS = ["EdDSA", "RS256"]


class KeySource(Protocol):
    async def key_for(self, kid: str) -> Any: ...


@dataclass
class StaticKeySource:
    """Public keys given up front, by kid."""

    keys: Mapping[str, Any]

    async def key_for(self, kid: str) -> Any:
        return self.keys.get(kid)


class JwksKeySource:
    """Public keys fetched from a JWKS URL, cached, and refetched (at most every
    `min_refresh_seconds`) when a token names a kid not yet seen, so key rotation needs no
    restart."""

    def __init__(self, url: str, *, min_refresh_seconds: float = 10.0, timeout: float = 3.0):
        self._url = url
        self._min_refresh = min_refresh_seconds
        self._timeout = timeout
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str) -> Any:
        if kid not in self._keys and time.monotonic() - self._fetched_at >= self._min_refresh:
            async with self._lock:
                if kid not in self._keys:
                    await self._refresh()
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        """Fetches the keys; a JWKS that cannot be had for now (no answer, 5xx, 429 — e.g.
        identity restarting) is a transient failure: callers answer UNAVAILABLE, never
        INTERNAL, and clients retry."""
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.get(self._url)
                response.raise_for_status()
        except httpx.TransportError as error:
            raise TransientError(f"signing keys unavailable: {error!r}") from error
        except httpx.HTTPStatusError as error:
            if error.response.status_code >= 500 or error.response.status_code == 429:
                raise TransientError(f"signing keys unavailable: {error!r}") from error
            raise
        self._fetched_at = time.monotonic()
        self._keys = keys_from_jwks(response.json())


def keys_from_jwks(document: Mapping[str, Any]) -> dict[str, Any]:
    keys = {}
    for jwk in document.get("keys", []):
        keys[jwk["kid"]] = jwt.PyJWK.from_json(json.dumps(jwk)).key
    return keys


class TokenVerifier:
    """Checks signature, expiry, issuer and audience, and turns the claims into a Principal.
    A verified token is remembered until it expires (a client sends the same token on every
    call; the signature check is the costly part). A token identity has revoked since
    (`revocations`, fed by its events) is refused on every call, cached or not."""

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        leeway: float = 5.0,
        cache_size: int = 10_000,
        revocations: Revocations | None = None,
    ):
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        self._cache_size = cache_size
        self._verified: dict[str, _Verified] = {}
        self.revocations = revocations or Revocations()
        # What keeps `revocations` current; the gRPC server runs it while it serves.
        self.feed: RevocationFeed | None = None

    async def verify(self, token: str) -> Principal:
        found = self._verified.get(token)
        if found is None or found.expires <= time.time():
            found = await self._verify(token)
            if len(self._verified) >= self._cache_size:
                self._verified.clear()
            self._verified[token] = found
        if self.revocations.revoked(found.principal, found.issued_at):
            raise unauthenticated("TOKEN_REVOKED", "access token was revoked; sign in again")
        return found.principal

    async def _verify(self, token: str) -> _Verified:
        try:
            kid = jwt.get_unverified_header(token).get("kid", "")
        except jwt.PyJWTError as exc:
            raise unauthenticated("TOKEN_MALFORMED", "access token is malformed") from exc
        key = await self._keys.key_for(kid)
        if key is None:
            raise unauthenticated("TOKEN_KEY_UNKNOWN", "access token signed by an unknown key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise unauthenticated("TOKEN_EXPIRED", "access token has expired") from exc
        except jwt.PyJWTError as exc:
            raise unauthenticated("TOKEN_INVALID", f"access token is invalid: {exc}") from exc
        return _Verified(principal_from_claims(claims), float(claims["exp"]), float(claims["iat"]))


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    expires: float
    issued_at: float


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    return Principal(
        user_id=str(claims["sub"]),
        kind=str(claims.get("kind", "")),
        organization_id=str(claims.get("org", "")),
        roles=tuple(claims.get("roles", ())),
        permissions=frozenset(claims.get("perms", ())),
        data_scope=str(claims.get("scope", "self")),
        token_id=str(claims.get("jti", "")),
        department_id=str(claims.get("dept", "")),
        session_id=str(claims.get("sid", "")),
    )


def claims_for(principal: Principal) -> dict[str, Any]:
    """The claims identity signs for a principal (the inverse of principal_from_claims)."""
    return {
        "sub": principal.user_id,
        "kind": principal.kind,
        "org": principal.organization_id,
        "roles": list(principal.roles),
        "perms": sorted(principal.permissions),
        "scope": principal.data_scope,
        "jti": principal.token_id,
        "dept": principal.department_id,
        "sid": principal.session_id,
    }

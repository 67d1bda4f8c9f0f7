"""Ed25519 signing keys: created and rotated here, private halves encrypted at rest with the
key-encryption key from settings, public halves published as a JWKS. A rotated-out key stays
in the JWKS for one access-token lifetime, so rotation signs nobody out."""

from __future__ import annotations

import base64
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from servicekit.auth.tokens import keys_from_jwks
from services.identity.adapters.tables import signing_keys

ALGORITHM = "EdDSA"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(kid: str, key: Ed25519PrivateKey) -> dict[str, str]:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw), "kid": kid, "alg": ALGORITHM,
            "use": "sig"}  # fmt: skip


class KeyRing:
    """Signing and verification keys of the identity database."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        encryption_key: str,
        publish_retired_for: timedelta,
        cache_seconds: float = 30.0,
    ):
        self._engine = engine
        self._fernet = Fernet(encryption_key.encode())
        self._publish_retired_for = publish_retired_for
        self._cache_seconds = cache_seconds
        self._signing: tuple[str, Ed25519PrivateKey] | None = None
        self._jwks: list[dict[str, str]] = []
        self._loaded_at = -1e9

    async def sign(self, claims: dict[str, Any]) -> str:
        kid, key = await self._signing_key()
        return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})

    async def verified(self, token: str, *, issuer: str, audience: str) -> dict[str, Any]:
        """The claims of a token this ring signed; ValueError when it is not valid."""
        try:
            kid = jwt.get_unverified_header(token).get("kid", "")
            claims: dict[str, Any] = jwt.decode(
                token,
                await self.key_for(kid),
                algorithms=[ALGORITHM],
                issuer=issuer,
                audience=audience,
            )
        except jwt.PyJWTError as error:
            raise ValueError(str(error)) from error
        return claims

    async def jwks(self) -> list[dict[str, str]]:
        await self._refresh_if_stale()
        return self._jwks

    async def key_for(self, kid: str) -> Any:
        """KeySource for identity's own token verification."""
        await self._refresh_if_stale(force=kid not in self._known_kids())
        return keys_from_jwks({"keys": self._jwks}).get(kid)

    async def rotate(self, now: datetime) -> str:
        """Creates a new signing key and retires the current one; returns the new kid."""
        async with self._engine.begin() as connection:
            await connection.execute(
                update(signing_keys)
                .where(signing_keys.c.retired_at.is_(None))
                .values(retired_at=now)
            )
            kid = await self._create(connection, now)
        self._loaded_at = -1e9
        return kid

    async def _signing_key(self) -> tuple[str, Ed25519PrivateKey]:
        await self._refresh_if_stale()
        if self._signing is None:
            # First start: two replicas racing here make two keys, both valid and published.
            async with self._engine.begin() as connection:
                await self._create(connection, datetime.now().astimezone())
            await self._refresh_if_stale(force=True)
        assert self._signing is not None
        return self._signing

    def _known_kids(self) -> set[str]:
        return {k["kid"] for k in self._jwks}

    async def _refresh_if_stale(self, force: bool = False) -> None:
        if force or time.monotonic() - self._loaded_at > self._cache_seconds:
            async with self._engine.connect() as connection:
                await self._load(connection)
            self._loaded_at = time.monotonic()

    async def _load(self, connection: AsyncConnection) -> bool:
        cutoff = datetime.now().astimezone() - self._publish_retired_for
        rows = (
            await connection.execute(
                select(signing_keys)
                .where(or_(signing_keys.c.retired_at.is_(None), signing_keys.c.retired_at > cutoff))
                .order_by(signing_keys.c.created_at)
            )
        ).all()
        self._jwks = [dict(r.public_jwk) for r in rows]
        active = [r for r in rows if r.retired_at is None]
        self._signing = (active[-1].kid, self._decrypt(active[-1].private_key)) if active else None
        return bool(active)

    async def _create(self, connection: AsyncConnection, now: datetime) -> str:
        kid = f"{now:%Y%m%d}-{uuid.uuid4().hex[:8]}"
        key = Ed25519PrivateKey.generate()
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        await connection.execute(
            signing_keys.insert().values(
                kid=kid,
                private_key=self._fernet.encrypt(private),
                public_jwk=public_jwk(kid, key),
                created_at=now,
            )
        )
        return kid

    def _decrypt(self, blob: bytes) -> Ed25519PrivateKey:
        key = serialization.load_pem_private_key(self._fernet.decrypt(blob), password=None)
        assert isinstance(key, Ed25519PrivateKey)
        return key

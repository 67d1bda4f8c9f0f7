"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106)."""

from __future__ import annotations

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verifying against this keeps a wrong username as slow as a wrong password. Made on
    first use, not at import (importing must not cost a hash)."""
    return _HASHER.hash("not-a-real-password")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_HASHER.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _HASHER.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


class Argon2Hasher:
    """`service_layer.ports.PasswordHasher` with argon2id."""

    async def hash(self, password: str) -> str:
        return await hash_password(password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await verify_password(password_hash, password)

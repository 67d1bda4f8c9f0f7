"""API keys (API 拓展接入): another system acting for an organisation with some of the codes
its creator holds. The secret is random (256 bits), shown once; only its hash is kept."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from servicekit.errors import FieldViolation

SECRET_PREFIX = "tk_"
MAX_NAME = 100
MAX_KEYS = 50  # live keys per organisation


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_subject(key_id: str) -> str:
    """The `sub` of the key's access tokens, the actor id every service records."""
    return f"apikey-{key_id}"


@dataclass
class ApiKey:
    id: str
    organization_id: str
    organization_kind: str  # enterprise | provider: the kind of its tokens
    display_name: str
    permission_codes: list[str]
    prefix: str = ""
    created_by: str = ""
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    secret: str = field(default="", repr=False)  # only right after creation

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def problems(name: str, codes: list[str], grantable: frozenset[str]) -> list[FieldViolation]:
    """What is wrong with a key to create: the name, and codes its creator cannot give."""
    found = []
    if not name.strip():
        found.append(FieldViolation("api_key.display_name", "is required"))
    elif len(name) > MAX_NAME:
        found.append(
            FieldViolation("api_key.display_name", f"must be at most {MAX_NAME} characters")
        )
    if not codes:
        found.append(FieldViolation("api_key.permission_codes", "name at least one permission"))
    elif not_yours := sorted(set(codes) - grantable):
        found.append(
            FieldViolation(
                "api_key.permission_codes",
                f"you cannot give what you do not hold: {', '.join(not_yours)}",
            )
        )
    return found

"""Issuing access and refresh tokens for a user."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from servicekit.auth.principal import Principal
from servicekit.auth.tokens import claims_for
from services.identity.domain.access import effective_access
from services.identity.domain.people import User
from services.identity.domain.tokens import RefreshToken
from services.identity.service_layer.deps import Deps
from services.identity.service_layer.ports import IdentityUnit


@dataclass(frozen=True)
class IssuedTokens:
    user_id: str
    access_token: str = ""
    access_expires_at: datetime | None = None
    refresh_token: str = ""
    refresh_expires_at: datetime | None = None
    binding_token: str = ""


async def principal_of(uow: IdentityUnit, user: User) -> Principal:
    roles = await uow.access.roles(user.role_ids)
    codes, scope = effective_access(roles, await uow.access.enabled_codes())
    return Principal(
        user_id=user.id,
        kind=user.kind.value,
        organization_id=user.organization_id,
        roles=tuple(sorted(r.id for r in roles)),
        permissions=frozenset(codes),
        data_scope=scope.value,
        department_id=user.department_id,
        token_id=uuid.uuid4().hex,
    )


async def sign_access(deps: Deps, principal: Principal) -> tuple[str, datetime]:
    """A signed access token for `principal`, and when it expires."""
    now = deps.clock()
    expires = now + timedelta(seconds=deps.settings.access_token_ttl_seconds)
    claims = claims_for(principal) | {
        "iss": deps.settings.jwt_issuer,
        "aud": deps.settings.jwt_audience,
        # To the millisecond: a revocation refuses tokens issued up to its instant, and a
        # token issued in the same second after it (re-enabled, signed in again) stays good.
        "iat": round(now.timestamp(), 3),
        "exp": int(expires.timestamp()),
    }
    return await deps.keys.sign(claims), expires


async def issue_tokens(
    deps: Deps, uow: IdentityUnit, user: User, *, family_id: str = ""
) -> IssuedTokens:
    """A new access token and a new refresh token (in `family_id`, or a new family)."""
    now = deps.clock()
    settings = deps.settings
    family_id = family_id or uuid.uuid4().hex
    principal = replace(await principal_of(uow, user), session_id=family_id)
    access_token, access_expires = await sign_access(deps, principal)
    secret = secrets.token_urlsafe(32)
    refresh = RefreshToken(
        id=uuid.uuid4().hex,
        family_id=family_id,
        user_id=user.id,
        expires_at=now + timedelta(days=settings.refresh_token_ttl_days),
    )
    await uow.refresh_tokens.add(refresh, secret)
    return IssuedTokens(
        user_id=user.id,
        access_token=access_token,
        access_expires_at=access_expires,
        refresh_token=secret,
        refresh_expires_at=refresh.expires_at,
    )

"""API keys for integration access (API 拓展接入): an organisation's admins (`integration`)
create keys holding some of the codes they hold (and only codes the organisation's own admin
role could hold), list them, revoke them. The gateway exchanges a key for an access token of
the key itself: `sub` apikey-<id>, the organisation's kind and id, the key's codes (those
still enabled), organisation-wide data scope, and the key id as its session, so revoking the
key revokes its tokens everywhere (AccessRevoked)."""

from __future__ import annotations

import uuid

from servicekit.auth.principal import Principal
from servicekit.authz import require_permission
from servicekit.errors import (
    failed_precondition,
    invalid_argument,
    not_found,
    unauthenticated,
)
from services.identity.domain.access import BUILT_IN_ROLES
from services.identity.domain.api_keys import (
    MAX_KEYS,
    ApiKey,
    key_subject,
    new_secret,
    problems,
)
from services.identity.domain.events import AccessRevoked
from services.identity.domain.organizations import Organization, OrgKind
from services.identity.domain.security import ClientInfo, SecurityEventKind
from services.identity.service_layer.audit import record
from services.identity.service_layer.caller import Caller
from services.identity.service_layer.deps import Deps
from services.identity.service_layer.ports import IdentityUnit
from services.identity.service_layer.tokens import IssuedTokens, sign_access

PERMISSION = "integration"
_ADMIN_CODES = {r.id: r.permission_codes for r in BUILT_IN_ROLES}
_GRANTABLE = {
    OrgKind.ENTERPRISE: _ADMIN_CODES["enterprise-admin"],
    OrgKind.PROVIDER: _ADMIN_CODES["provider-admin"],
}


async def create_key(
    deps: Deps, caller: Caller, organization_id: str, *, display_name: str, codes: list[str]
) -> ApiKey:
    async with deps.uow() as uow:
        org = await _organization(uow, caller.principal, organization_id)
        codes = sorted(dict.fromkeys(codes))
        grantable = caller.principal.permissions & _GRANTABLE[org.kind]
        if found := problems(display_name, codes, grantable):
            raise invalid_argument("API_KEY_INVALID", found)
        if await uow.api_keys.live_count(org.id) >= MAX_KEYS:
            raise failed_precondition(
                "API_KEY_LIMIT", f"an organisation holds at most {MAX_KEYS} live keys"
            )
        secret = new_secret()
        key = await uow.api_keys.add(
            ApiKey(
                id=uuid.uuid4().hex,
                organization_id=org.id,
                organization_kind=org.kind.value,
                display_name=display_name.strip(),
                permission_codes=codes,
                prefix=secret[:8],
                created_by=caller.user_id,
                secret=secret,
            )
        )
        await record(
            uow, SecurityEventKind.API_KEY_CREATED, caller.client,
            actor_user_id=caller.user_id, organization_id=org.id, api_key_id=key.id,
            permissions=",".join(codes),
        )  # fmt: skip
        await uow.commit()
    key.secret = secret
    return key


async def list_keys(deps: Deps, caller: Caller, organization_id: str) -> list[ApiKey]:
    async with deps.uow() as uow:
        org = await _organization(uow, caller.principal, organization_id)
        return await uow.api_keys.of_organization(org.id)


async def revoke_key(deps: Deps, caller: Caller, organization_id: str, key_id: str) -> ApiKey:
    async with deps.uow() as uow:
        org = await _organization(uow, caller.principal, organization_id)
        key = await uow.api_keys.get(org.id, key_id, lock=True)
        if key is None:
            raise not_found("API_KEY_NOT_FOUND", f"no API key {key_id!r}")
        if not key.revoked:
            now = deps.clock()
            await uow.api_keys.revoke(key.id, now)
            await uow.emit(
                AccessRevoked(now, "api_key_revoked", session_id=key.id, actor=caller.principal)
            )
            await record(
                uow, SecurityEventKind.API_KEY_REVOKED, caller.client,
                actor_user_id=caller.user_id, organization_id=org.id, api_key_id=key.id,
            )  # fmt: skip
            key.revoked_at = now
        await uow.commit()
    return key


async def exchange(deps: Deps, secret: str, client: ClientInfo) -> IssuedTokens:
    """An access token for a live key of a live organisation; anything else is 401, the same
    for an unknown, revoked or disabled one."""
    refused = unauthenticated("API_KEY_INVALID", "the API key is unknown or revoked")
    if not secret:
        raise refused
    async with deps.uow() as uow:
        key = await uow.api_keys.by_secret(secret)
        if key is None or key.revoked:
            raise refused
        org = await uow.orgs.get(OrgKind(key.organization_kind), key.organization_id, visible=None)
        if org is None or not org.can_sign_in:
            raise refused
        codes = frozenset(key.permission_codes) & await uow.access.enabled_codes()
        principal = Principal(
            user_id=key_subject(key.id),
            kind=key.organization_kind,
            organization_id=key.organization_id,
            permissions=codes,
            data_scope="organization",
            token_id=uuid.uuid4().hex,
            session_id=key.id,
        )
        token, expires = await sign_access(deps, principal)
        await uow.api_keys.mark_used(key.id, deps.clock())
        await record(
            uow, SecurityEventKind.API_KEY_USED, client,
            user_id=principal.user_id, organization_id=key.organization_id, api_key_id=key.id,
        )  # fmt: skip
        await uow.commit()
    return IssuedTokens(user_id=principal.user_id, access_token=token, access_expires_at=expires)


async def _organization(uow: IdentityUnit, p: Principal, organization_id: str) -> Organization:
    """The caller's own organisation (any organisation for platform staff) holding
    `integration`; another's is 404, as if it did not exist."""
    require_permission(p, PERMISSION)
    if p.is_platform or p.organization_id == organization_id:
        for kind in (OrgKind.ENTERPRISE, OrgKind.PROVIDER):
            org = await uow.orgs.get(kind, organization_id, visible=None)
            if org is not None and org.deleted_at is None:
                return org
    raise not_found("ORGANIZATION_NOT_FOUND", f"no organisation {organization_id!r}")

"""The caller of a use case, and what they may see (loaded fresh on every call, so a disabled
user or organisation loses access to identity at once, whatever their token says)."""

from __future__ import annotations

from dataclasses import dataclass, field

from servicekit.auth.principal import Principal
from servicekit.errors import unauthenticated
from services.identity.domain.organizations import OrgKind
from services.identity.domain.security import ClientInfo
from services.identity.domain.visibility import Viewer
from services.identity.service_layer.ports import IdentityUnit


@dataclass(frozen=True)
class Caller:
    principal: Principal
    client: ClientInfo = field(default_factory=ClientInfo)

    @property
    def user_id(self) -> str:
        return self.principal.user_id


async def viewer_of(uow: IdentityUnit, caller: Caller) -> Viewer:
    principal = caller.principal
    user = await uow.users.get(principal.user_id, orgs=None)
    if user is None or not user.is_active:
        raise unauthenticated("USER_DISABLED", "this account is disabled or deleted")
    kind = user.kind.organization_kind
    if not kind:
        return Viewer(principal)
    org = await uow.orgs.get(OrgKind(kind), user.organization_id, visible=None)
    if org is None or not org.can_sign_in:
        raise unauthenticated("ORGANIZATION_DISABLED", "this organisation is disabled or deleted")
    if kind == "enterprise":
        return Viewer(
            principal, designated_provider_ids=await uow.orgs.designated_providers(org.id)
        )
    return Viewer(
        principal, designated_enterprise_ids=await uow.orgs.designated_enterprises(org.id)
    )

"""Writing the security log (who signed in, failed, was disabled, from where)."""

from __future__ import annotations

from services.identity.domain.security import ClientInfo, SecurityEvent, SecurityEventKind
from services.identity.service_layer.ports import IdentityUnit


async def record(
    uow: IdentityUnit,
    kind: SecurityEventKind,
    client: ClientInfo,
    *,
    user_id: str = "",
    login: str = "",
    actor_user_id: str = "",
    organization_id: str = "",
    **details: str,
) -> None:
    await uow.security_log.add(
        SecurityEvent(
            kind=kind,
            user_id=user_id,
            login=login,
            actor_user_id=actor_user_id,
            organization_id=organization_id,
            ip_address=client.ip_address,
            user_agent=client.user_agent,
            details=details,
        )
    )

"""Publishing identity's events (through the outbox) and writing the security log."""

from __future__ import annotations

from google.protobuf.message import Message

from servicekit.auth.principal import Principal
from servicekit.events import new_envelope, topic_name
from services.identity.domain.security import ClientInfo, SecurityEvent, SecurityEventKind
from services.identity.service_layer.unit_of_work import IdentityUnitOfWork


async def publish(
    uow: IdentityUnitOfWork,
    payload: Message,
    *,
    aggregate: str,
    aggregate_id: str,
    tenant_id: str = "",
    actor: Principal | None = None,
    key: str = "",
) -> None:
    """Publishes on ticketing.identity.<aggregate>.v1, keyed by `key` or the aggregate id."""
    envelope = new_envelope(
        payload=payload,
        aggregate_type=aggregate,
        aggregate_id=aggregate_id,
        tenant_id=tenant_id,
        actor=actor,
    )
    await uow.publish(topic_name("identity", aggregate), envelope, key=key)


def designation_key(enterprise_id: str, provider_id: str) -> str:
    """The record key of a designation: one per pair, so compaction keeps each pair."""
    return f"{enterprise_id}/{provider_id}"


async def record(
    uow: IdentityUnitOfWork,
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

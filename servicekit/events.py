"""Building event envelopes (DESIGN.md §5)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from google.protobuf.message import Message
from ticketing.common.v1 import common_pb2
from ticketing.events.v1 import envelope_pb2

from servicekit.auth.principal import Principal
from servicekit.context import request_id_var

_KINDS = {
    "platform": common_pb2.PRINCIPAL_KIND_PLATFORM,
    "enterprise": common_pb2.PRINCIPAL_KIND_ENTERPRISE,
    "provider": common_pb2.PRINCIPAL_KIND_PROVIDER,
    "engineer": common_pb2.PRINCIPAL_KIND_ENGINEER,
}


def topic_name(service: str, aggregate: str) -> str:
    return f"ticketing.{service}.{aggregate}.v1"


def new_envelope(
    *,
    payload: Message,
    aggregate_type: str,
    aggregate_id: str,
    tenant_id: str = "",
    aggregate_version: int = 0,
    actor: Principal | None = None,
    occurred: datetime | None = None,
) -> envelope_pb2.EventEnvelope:
    envelope = envelope_pb2.EventEnvelope(
        event_id=str(uuid.uuid4()),
        event_type=payload.DESCRIPTOR.full_name,
        tenant_id=tenant_id,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        correlation_id=request_id_var.get(),
        aggregate_version=aggregate_version,
    )
    envelope.occurred_time.FromDatetime(occurred or datetime.now(UTC))
    envelope.payload.Pack(payload)
    if actor is not None:
        envelope.actor.CopyFrom(
            common_pb2.Actor(
                user_id=actor.user_id,
                kind=_KINDS.get(actor.kind, common_pb2.PRINCIPAL_KIND_UNSPECIFIED),
                organization_id=actor.organization_id,
            )
        )
    return envelope

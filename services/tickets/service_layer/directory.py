"""Keeping tickets' read model of identity current, from identity's events (idempotent: the
consumer loop records each event id with the change)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection
from ticketing.common.v1 import common_pb2
from ticketing.events.v1 import envelope_pb2, identity_events_pb2

from services.tickets.adapters.repositories.directory import DirectoryRepository, Person

_KINDS = {
    common_pb2.PRINCIPAL_KIND_PLATFORM: "platform",
    common_pb2.PRINCIPAL_KIND_ENTERPRISE: "enterprise",
    common_pb2.PRINCIPAL_KIND_PROVIDER: "provider",
    common_pb2.PRINCIPAL_KIND_ENGINEER: "engineer",
}
_GONE = (identity_events_pb2.CHANGE_KIND_DELETED, identity_events_pb2.CHANGE_KIND_DISABLED)


async def apply_identity_event(
    connection: AsyncConnection, envelope: envelope_pb2.EventEnvelope
) -> None:
    directory = DirectoryRepository(connection)
    payload = envelope.payload
    if payload.Is(identity_events_pb2.UserChanged.DESCRIPTOR):
        event = identity_events_pb2.UserChanged()
        payload.Unpack(event)
        user = event.user
        await directory.upsert_person(
            Person(
                id=user.user_id,
                kind=_KINDS.get(user.kind, ""),
                organization_id=user.organization_id,
                department_id=user.department_id,
                display_name=user.display_name,
                active=_active(event.change, user.state, user.stamps),
            )
        )
    elif payload.Is(identity_events_pb2.EngineerChanged.DESCRIPTOR):
        event = identity_events_pb2.EngineerChanged()
        payload.Unpack(event)
        engineer = event.engineer
        await directory.upsert_person(
            Person(
                id=engineer.engineer_id,
                kind="engineer",
                organization_id=engineer.provider_id,
                department_id="",
                display_name=engineer.display_name,
                active=_active(event.change, engineer.state, engineer.stamps),
            )
        )
    elif payload.Is(identity_events_pb2.DepartmentChanged.DESCRIPTOR):
        event = identity_events_pb2.DepartmentChanged()
        payload.Unpack(event)
        department = event.department
        await directory.set_department(
            department.department_id,
            department.enterprise_id,
            department.parent_department_id,
            present=event.change != identity_events_pb2.CHANGE_KIND_DELETED,
        )
    elif payload.Is(identity_events_pb2.DesignationChanged.DESCRIPTOR):
        event = identity_events_pb2.DesignationChanged()
        payload.Unpack(event)
        present = event.change != identity_events_pb2.CHANGE_KIND_DELETED
        await directory.set_designation(
            event.designation.enterprise_id, event.designation.provider_id, present=present
        )


def _active(change: int, state: int, stamps: common_pb2.AuditStamps) -> bool:
    """Active unless this change retires it or its state (a snapshot's) says it is retired."""
    deleted = stamps.HasField("delete_time")
    return change not in _GONE and not deleted and state != common_pb2.ACTIVE_STATE_DISABLED

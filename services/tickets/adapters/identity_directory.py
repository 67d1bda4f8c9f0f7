"""Tickets' read model of identity (people, departments, designations), fed by identity's
events through `servicekit.read_model`: each function maps one event to the directory's
tables; the consumer records the event id in the same transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection
from ticketing.events.v1 import envelope_pb2
from ticketing.events.v1 import identity_events_pb2 as events

from servicekit.read_model import EventRoutes, active_after, kind_name
from services.tickets.adapters.repositories.directory import DirectoryRepository
from services.tickets.service_layer.ports import Person

Envelope = envelope_pb2.EventEnvelope


def identity_routes() -> EventRoutes:
    return (
        EventRoutes()
        .on(events.UserChanged, user_changed)
        .on(events.EngineerChanged, engineer_changed)
        .on(events.DepartmentChanged, department_changed)
        .on(events.DesignationChanged, designation_changed)
        .on(events.ProviderChanged, provider_changed)
    )


async def user_changed(db: AsyncConnection, event: events.UserChanged, _: Envelope) -> None:
    user = event.user
    person = Person(
        id=user.user_id,
        kind=kind_name(user.kind),
        organization_id=user.organization_id,
        department_id=user.department_id,
        display_name=user.display_name,
        active=active_after(event.change, user.state, user.stamps),
    )
    await DirectoryRepository(db).upsert_person(person)


async def engineer_changed(db: AsyncConnection, event: events.EngineerChanged, _: Envelope) -> None:
    engineer = event.engineer
    person = Person(
        id=engineer.engineer_id,
        kind="engineer",
        organization_id=engineer.provider_id,
        department_id="",
        display_name=engineer.display_name,
        active=active_after(event.change, engineer.state, engineer.stamps),
        number=engineer.employee_number,
    )
    await DirectoryRepository(db).upsert_person(person)


async def department_changed(
    db: AsyncConnection, event: events.DepartmentChanged, _: Envelope
) -> None:
    department = event.department
    await DirectoryRepository(db).set_department(
        department.department_id,
        department.enterprise_id,
        department.parent_department_id,
        present=event.change != events.CHANGE_KIND_DELETED,
    )


async def designation_changed(
    db: AsyncConnection, event: events.DesignationChanged, _: Envelope
) -> None:
    designation = event.designation
    await DirectoryRepository(db).set_designation(
        designation.enterprise_id,
        designation.provider_id,
        present=event.change != events.CHANGE_KIND_DELETED,
    )


async def provider_changed(db: AsyncConnection, event: events.ProviderChanged, _: Envelope) -> None:
    """Only the name: requesters see which provider handles their ticket."""
    provider = event.provider
    await DirectoryRepository(db).set_provider_name(provider.provider_id, provider.display_name)

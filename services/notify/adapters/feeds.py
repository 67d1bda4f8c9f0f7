"""Notify's consumer: identity's events keep its directory (people, roles) current and welcome
new accounts; tickets' events, dispatch's SLA alerts and its decisions that leave a ticket to
the provider's admins become messages — in the consumer's transaction, so the inbox row and
the messages commit together (an event delivered twice makes its messages once)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from ticketing.events.v1 import dispatch_events_pb2 as dispatch
from ticketing.events.v1 import envelope_pb2
from ticketing.events.v1 import identity_events_pb2 as identity
from ticketing.events.v1 import ticket_events_pb2 as tickets

from servicekit.read_model import EventRoutes, active_after, kind_name
from services.notify import mapping
from services.notify.adapters.repositories.directory import DirectoryRepository
from services.notify.adapters.unit_of_work import NotifyUnitOfWork
from services.notify.domain.preferences import Channel
from services.notify.domain.templates import DEFAULT_LOCALE, DEFAULT_TIME_ZONE
from services.notify.service_layer.notifying import notify_ticket, on_ticket_event, welcome_user
from services.notify.service_layer.ports import Person

Envelope = envelope_pb2.EventEnvelope


def routes(
    clock: Callable[[], datetime],
    late_receipts_for: timedelta,
    *,
    channels: frozenset[Channel] = frozenset(),
) -> EventRoutes:
    async def ticket_event(db: AsyncConnection, event: object, envelope: Envelope) -> None:
        async with NotifyUnitOfWork(None, joining=db) as uow:
            await on_ticket_event(
                uow,
                mapping.notice_of(event, envelope),
                version=envelope.aggregate_version,
                snapshot=isinstance(event, tickets.TicketSnapshot),
                late_receipts_for=late_receipts_for,
                event_id=envelope.event_id,
                event_type=envelope.event_type,
                now=clock(),
                channels=channels,
            )

    async def sla_alert(db: AsyncConnection, event: Any, envelope: Envelope) -> None:
        async with NotifyUnitOfWork(None, joining=db) as uow:
            await notify_ticket(
                uow,
                mapping.sla_notice_of(event, envelope),
                event_id=envelope.event_id,
                event_type=envelope.event_type,
                now=clock(),
                channels=channels,
            )

    async def decision(db: AsyncConnection, event: Any, envelope: Envelope) -> None:
        notice = mapping.escalation_notice_of(event, envelope)
        if notice is None or clock() - notice.occurred_at > late_receipts_for:
            return  # not an escalation; or an old one a late-joining consumer reads: past news
        async with NotifyUnitOfWork(None, joining=db) as uow:
            await notify_ticket(
                uow,
                notice,
                event_id=envelope.event_id,
                event_type=envelope.event_type,
                now=clock(),
                channels=channels,
            )

    async def user_changed(db: AsyncConnection, event: identity.UserChanged, e: Envelope) -> None:
        user = event.user
        person = Person(
            id=user.user_id,
            kind=kind_name(user.kind),
            organization_id=user.organization_id,
            display_name=user.display_name,
            email=user.email,
            phone=user.phone,
            wechat_openid=event.wechat_openid,
            role_ids=tuple(user.role_ids),
            active=active_after(event.change, user.state, user.stamps),
            locale=user.locale or DEFAULT_LOCALE,
            time_zone=user.time_zone or DEFAULT_TIME_ZONE,
        )
        await DirectoryRepository(db).upsert_person(person)
        await _welcome(db, event.change, person, e)

    async def engineer_changed(
        db: AsyncConnection, event: identity.EngineerChanged, e: Envelope
    ) -> None:
        engineer = event.engineer
        person = Person(
            id=engineer.engineer_id,
            kind="engineer",
            organization_id=engineer.provider_id,
            display_name=engineer.display_name,
            phone=engineer.phone,
            wechat_openid=engineer.wechat_openid,
            active=active_after(event.change, engineer.state, engineer.stamps),
            locale=engineer.locale or DEFAULT_LOCALE,
            time_zone=engineer.time_zone or DEFAULT_TIME_ZONE,
        )
        await DirectoryRepository(db).upsert_person(person, with_roles=False)
        await _welcome(db, event.change, person, e)

    async def _welcome(db: AsyncConnection, change: int, person: Person, e: Envelope) -> None:
        if change != identity.CHANGE_KIND_CREATED or person.id.startswith("svc-"):
            return  # snapshots and updates of known accounts; service accounts read nothing
        async with NotifyUnitOfWork(None, joining=db) as uow:
            await welcome_user(
                uow, person.id, person.display_name, event_id=e.event_id,
                event_type=e.event_type, now=clock(),
            )  # fmt: skip

    table = EventRoutes()
    table.on(identity.UserChanged, user_changed)
    table.on(identity.EngineerChanged, engineer_changed)
    table.on(identity.RoleChanged, role_changed)
    for event_type in mapping.TICKET_EVENTS:
        table.on(event_type, ticket_event)
    for event_type in mapping.SLA_EVENTS:
        table.on(event_type, sla_alert)
    table.on(dispatch.AssignmentDecided, decision)
    return table


async def role_changed(db: AsyncConnection, event: identity.RoleChanged, _: Envelope) -> None:
    role = event.role
    present = event.change != identity.CHANGE_KIND_DELETED
    await DirectoryRepository(db).set_role(
        role.role_id, list(role.permission_codes), present=present
    )

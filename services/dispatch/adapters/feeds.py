"""Dispatch's read model, fed by identity's and tickets' events through `servicekit.read_model`
(one consumer, inbox and effect in one transaction): providers, designations and engineers
from identity; tickets from tickets — and a ticket that now waits for a provider is routed in
that same transaction, so its decision and the decision's event commit with the inbox row."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncConnection
from ticketing.events.v1 import envelope_pb2
from ticketing.events.v1 import identity_events_pb2 as identity
from ticketing.events.v1 import ticket_events_pb2 as tickets

from servicekit.proto_values import datetime_of
from servicekit.read_model import EventRoutes, active_after
from services.dispatch import mapping, sla_mapping
from services.dispatch.adapters.repositories.decisions import TicketsSeenRepository
from services.dispatch.adapters.repositories.directory import DirectoryRepository
from services.dispatch.adapters.unit_of_work import DispatchUnitOfWork
from services.dispatch.service_layer import sla
from services.dispatch.service_layer.routing import route, route_waiting

Envelope = envelope_pb2.EventEnvelope
Apply = Callable[[AsyncConnection, Any, Envelope], Awaitable[None]]
TICKET_EVENTS = (
    tickets.TicketCreated, tickets.TicketUpdated, tickets.TicketApproved, tickets.TicketRejected,
    tickets.TicketAssigned, tickets.TicketClaimed, tickets.TicketTransferred,
    tickets.TicketStarted, tickets.TicketCommented, tickets.TicketAttachmentAdded,
    tickets.TicketAttachmentRemoved, tickets.TicketResolved, tickets.TicketReopened,
    tickets.TicketClosed, tickets.TicketCancelled, tickets.TicketRated, tickets.TicketSnapshot,
    tickets.TicketWaitingOnCustomer, tickets.TicketResumed,
)  # fmt: skip


def routes(clock: Callable[[], datetime], decided: asyncio.Event | None = None) -> EventRoutes:
    """`decided` is set once a decision is committed (the applier in the same process wakes;
    woken before the commit, it would find nothing and sleep its interval)."""

    def wake_after_commit(db: AsyncConnection) -> None:
        if decided is not None:
            sa_event.listen(db.sync_connection, "commit", lambda _: decided.set(), once=True)

    async def ticket_changed(db: AsyncConnection, event: object, envelope: Envelope) -> None:
        ticket = event.ticket  # type: ignore[attr-defined]
        state = mapping.ticket_state(ticket, envelope.aggregate_version)
        if not await TicketsSeenRepository(db).upsert(state):
            return  # an older event than what we hold
        at = (datetime_of(ticket.stamps, "update_time") or datetime_of(envelope, "occurred_time")
              or clock())  # fmt: skip
        async with DispatchUnitOfWork(None, joining=db) as uow:
            await sla.track(uow, sla_mapping.sla_facts(ticket), at)
            if not state.awaits_provider:
                return
            if await route(uow, state.facts.ticket_id, clock()) is not None:
                wake_after_commit(db)

    def then_route_waiting(apply: Apply) -> Apply:
        """After a provider or designation event: tickets whose routing waited for it."""

        async def applied(db: AsyncConnection, event: Any, envelope: Envelope) -> None:
            await apply(db, event, envelope)
            async with DispatchUnitOfWork(None, joining=db) as uow:
                if await route_waiting(uow, clock()):
                    wake_after_commit(db)

        return applied

    table = EventRoutes()
    table.on(identity.ProviderChanged, then_route_waiting(provider_changed))

    async def engineer_changed_then_redispatch(
        db: AsyncConnection, event: identity.EngineerChanged, envelope: Envelope
    ) -> None:
        """A disabled or deleted engineer's unstarted tickets are re-dispatched."""
        await engineer_changed(db, event, envelope)
        e = event.engineer
        if not active_after(event.change, e.state, e.stamps):
            async with DispatchUnitOfWork(None, joining=db) as uow:
                if await uow.decisions.redispatch_now(e.engineer_id, clock()) and decided:
                    decided.set()

    table.on(identity.EngineerChanged, engineer_changed_then_redispatch)
    table.on(identity.DesignationChanged, then_route_waiting(designation_changed))
    for event_type in TICKET_EVENTS:
        table.on(event_type, ticket_changed)
    return table


async def provider_changed(
    db: AsyncConnection, event: identity.ProviderChanged, _: Envelope
) -> None:
    p = event.provider
    active = active_after(event.change, p.state, p.stamps)
    await DirectoryRepository(db).set_provider(p.provider_id, active=active)


async def engineer_changed(
    db: AsyncConnection, event: identity.EngineerChanged, _: Envelope
) -> None:
    e = event.engineer
    await DirectoryRepository(db).set_engineer(
        e.engineer_id,
        provider_id=e.provider_id,
        name=e.display_name,
        skills=list(e.skills),
        active=active_after(event.change, e.state, e.stamps),
    )


async def designation_changed(
    db: AsyncConnection, event: identity.DesignationChanged, _: Envelope
) -> None:
    d = event.designation
    present = event.change != identity.CHANGE_KIND_DELETED
    await DirectoryRepository(db).set_designation(d.enterprise_id, d.provider_id, present=present)

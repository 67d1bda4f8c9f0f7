"""Deliveries and their attempts on PostgreSQL (implements `ports.Deliveries`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notify.adapters.tables import deliveries, delivery_attempts, messages
from services.notify.domain.deliveries import (
    Attempt,
    Delivery,
    DeliveryDraft,
    DeliveryState,
)
from services.notify.domain.preferences import Channel
from services.notify.service_layer.ports import DeliveryQuery

_WAITING = [DeliveryState.PENDING.value, DeliveryState.FAILED.value]


class DeliveryRepository:
    def __init__(self, connection: AsyncConnection):
        self._db = connection

    async def add(self, drafts: list[DeliveryDraft], *, event_id: str, now: datetime) -> int:
        if not drafts:
            return 0
        users = sorted({d.user_id for d in drafts})
        query = select(messages.c.user_id, messages.c.id).where(
            messages.c.event_id == event_id, messages.c.user_id.in_(users)
        )
        message_ids = {row.user_id: row.id for row in await self._db.execute(query)}
        rows = [
            {
                "id": uuid.uuid4().hex,
                "event_id": event_id,
                "user_id": d.user_id,
                "channel": d.channel.value,
                "address": d.address,
                "title": d.title,
                "body": d.body,
                "ticket_id": d.ticket_id,
                "message_id": message_ids.get(d.user_id, ""),
                "reason": d.reason,
                "organization_id": d.organization_id,
                "state": DeliveryState.PENDING.value,
                "due_at": d.not_before or now,
                "created_at": now,
            }
            for d in drafts
        ]
        statement = (
            insert(deliveries)
            .values(rows)
            .on_conflict_do_nothing(constraint="deliveries_once")
            .returning(deliveries.c.id)
        )
        return len((await self._db.execute(statement)).all())

    async def claim_due(self, now: datetime, channels: frozenset[Channel]) -> Delivery | None:
        if not channels:
            return None
        query = (
            select(deliveries)
            .where(
                deliveries.c.state.in_(_WAITING),
                deliveries.c.due_at <= now,
                deliveries.c.channel.in_(sorted(c.value for c in channels)),
            )
            .order_by(deliveries.c.due_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = (await self._db.execute(query)).first()
        return _delivery(row) if row else None

    async def update(self, delivery: Delivery, attempt: Attempt) -> None:
        await self._db.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery.id)
            .values(
                address=delivery.draft.address,
                state=delivery.state.value,
                attempts=delivery.attempts,
                due_at=delivery.due_at,
                sent_at=delivery.sent_at,
                last_response=delivery.last_response,
            )
        )
        await self._db.execute(
            insert(delivery_attempts)
            .values(
                delivery_id=attempt.delivery_id,
                number=attempt.number,
                at=attempt.at,
                ok=attempt.ok,
                response=attempt.response[:2000],
                latency_ms=attempt.latency_ms,
            )
            .on_conflict_do_nothing()
        )

    async def find(self, query: DeliveryQuery) -> list[Delivery]:
        statement = select(deliveries)
        if query.user_id:
            statement = statement.where(deliveries.c.user_id == query.user_id)
        if query.channel is not None:
            statement = statement.where(deliveries.c.channel == query.channel.value)
        if query.state is not None:
            statement = statement.where(deliveries.c.state == query.state.value)
        if query.ticket_id:
            statement = statement.where(deliveries.c.ticket_id == query.ticket_id)
        if query.organization_id:
            statement = statement.where(deliveries.c.organization_id == query.organization_id)
        if query.before is not None:
            created, last_id = query.before
            statement = statement.where(
                or_(
                    deliveries.c.created_at < created,
                    and_(deliveries.c.created_at == created, deliveries.c.id < last_id),
                )
            )
        statement = statement.order_by(
            deliveries.c.created_at.desc(), deliveries.c.id.desc()
        ).limit(query.limit)
        return [_delivery(row) for row in await self._db.execute(statement)]

    async def get(self, delivery_id: str) -> Delivery | None:
        row = (
            await self._db.execute(select(deliveries).where(deliveries.c.id == delivery_id))
        ).first()
        return _delivery(row) if row else None

    async def attempts(self, delivery_id: str) -> list[Attempt]:
        query = (
            select(delivery_attempts)
            .where(delivery_attempts.c.delivery_id == delivery_id)
            .order_by(delivery_attempts.c.number)
        )
        return [
            Attempt(row.delivery_id, row.number, row.at, row.ok, row.response, row.latency_ms)
            for row in await self._db.execute(query)
        ]

    async def retry_now(
        self, delivery_id: str, now: datetime, *, even_sent: bool = False
    ) -> Delivery | None:
        states = [DeliveryState.FAILED.value, DeliveryState.DEAD.value]
        if even_sent:
            states.append(DeliveryState.SENT.value)
        await self._db.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.state.in_(states))
            .values(state=DeliveryState.FAILED.value, due_at=now)
        )
        return await self.get(delivery_id)


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        event_id=row.event_id,
        message_id=row.message_id,
        draft=DeliveryDraft(
            user_id=row.user_id,
            channel=Channel(row.channel),
            address=row.address,
            title=row.title,
            body=row.body,
            ticket_id=row.ticket_id,
            organization_id=row.organization_id,
            reason=row.reason,
        ),
        state=DeliveryState(row.state),
        attempts=row.attempts,
        due_at=row.due_at,
        created_at=row.created_at,
        sent_at=row.sent_at,
        last_response=row.last_response,
    )

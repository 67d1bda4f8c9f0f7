"""Webhook subscriptions on PostgreSQL (implements `ports.Webhooks`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicekit.db import upsert
from services.notify.adapters.tables import webhook_subscriptions as table
from services.notify.domain.webhooks import Secret, Subscription


class WebhookRepository:
    def __init__(self, connection: AsyncConnection):
        self._db = connection

    async def get(self, subscription_id: str) -> Subscription | None:
        row = (await self._db.execute(select(table).where(table.c.id == subscription_id))).first()
        return _subscription(row) if row else None

    async def of_organization(self, organization_id: str) -> list[Subscription]:
        query = (
            select(table)
            .where(table.c.organization_id == organization_id)
            .order_by(table.c.created_at, table.c.id)
        )
        return [_subscription(row) for row in await self._db.execute(query)]

    async def of_organizations(self, organization_ids: list[str]) -> list[Subscription]:
        wanted = sorted({i for i in organization_ids if i})
        if not wanted:
            return []
        query = (
            select(table)
            .where(table.c.organization_id.in_(wanted), table.c.active)
            .order_by(table.c.created_at, table.c.id)
        )
        return [_subscription(row) for row in await self._db.execute(query)]

    async def save(self, subscription: Subscription) -> None:
        row = {
            "id": subscription.id,
            "organization_id": subscription.organization_id,
            "url": subscription.url,
            "event_types": sorted(subscription.event_types),
            "secrets": [
                {
                    "value": s.value,
                    "validUntil": s.valid_until.isoformat() if s.valid_until else None,
                }
                for s in subscription.secrets
            ],
            "active": subscription.active,
            "description": subscription.description,
            "created_at": subscription.created_at,
            "updated_at": subscription.updated_at,
        }
        await self._db.execute(upsert(table, row, key=["id"]))

    async def delete(self, subscription_id: str) -> None:
        await self._db.execute(delete(table).where(table.c.id == subscription_id))


def _subscription(row: Any) -> Subscription:
    return Subscription(
        id=row.id,
        organization_id=row.organization_id,
        url=row.url,
        event_types=frozenset(row.event_types),
        secrets=tuple(
            Secret(
                s["value"],
                datetime.fromisoformat(s["validUntil"]) if s.get("validUntil") else None,
            )
            for s in row.secrets
        ),
        active=row.active,
        description=row.description,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )

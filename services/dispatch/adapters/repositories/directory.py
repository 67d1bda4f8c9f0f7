"""What dispatch routes on: providers, designations and engineers (copied from identity's
events), with each engineer's availability, capacity, round-robin position and load."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicekit.db import upsert
from services.dispatch.adapters.tables import (
    assignment_sequence,
    decisions,
    designations,
    engineers,
    providers,
    tickets,
)
from services.dispatch.domain.routing import Availability, Engineer, Provider

UNLIMITED = 1_000_000  # capacity 0 means "no limit"
OPEN = ("assigned", "in_progress", "waiting_on_customer")


def _load() -> Any:
    """Open tickets of the engineer, plus decisions taken for him that his tickets do not
    show yet (so two quick decisions never both see the same free slot)."""
    held = (
        select(func.count())
        .select_from(tickets)
        .where(tickets.c.engineer_id == engineers.c.id, tickets.c.status.in_(OPEN))
        .scalar_subquery()
    )
    decided = (
        select(func.count())
        .select_from(decisions.join(tickets, tickets.c.id == decisions.c.ticket_id))
        .where(
            decisions.c.engineer_id == engineers.c.id,
            decisions.c.state.in_(("pending", "applied")),
            tickets.c.engineer_id == "",
            tickets.c.status == "pending_assignment",
        )
        .scalar_subquery()
    )
    return (held + decided).label("open_tickets")


def _engineer(row: Row[Any]) -> Engineer:
    return Engineer(
        id=row.id,
        provider_id=row.provider_id,
        skills=frozenset(row.skills),
        active=row.active,
        availability=Availability(row.availability),
        away_until=row.away_until,
        capacity=row.capacity or UNLIMITED,
        open_tickets=row.open_tickets,
        last_assigned_seq=row.last_assigned_seq,
        shift_calendar_id=row.shift_calendar_id,
    )


class DirectoryRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def providers(self, provider_ids: set[str]) -> dict[str, Provider]:
        if not provider_ids:
            return {}
        rows = await self._db.execute(select(providers).where(providers.c.id.in_(provider_ids)))
        served: dict[str, set[str]] = {}
        for enterprise_id, provider_id in await self._db.execute(
            select(designations.c.enterprise_id, designations.c.provider_id).where(
                designations.c.provider_id.in_(provider_ids)
            )
        ):
            served.setdefault(provider_id, set()).add(enterprise_id)
        return {r.id: Provider(r.id, r.active, frozenset(served.get(r.id, ()))) for r in rows}

    async def engineers_of(self, provider_id: str) -> list[Engineer]:
        rows = await self._db.execute(
            select(engineers, _load())
            .where(engineers.c.provider_id == provider_id)
            .order_by(engineers.c.id)
        )
        return [_engineer(r) for r in rows]

    async def engineer(self, engineer_id: str) -> Engineer | None:
        row = (
            await self._db.execute(select(engineers, _load()).where(engineers.c.id == engineer_id))
        ).first()
        return _engineer(row) if row else None

    async def set_availability(
        self,
        engineer_id: str,
        *,
        available: bool,
        away_until: datetime | None,
        capacity: int,
        shift_calendar_id: str = "",
    ) -> None:
        if available:
            state, away_until = Availability.ON_DUTY, None
        else:
            state = Availability.AWAY if away_until else Availability.OFF
        await self._db.execute(
            update(engineers)
            .where(engineers.c.id == engineer_id)
            .values(
                availability=state.value,
                away_until=away_until,
                capacity=capacity,
                shift_calendar_id=shift_calendar_id,
            )
        )

    async def mark_assigned(self, engineer_id: str) -> None:
        await self._db.execute(
            update(engineers)
            .where(engineers.c.id == engineer_id)
            .values(last_assigned_seq=assignment_sequence.next_value())
        )

    # --- fed by identity's events -------------------------------------------------------

    async def set_provider(self, provider_id: str, *, active: bool) -> None:
        await self._db.execute(upsert(providers, {"id": provider_id, "active": active}, key=["id"]))

    async def set_engineer(
        self, engineer_id: str, *, provider_id: str, name: str, skills: list[str], active: bool
    ) -> None:
        values = {
            "id": engineer_id,
            "provider_id": provider_id,
            "display_name": name,
            "skills": skills,
            "active": active,
        }
        await self._db.execute(upsert(engineers, values, key=["id"]))

    async def set_designation(self, enterprise_id: str, provider_id: str, *, present: bool) -> None:
        if present:
            await self._db.execute(
                insert(designations)
                .values(enterprise_id=enterprise_id, provider_id=provider_id)
                .on_conflict_do_nothing()
            )
            return
        await self._db.execute(
            delete(designations).where(
                and_(
                    designations.c.enterprise_id == enterprise_id,
                    designations.c.provider_id == provider_id,
                )
            )
        )

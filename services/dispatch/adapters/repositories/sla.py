"""Business calendars, SLA policies and each ticket's clocks on PostgreSQL.

Definitions are JSON; a ticket's clocks are one row (`sla_tickets`) holding its clocks and the
alerts raised as JSON, with the next alert's time as an indexed column for the timer."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, any_, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dispatch.adapters.calendars import official_days
from services.dispatch.adapters.tables import business_calendars, sla_policies, sla_tickets
from services.dispatch.domain.sla import Clock, Escalation, EscalationAction, Target
from services.dispatch.domain.sla_clock import BusinessCalendar, Hours, Pause
from services.dispatch.domain.sla_config import CalendarSpec, PolicySpec
from services.dispatch.domain.sla_tracking import SlaFacts, TicketClocks
from services.dispatch.service_layer.ports import Stored


def _hours(value: Hours) -> list[list[int]]:
    return [list(pair) for pair in value]


def _hours_of(value: list[list[int]]) -> Hours:
    return tuple((a, b) for a, b in value)


def calendar_definition(spec: CalendarSpec) -> dict[str, Any]:
    return {
        "timezone": spec.timezone,
        "always_open": spec.always_open,
        "weekly": [_hours(h) for h in spec.weekly],
        "holiday_country": spec.holiday_country,
        "extra_holidays": sorted(d.isoformat() for d in spec.extra_holidays),
        "extra_workdays": sorted(d.isoformat() for d in spec.extra_workdays),
        "makeup_hours": _hours(spec.makeup_hours),
    }


def calendar_of(row: Row[Any]) -> CalendarSpec:
    d = row.definition
    return CalendarSpec(
        id=row.id,
        name=row.display_name,
        timezone=d["timezone"],
        always_open=d["always_open"],
        weekly=tuple(_hours_of(h) for h in d["weekly"]),
        holiday_country=d["holiday_country"],
        extra_holidays=frozenset(date.fromisoformat(x) for x in d["extra_holidays"]),
        extra_workdays=frozenset(date.fromisoformat(x) for x in d["extra_workdays"]),
        makeup_hours=_hours_of(d["makeup_hours"]),
        version=row.version,
    )


def policy_definition(spec: PolicySpec) -> dict[str, Any]:
    return {
        "warn_at": list(spec.warn_at),
        "escalations": [
            {"offset_seconds": e.offset.total_seconds(), "role": e.role, "action": e.action.value}
            for e in spec.escalations
        ],
        "pause_while_pending_approval": spec.pause_while_pending_approval,
    }


def policy_of(row: Row[Any]) -> PolicySpec:
    d = row.definition
    return PolicySpec(
        id=row.id,
        name=row.display_name,
        service_level_ids=frozenset(row.service_level_ids),
        calendar_id=row.calendar_id,
        warn_at=tuple(d["warn_at"]),
        escalations=tuple(
            Escalation(
                timedelta(seconds=e["offset_seconds"]),
                EscalationAction(e.get("action", EscalationAction.NOTIFY_ROLE.value)),
                e["role"],
            )
            for e in d["escalations"]
        ),
        pause_while_pending_approval=d["pause_while_pending_approval"],
        version=row.version,
    )


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _clock_json(clock: Clock) -> dict[str, Any]:
    return {
        "target": clock.target.value,
        "started_at": clock.started_at.isoformat(),
        "seconds": clock.duration.total_seconds(),
        "pauses": [
            [p.start.isoformat(), p.end.isoformat() if p.end else None] for p in clock.pauses
        ],
        "met_at": clock.met_at.isoformat() if clock.met_at else None,
    }


def _clock_of(d: dict[str, Any]) -> Clock:
    return Clock(
        target=Target(d["target"]),
        started_at=datetime.fromisoformat(d["started_at"]),
        duration=timedelta(seconds=d["seconds"]),
        pauses=[Pause(datetime.fromisoformat(s), _when(e)) for s, e in d["pauses"]],
        met_at=_when(d["met_at"]),
    )


def tracked_of(row: Row[Any]) -> TicketClocks:
    clocks = [_clock_of(c) for c in row.clocks]
    return TicketClocks(
        ticket_id=row.ticket_id,
        policy_id=row.policy_id,
        facts=SlaFacts(
            ticket_id=row.ticket_id,
            status=row.status,
            created_at=row.created_at,
            service_level_id=row.service_level_id,
            number=row.number,
            title=row.title,
            priority=row.priority,
            enterprise_id=row.enterprise_id,
            provider_id=row.provider_id,
            engineer_id=row.engineer_id,
            requester_id=row.requester_id,
        ),
        clocks={c.target: c for c in clocks},
        fired={Target(k): set(v) for k, v in row.fired.items()},
        stopped_at=row.stopped_at,
    )


class SlaRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    # --- calendars ---------------------------------------------------------------------------

    async def add_calendar(self, spec: CalendarSpec) -> Stored[CalendarSpec]:
        row = (
            await self._db.execute(
                insert(business_calendars)
                .values(
                    id=spec.id,
                    version=spec.version,
                    display_name=spec.name,
                    definition=calendar_definition(spec),
                )
                .returning(business_calendars)
            )
        ).one()
        return Stored(calendar_of(row), row.created_at, row.updated_at)

    async def save_calendar(self, spec: CalendarSpec) -> Stored[CalendarSpec]:
        row = (
            await self._db.execute(
                update(business_calendars)
                .where(business_calendars.c.id == spec.id)
                .values(
                    version=spec.version,
                    display_name=spec.name,
                    definition=calendar_definition(spec),
                    updated_at=func.now(),
                )
                .returning(business_calendars)
            )
        ).one()
        return Stored(calendar_of(row), row.created_at, row.updated_at)

    async def get_calendar(
        self, calendar_id: str, *, lock: bool = False
    ) -> Stored[CalendarSpec] | None:
        query = select(business_calendars).where(business_calendars.c.id == calendar_id)
        row = (await self._db.execute(query.with_for_update() if lock else query)).first()
        return Stored(calendar_of(row), row.created_at, row.updated_at) if row else None

    async def calendars(self, offset: int, limit: int) -> list[Stored[CalendarSpec]]:
        rows = await self._db.execute(
            select(business_calendars)
            .order_by(business_calendars.c.display_name, business_calendars.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [Stored(calendar_of(r), r.created_at, r.updated_at) for r in rows]

    async def business_calendar(self, calendar_id: str) -> BusinessCalendar | None:
        """The clock's calendar (None: round the clock, or unknown)."""
        if not calendar_id:
            return None
        stored = await self.get_calendar(calendar_id)
        if stored is None:
            return None
        spec = stored.value
        holidays, workdays = official_days(spec.holiday_country)
        return spec.calendar(holidays, workdays)

    # --- policies ------------------------------------------------------------------------------

    async def add_policy(self, spec: PolicySpec) -> Stored[PolicySpec]:
        row = (
            await self._db.execute(
                insert(sla_policies)
                .values(
                    id=spec.id,
                    version=spec.version,
                    display_name=spec.name,
                    service_level_ids=sorted(spec.service_level_ids),
                    calendar_id=spec.calendar_id,
                    definition=policy_definition(spec),
                )
                .returning(sla_policies)
            )
        ).one()
        return Stored(policy_of(row), row.created_at, row.updated_at)

    async def save_policy(self, spec: PolicySpec) -> Stored[PolicySpec]:
        row = (
            await self._db.execute(
                update(sla_policies)
                .where(sla_policies.c.id == spec.id)
                .values(
                    version=spec.version,
                    display_name=spec.name,
                    service_level_ids=sorted(spec.service_level_ids),
                    calendar_id=spec.calendar_id,
                    definition=policy_definition(spec),
                    updated_at=func.now(),
                )
                .returning(sla_policies)
            )
        ).one()
        return Stored(policy_of(row), row.created_at, row.updated_at)

    async def get_policy(self, policy_id: str, *, lock: bool = False) -> Stored[PolicySpec] | None:
        query = select(sla_policies).where(sla_policies.c.id == policy_id)
        row = (await self._db.execute(query.with_for_update() if lock else query)).first()
        return Stored(policy_of(row), row.created_at, row.updated_at) if row else None

    async def policies(self, offset: int, limit: int) -> list[Stored[PolicySpec]]:
        rows = await self._db.execute(
            select(sla_policies)
            .order_by(sla_policies.c.display_name, sla_policies.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [Stored(policy_of(r), r.created_at, r.updated_at) for r in rows]

    async def policy_for_level(self, service_level_id: str) -> PolicySpec | None:
        if not service_level_id:
            return None
        row = (
            await self._db.execute(
                select(sla_policies)
                .where(any_(sla_policies.c.service_level_ids) == service_level_id)
                .order_by(sla_policies.c.created_at)
                .limit(1)
            )
        ).first()
        return policy_of(row) if row else None

    async def levels_taken(self, levels: set[str], except_policy: str) -> set[str]:
        """Which of `levels` another policy measures already."""
        if not levels:
            return set()
        rows = await self._db.execute(
            select(func.unnest(sla_policies.c.service_level_ids).label("level")).where(
                sla_policies.c.id != except_policy
            )
        )
        return {r.level for r in rows} & levels

    async def policies_of_calendar(self, calendar_id: str) -> list[str]:
        rows = await self._db.execute(
            select(sla_policies.c.id).where(sla_policies.c.calendar_id == calendar_id)
        )
        return [r.id for r in rows]

    # --- tickets' clocks ---------------------------------------------------------------------

    async def get_clocks(self, ticket_id: str, *, lock: bool = False) -> TicketClocks | None:
        query = select(sla_tickets).where(sla_tickets.c.ticket_id == ticket_id)
        row = (await self._db.execute(query.with_for_update() if lock else query)).first()
        return tracked_of(row) if row else None

    async def save_clocks(
        self,
        tracked: TicketClocks,
        *,
        next_due: datetime | None,
        response_due: datetime | None,
        resolution_due: datetime | None,
    ) -> None:
        f = tracked.facts
        values = {
            "policy_id": tracked.policy_id,
            "service_level_id": f.service_level_id,
            "number": f.number,
            "title": f.title,
            "priority": f.priority,
            "status": f.status,
            "enterprise_id": f.enterprise_id,
            "provider_id": f.provider_id,
            "engineer_id": f.engineer_id,
            "requester_id": f.requester_id,
            "clocks": [_clock_json(c) for c in tracked.clocks.values()],
            "fired": {t.value: sorted(keys) for t, keys in tracked.fired.items()},
            "stopped_at": tracked.stopped_at,
            "next_due_at": next_due,
            "response_due_at": response_due,
            "resolution_due_at": resolution_due,
            "updated_at": func.now(),
        }
        statement = pg_insert(sla_tickets).values(
            ticket_id=tracked.ticket_id, created_at=f.created_at, **values
        )
        await self._db.execute(
            statement.on_conflict_do_update(index_elements=[sla_tickets.c.ticket_id], set_=values)
        )

    async def due(self, now: datetime, limit: int) -> list[str]:
        """Tickets with an alert due by `now`, locked for this unit (other replicas skip them)."""
        rows = await self._db.execute(
            select(sla_tickets.c.ticket_id)
            .where(sla_tickets.c.next_due_at <= now)
            .order_by(sla_tickets.c.next_due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [r.ticket_id for r in rows]

    async def open_for_policies(
        self, policy_ids: list[str], levels: set[str]
    ) -> list[tuple[str, datetime | None, datetime | None]]:
        """Open tickets measured by these policies or at these levels, locked, with their
        current deadlines."""
        rows = await self._db.execute(
            select(
                sla_tickets.c.ticket_id,
                sla_tickets.c.response_due_at,
                sla_tickets.c.resolution_due_at,
            )
            .where(
                and_(
                    sla_tickets.c.stopped_at.is_(None),
                    sla_tickets.c.status.not_in(("closed",)),
                    or_(
                        sla_tickets.c.policy_id.in_(policy_ids),
                        sla_tickets.c.service_level_id.in_(sorted(levels)),
                    ),
                )
            )
            .order_by(sla_tickets.c.ticket_id)
            .with_for_update()
        )
        return [(r.ticket_id, r.response_due_at, r.resolution_due_at) for r in rows]

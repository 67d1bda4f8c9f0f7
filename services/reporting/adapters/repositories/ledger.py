"""The ledger on PostgreSQL: append-only, one partition per month of occurrence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.reporting.adapters.tables import ledger
from services.reporting.service_layer.ports import LedgerEntry

PARTITION_LOCK = 0x7E_D6E5  # advisory lock key: one partition maker at a time
# A batch of events in one statement of constant shape (arrays, not a VALUES row each).
_APPEND = text(
    "INSERT INTO ledger (event_id, occurred_at, event_type, aggregate_type, aggregate_id, "
    "aggregate_version, recorded_at, envelope) "
    "SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:occurred AS timestamptz[]), "
    "CAST(:types AS text[]), CAST(:aggregate_types AS text[]), CAST(:aggregate_ids AS text[]), "
    "CAST(:versions AS bigint[]), CAST(:recorded AS timestamptz[]), CAST(:envelopes AS bytea[])) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)
_OF_AGGREGATES = (
    select(ledger)
    .where(
        ledger.c.aggregate_type == bindparam("type"),
        ledger.c.aggregate_id.in_(bindparam("ids", expanding=True)),
    )
    .order_by(
        ledger.c.aggregate_id, ledger.c.aggregate_version, ledger.c.occurred_at, ledger.c.event_id
    )
)


class LedgerRepository:
    def __init__(self, connection: AsyncConnection):
        self._db = connection

    async def add(self, entries: list[LedgerEntry]) -> set[str]:
        if not entries:
            return set()
        rows = await self._db.execute(
            _APPEND,
            {
                "ids": [e.event_id for e in entries],
                "occurred": [e.occurred_at for e in entries],
                "types": [e.event_type for e in entries],
                "aggregate_types": [e.aggregate_type for e in entries],
                "aggregate_ids": [e.aggregate_id for e in entries],
                "versions": [e.version for e in entries],
                "recorded": [e.recorded_at for e in entries],
                "envelopes": [e.envelope for e in entries],
            },
        )
        return set(rows.scalars())

    async def of_aggregates(
        self, aggregate_type: str, aggregate_ids: list[str]
    ) -> dict[str, list[LedgerEntry]]:
        found: dict[str, list[LedgerEntry]] = {}
        if not aggregate_ids:
            return found
        rows = await self._db.execute(
            _OF_AGGREGATES, {"type": aggregate_type, "ids": list(aggregate_ids)}
        )
        for row in rows.mappings():
            found.setdefault(row["aggregate_id"], []).append(entry_of_row(row))
        return found


def entry_of_row(row: Any) -> LedgerEntry:
    """A ledger row (a mapping) as the service layer's entry."""
    return LedgerEntry(
        event_id=row["event_id"],
        event_type=row["event_type"],
        aggregate_type=row["aggregate_type"],
        aggregate_id=row["aggregate_id"],
        version=row["aggregate_version"],
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        envelope=row["envelope"],
    )


def _month(moment: datetime, ahead: int) -> tuple[int, int]:
    month = moment.year * 12 + moment.month - 1 + ahead
    return month // 12, month % 12 + 1


async def ensure_partitions(
    engine: AsyncEngine, now: datetime, *, months_ahead: int = 2
) -> list[str]:
    """Makes the partitions of this month and the next `months_ahead` that are missing;
    returns their names. Only months to come: a month with rows in the default partition
    cannot get its own (PostgreSQL refuses), and its rows are few — events that occurred
    before reporting first ran."""
    made: list[str] = []
    async with engine.begin() as db:
        await db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PARTITION_LOCK})
        for ahead in range(months_ahead + 1):
            year, month = _month(now.astimezone(UTC), ahead)
            name = f"ledger_{year:04d}{month:02d}"
            exists = await db.scalar(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name})
            if exists:
                continue
            start = datetime(year, month, 1, tzinfo=UTC)
            next_year, next_month = _month(start, 1)
            end = datetime(next_year, next_month, 1, tzinfo=UTC)
            # Names and bounds come from integers above, never from input.
            await db.execute(
                text(
                    f"CREATE TABLE {name} PARTITION OF ledger "
                    f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
                )
            )
            made.append(name)
    return made

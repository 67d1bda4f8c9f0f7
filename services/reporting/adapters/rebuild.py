"""Rebuilding the ticket facts from the ledger into a new table, then swapping it in.

The reports keep reading the current table while the new one fills (one pass over the ledger's
ticket events in ticket and version order, folded by `domain/facts.py`, inserted in batches).
The swap takes the table's lock for a moment: under it, the tickets whose events were recorded
since the rebuild began are folded again into the new table (the recorder keeps running), the
tables are renamed, the old one dropped and the new one's indexes and key take the old names
(so migrations find what they expect). A recorder statement waiting on the lock then writes to
the new table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import MetaData, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.reporting.adapters.repositories.facts import row_of
from services.reporting.adapters.repositories.ledger import entry_of_row
from services.reporting.adapters.tables import ledger, ticket_facts
from services.reporting.domain.facts import TicketEvent, fold
from services.reporting.service_layer.ports import LedgerEntry

NEXT = "ticket_facts_next"
CLOCK_MARGIN = timedelta(minutes=5)  # recorders' clocks may differ from this process's
TICKET = "ticket"
Decode = Callable[[LedgerEntry], TicketEvent | None]


@dataclass(frozen=True)
class Rebuilt:
    tickets: int
    events: int
    seconds: float


# The new table's shape, for inserts only (its own MetaData: migrations never see it).
NEXT_TABLE = ticket_facts.to_metadata(MetaData(), name=NEXT)


async def rebuild(engine: AsyncEngine, decode: Decode, *, batch: int = 2_000) -> Rebuilt:
    started = time.perf_counter()
    target = NEXT_TABLE
    async with engine.begin() as db:
        began: datetime = (await db.execute(select(func.now()))).scalar_one()
        indexes = await _index_definitions(db)
        await db.execute(text(f"DROP TABLE IF EXISTS {NEXT}"))
        await db.execute(
            text(
                f"CREATE TABLE {NEXT} (LIKE ticket_facts INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            )
        )
    tickets = events = 0
    rows: list[dict[str, Any]] = []
    async with engine.connect() as reader, engine.connect() as writer:
        stream = await reader.stream(
            select(ledger)
            .where(ledger.c.aggregate_type == TICKET)
            .order_by(
                ledger.c.aggregate_id,
                ledger.c.aggregate_version,
                ledger.c.occurred_at,
                ledger.c.event_id,
            )
            .execution_options(yield_per=5_000)
        )
        current: str | None = None
        pending: list[TicketEvent] = []
        async for row in stream.mappings():
            events += 1
            if row["aggregate_id"] != current:
                tickets += _fold_into(rows, pending)
                pending, current = [], row["aggregate_id"]
            event = decode(entry_of_row(row))
            if event is not None:
                pending.append(event)
            if len(rows) >= batch:
                await _insert(writer, target, rows)
        tickets += _fold_into(rows, pending)
        await _insert(writer, target, rows)
    async with engine.begin() as db:
        await db.execute(
            text(f"ALTER TABLE {NEXT} ADD CONSTRAINT {NEXT}_pkey PRIMARY KEY (ticket_id)")
        )
        for name, definition in indexes.items():
            await db.execute(
                text(
                    definition.replace(f"INDEX {name} ON", f"INDEX {name}_next ON", 1).replace(
                        " public.ticket_facts ", f" public.{NEXT} ", 1
                    )
                )
            )
    async with engine.begin() as db:
        await db.execute(text("LOCK TABLE ticket_facts IN ACCESS EXCLUSIVE MODE"))
        await _catch_up(db, target, decode, since=began - CLOCK_MARGIN)
        await db.execute(text("ALTER TABLE ticket_facts RENAME TO ticket_facts_old"))
        await db.execute(text(f"ALTER TABLE {NEXT} RENAME TO ticket_facts"))
        await db.execute(text("DROP TABLE ticket_facts_old"))
        await db.execute(
            text(f"ALTER TABLE ticket_facts RENAME CONSTRAINT {NEXT}_pkey TO ticket_facts_pkey")
        )
        for name in indexes:
            await db.execute(text(f"ALTER INDEX {name}_next RENAME TO {name}"))
    return Rebuilt(tickets=tickets, events=events, seconds=time.perf_counter() - started)


async def _index_definitions(db: AsyncConnection) -> dict[str, str]:
    rows = await db.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND tablename = 'ticket_facts' AND indexname <> 'ticket_facts_pkey'"
        )
    )
    return {name: definition for name, definition in rows}


def _fold_into(rows: list[dict[str, Any]], events: list[TicketEvent]) -> int:
    fact = fold(events)
    if fact is None:
        return 0
    rows.append(row_of(fact))
    return 1


async def _insert(db: AsyncConnection, target: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        await db.execute(insert(target), rows)
        await db.commit()
        rows.clear()


async def _catch_up(db: AsyncConnection, target: Table, decode: Decode, *, since: Any) -> None:
    """Folds again, into the new table, every ticket with events recorded since `since`."""
    touched = await db.scalars(
        select(ledger.c.aggregate_id)
        .where(ledger.c.aggregate_type == TICKET, ledger.c.recorded_at >= since)
        .distinct()
    )
    for ticket_id in list(touched):
        found = await db.execute(
            select(ledger).where(
                ledger.c.aggregate_type == TICKET, ledger.c.aggregate_id == ticket_id
            )
        )
        fact = fold(e for e in (decode(entry_of_row(r)) for r in found.mappings()) if e is not None)
        if fact is None:
            continue
        await db.execute(target.delete().where(target.c.ticket_id == ticket_id))
        await db.execute(insert(target), [row_of(fact)])

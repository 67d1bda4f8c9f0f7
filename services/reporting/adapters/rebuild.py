"""Rebuilding the ticket facts and their history from the ledger into new tables, then swapping
them in.

The reports keep reading the current tables while the new ones fill (one pass over the ledger's
ticket events in ticket and version order, folded by `domain/facts.py`, written with COPY). The
swap takes the tables' locks for a moment: under them, the tickets whose events were recorded
since the rebuild began are folded again into the new tables (the recorder keeps running), the
tables are renamed, the old ones dropped and the new ones' indexes and keys take the old names
(so migrations find what they expect). A recorder statement waiting on a lock then writes to the
new tables.

With a `cut`, only what was known by then counts (events that had occurred and been recorded):
the facts become what an `asOfTime` report at the cut answers from. That is for checking and
for investigation; a rebuild without a cut restores the present.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.reporting.adapters.repositories.facts import history_rows, row_of
from services.reporting.adapters.repositories.ledger import entry_of_row
from services.reporting.adapters.tables import ledger, ticket_fact_history, ticket_facts
from services.reporting.domain.facts import TicketEvent, known_at, versions
from services.reporting.service_layer.ports import LedgerEntry

CLOCK_MARGIN = timedelta(minutes=5)  # recorders' clocks may differ from this process's
TICKET = "ticket"
TABLES = ("ticket_facts", "ticket_fact_history")
FACT_COLUMNS = tuple(c.name for c in ticket_facts.columns)
HISTORY_COLUMNS = tuple(c.name for c in ticket_fact_history.columns)
Decode = Callable[[LedgerEntry], TicketEvent | None]


@dataclass(frozen=True)
class Rebuilt:
    tickets: int
    events: int
    seconds: float
    folding_seconds: float = 0.0  # reading the ledger, folding, writing the rows
    indexing_seconds: float = 0.0  # keys and indexes of the new tables


class _Writer:
    """Rows for the new tables, written with COPY a batch at a time."""

    def __init__(self, db: AsyncConnection, batch: int):
        self._db = db
        self._batch = batch
        self.facts: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []

    def add(self, timed: list[tuple[datetime, TicketEvent]]) -> int:
        if not timed:  # none of its events is one reporting folds
            return 0
        found = versions(timed, since=min(at for at, _ in timed))
        fact = found[-1][1] if found else None  # the last version is the fold of them all
        if fact is None:
            return 0
        self.facts.append(row_of(fact))
        self.history += history_rows(found)
        return 1

    async def flush(self, force: bool = False) -> None:
        if len(self.facts) < self._batch and not force:
            return
        await _copy(self._db, "ticket_facts_next", FACT_COLUMNS, self.facts)
        await _copy(self._db, "ticket_fact_history_next", HISTORY_COLUMNS, self.history)
        await self._db.commit()
        self.facts.clear()
        self.history.clear()


async def _copy(
    db: AsyncConnection, table: str, columns: tuple[str, ...], rows: list[dict[str, Any]]
) -> None:
    if not rows:
        return
    if not db.in_transaction():
        await db.begin()
    raw: Any = (await db.get_raw_connection()).driver_connection
    async with raw.cursor() as cursor:
        names = ", ".join(columns)
        async with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            await copy.write(copy_lines(rows, columns).encode())


def copy_lines(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """Rows in COPY's text format. A ticket's versions repeat most of their values (ids, title,
    times), so each distinct value is formatted once per batch."""
    memo: dict[Any, str] = {}
    lines = []
    for row in rows:
        cells = []
        for column in columns:
            value = row[column]
            # The type is part of the key: True == 1, but COPY must read "True" and "1".
            key = (type(value), tuple(value) if type(value) is list else value)
            text = memo.get(key)
            if text is None:
                text = memo[key] = copy_text(value)
            cells.append(text)
        lines.append("\t".join(cells))
    lines.append("")
    return "\n".join(lines)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: Any) -> str:
    """A value in COPY's text format (psycopg's own row writer is several times slower: it
    looks up a dumper per value, and arrays are dumped in Python)."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        quoted = ('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value)
        return ("{" + ",".join(quoted) + "}").translate(_COPY_ESCAPES)
    return str(value)


def _known(cut: datetime | None) -> list[ColumnElement[bool]]:
    if cut is None:
        return []
    return [func.greatest(ledger.c.occurred_at, ledger.c.recorded_at) <= cut]


def _timed(rows: Iterable[Any], decode: Decode) -> list[tuple[datetime, TicketEvent]]:
    timed = []
    for row in rows:
        entry = entry_of_row(row)
        event = decode(entry)
        if event is not None:
            timed.append((known_at(entry.occurred_at, entry.recorded_at), event))
    return timed


async def rebuild(
    engine: AsyncEngine, decode: Decode, *, batch: int = 2_000, cut: datetime | None = None
) -> Rebuilt:
    started = time.perf_counter()
    async with engine.begin() as db:
        began: datetime = (await db.execute(select(func.now()))).scalar_one()
        indexes = {table: await _index_definitions(db, table) for table in TABLES}
        for table in TABLES:
            await db.execute(text(f"DROP TABLE IF EXISTS {table}_next"))
            await db.execute(
                text(
                    f"CREATE TABLE {table}_next "
                    f"(LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
                )
            )
    tickets = events = 0
    async with engine.connect() as reader, engine.connect() as db:
        writer = _Writer(db, batch)
        stream = await reader.stream(
            select(ledger)
            .where(ledger.c.aggregate_type == TICKET, *_known(cut))
            .order_by(
                ledger.c.aggregate_id,
                ledger.c.aggregate_version,
                ledger.c.occurred_at,
                ledger.c.event_id,
            )
            .execution_options(yield_per=5_000)
        )
        current: str | None = None
        pending: list[Any] = []
        async for row in stream.mappings():
            events += 1
            if row["aggregate_id"] != current:
                tickets += writer.add(_timed(pending, decode)) if pending else 0
                pending, current = [], row["aggregate_id"]
                await writer.flush()
            pending.append(row)
        tickets += writer.add(_timed(pending, decode)) if pending else 0
        await writer.flush(force=True)
    folded = time.perf_counter()
    async with engine.begin() as db:
        for table in TABLES:
            key = await db.scalar(
                text(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conname = :name AND contype = 'p'"
                ),
                {"name": f"{table}_pkey"},
            )
            await db.execute(
                text(f"ALTER TABLE {table}_next ADD CONSTRAINT {table}_next_pkey {key}")
            )
            for name, definition in indexes[table].items():
                await db.execute(
                    text(
                        definition.replace(f"INDEX {name} ON", f"INDEX {name}_next ON", 1).replace(
                            f" public.{table} ", f" public.{table}_next ", 1
                        )
                    )
                )
    indexed = time.perf_counter()
    async with engine.begin() as db:
        await db.execute(text(f"LOCK TABLE {', '.join(TABLES)} IN ACCESS EXCLUSIVE MODE"))
        await _catch_up(db, decode, since=began - CLOCK_MARGIN, cut=cut)
        for table in TABLES:
            await db.execute(text(f"ALTER TABLE {table} RENAME TO {table}_old"))
            await db.execute(text(f"ALTER TABLE {table}_next RENAME TO {table}"))
            await db.execute(text(f"DROP TABLE {table}_old"))
            await db.execute(
                text(f"ALTER TABLE {table} RENAME CONSTRAINT {table}_next_pkey TO {table}_pkey")
            )
            for name in indexes[table]:
                await db.execute(text(f"ALTER INDEX {name}_next RENAME TO {name}"))
    return Rebuilt(
        tickets=tickets,
        events=events,
        seconds=time.perf_counter() - started,
        folding_seconds=folded - started,
        indexing_seconds=indexed - folded,
    )


async def _index_definitions(db: AsyncConnection, table: str) -> dict[str, str]:
    rows = await db.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND tablename = :table AND indexname <> :key"
        ),
        {"table": table, "key": f"{table}_pkey"},
    )
    return {name: definition for name, definition in rows}


async def _catch_up(
    db: AsyncConnection, decode: Decode, *, since: datetime, cut: datetime | None
) -> None:
    """Folds again, into the new tables, every ticket with events recorded since `since`."""
    touched = await db.scalars(
        select(ledger.c.aggregate_id)
        .where(ledger.c.aggregate_type == TICKET, ledger.c.recorded_at >= since, *_known(cut))
        .distinct()
    )
    writer = _Writer(db, batch=0)
    for ticket_id in list(touched):
        found = await db.execute(
            select(ledger).where(
                ledger.c.aggregate_type == TICKET, ledger.c.aggregate_id == ticket_id, *_known(cut)
            )
        )
        for table in TABLES:
            await db.execute(
                text(f"DELETE FROM {table}_next WHERE ticket_id = :id"), {"id": ticket_id}
            )
        timed = _timed(found.mappings(), decode)
        if timed:
            writer.add(timed)
    await _copy(db, "ticket_facts_next", FACT_COLUMNS, writer.facts)
    await _copy(db, "ticket_fact_history_next", HISTORY_COLUMNS, writer.history)

"""Reporting benchmark (issue 11), on its own embedded PostgreSQL (and a tansu broker for the lag
phase), in four phases:

1. **Replay**: realistic histories (bench/ticket_histories.py, ~8 events a ticket over the
   past year) are written straight into the ledger (COPY) until it holds `--events`; then the
   rebuild command's code (`adapters/rebuild.py`: read the ledger in ticket order, decode each
   envelope, fold, insert, index, swap) rebuilds the facts. Prints events/s.
2. **Dashboard**: the facts are grown to `--facts` tickets (folded from generated histories and
   COPYed in), then every report's use case runs as the platform, as the biggest enterprise's
   admin and as a provider's admin, over the default 30 days and over a year. Prints p50/p95
   per report (in-process: the SQL and the use case, not gRPC or the gateway).
3. **Service log**: pages of 50 at depths from the first page to the last, as the platform over
   the year and as an enterprise. Prints p50/p99.
4. **Lag**: the recorder runs as its own process against tansu; events of new tickets are
   produced at `--rate` events/s for `--seconds`; lag is the event's occurred time (stamped as
   it is sent) → the recorder's recorded time, read back from the ledger. Prints p50/p99.

`python -m bench.reporting [--events 1000000] [--facts 1000000] [--rate 500] [--seconds 60]`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, select, text

from bench.ticket_histories import envelope_of, histories
from devstack.broker import TansuBroker
from devstack.ports import free_port
from devstack.postgres import EmbeddedPostgres, database_url, ensure_database, libpq_url
from devstack.topics import create_declared_topics
from servicekit.auth.principal import Principal
from servicekit.kafka import create_producer
from servicekit.migrations import upgrade
from services.reporting import mapping
from services.reporting.adapters.rebuild import copy_lines, rebuild
from services.reporting.adapters.repositories.facts import row_of
from services.reporting.adapters.tables import ledger, ticket_facts
from services.reporting.bootstrap import Runtime, build_deps
from services.reporting.domain.facts import fold
from services.reporting.domain.reports import Dimension, Filter, Interval, Measure
from services.reporting.service_layer import reports
from services.reporting.service_layer.ports import LogKey
from services.reporting.settings import ReportingSettings

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "services" / "reporting" / "migrations"
NOW = datetime.now(UTC).replace(microsecond=0)
YEAR_AGO = NOW - timedelta(days=365)
LEDGER_COLUMNS = (
    "event_id",
    "occurred_at",
    "event_type",
    "aggregate_type",
    "aggregate_id",
    "aggregate_version",
    "recorded_at",
    "envelope",
)
FACT_COLUMNS = tuple(c.name for c in ticket_facts.columns)
REPORT = frozenset({"report.read"})


def _ms(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]

    return at(0.5), at(0.95), at(0.99)


def _make_partitions(libpq: str) -> None:
    with psycopg.connect(libpq, autocommit=True) as db:
        month = datetime(YEAR_AGO.year, YEAR_AGO.month, 1, tzinfo=UTC)
        while month < NOW + timedelta(days=62):
            following = (month + timedelta(days=32)).replace(day=1)
            db.execute(
                f"CREATE TABLE IF NOT EXISTS ledger_{month:%Y%m} PARTITION OF ledger "
                f"FOR VALUES FROM ('{month.isoformat()}') TO ('{following.isoformat()}')"
            )
            month = following


def load_ledger(libpq: str, events: int, seed: int) -> tuple[int, int, float]:
    """Writes histories into the ledger until it holds `events`; (tickets, events, seconds)."""
    started = time.perf_counter()
    tickets = written = 0
    # ~8 events a ticket: ask for enough tickets, stop at the count.
    with psycopg.connect(libpq) as db, db.cursor() as cursor:
        columns = ", ".join(LEDGER_COLUMNS)
        with cursor.copy(f"COPY ledger ({columns}) FROM STDIN") as copy:
            for history in histories(events // 6, YEAR_AGO, NOW, seed=seed):
                tickets += 1
                for event in history:
                    envelope = envelope_of(event)
                    copy.write_row(
                        (
                            event.event_id,
                            event.occurred_at,
                            envelope.event_type,
                            "ticket",
                            event.ticket.ticket_id,
                            event.version,
                            event.occurred_at + timedelta(milliseconds=300),
                            envelope.SerializeToString(),
                        )
                    )
                    written += 1
                if written >= events:
                    break
        db.commit()
        cursor.execute("ANALYZE ledger")
    return tickets, written, time.perf_counter() - started


def _fact_rows(job: tuple[int, int]) -> str:
    """COPY text of the folded facts of `count` generated tickets (a worker process's share)."""
    count, seed = job
    rows = []
    for history in histories(count, YEAR_AGO, NOW, seed=seed):
        fact = fold(history)
        if fact is not None:
            rows.append(row_of(fact))
    return copy_lines(rows, FACT_COLUMNS)


def grow_facts(libpq: str, total: int, seed: int) -> tuple[int, float]:
    """Adds folded facts of generated tickets (made by a process per core) until the table
    holds `total`."""
    started = time.perf_counter()
    with psycopg.connect(libpq) as db, db.cursor() as cursor:
        have = cursor.execute("SELECT count(*) FROM ticket_facts").fetchone()[0]  # type: ignore[index]
        missing = max(0, total - have)
        chunk = 20_000
        jobs = [
            (min(chunk, missing - i), seed * 1_000 + n)
            for n, i in enumerate(range(0, missing, chunk))
        ]
        columns = ", ".join(FACT_COLUMNS)
        with multiprocessing.get_context("spawn").Pool(os.cpu_count() or 2) as pool:
            for text_rows in pool.imap_unordered(_fact_rows, jobs):
                with cursor.copy(f"COPY ticket_facts ({columns}) FROM STDIN") as copy:
                    copy.write(text_rows.encode())
                db.commit()
    with psycopg.connect(libpq, autocommit=True) as db:
        db.execute("VACUUM ANALYZE ticket_facts")
    return missing, time.perf_counter() - started


async def timed(call: Callable[[], Awaitable[Any]], repeat: int) -> list[float]:
    await call()  # warm: plans, caches
    found = []
    for _ in range(repeat):
        began = time.perf_counter()
        await call()
        found.append((time.perf_counter() - began) * 1000)
    return found


async def dashboard(
    deps: Runtime, repeat: int, year_repeat: int
) -> list[tuple[str, str, str, float, float]]:
    async with deps.engine.connect() as db:
        enterprise = (
            await db.execute(
                select(ticket_facts.c.enterprise_id, func.count())
                .group_by(ticket_facts.c.enterprise_id)
                .order_by(func.count().desc())
                .limit(1)
            )
        ).one()[0]
        provider = (
            await db.execute(
                select(ticket_facts.c.provider_id, func.count())
                .group_by(ticket_facts.c.provider_id)
                .order_by(func.count().desc())
                .limit(1)
            )
        ).one()[0]
    callers = {
        "platform": Principal("admin", "platform", permissions=REPORT),
        f"enterprise ({enterprise})": Principal("ea", "enterprise", enterprise, permissions=REPORT),
        f"provider ({provider})": Principal("pa", "provider", provider, permissions=REPORT),
    }
    ranges = {
        "30 days": (Filter(), repeat),
        "365 days": (Filter(start=YEAR_AGO, end=NOW), year_repeat),
    }
    asks: dict[str, Callable[[Principal, Filter], Awaitable[Any]]] = {
        "volume by day": lambda p, f: reports.volume(deps, p, f, Interval.DAY),
        "volume by month": lambda p, f: reports.volume(deps, p, f, Interval.MONTH),
        "durations by provider": lambda p, f: reports.durations(deps, p, f, Dimension.PROVIDER),
        "durations by enterprise": lambda p, f: reports.durations(deps, p, f, Dimension.ENTERPRISE),
        "top-10 enterprises by count": lambda p, f: reports.top_ten(
            deps, p, f, Dimension.ENTERPRISE, Measure.TICKET_COUNT
        ),
        "top-10 providers by duration": lambda p, f: reports.top_ten(
            deps, p, f, Dimension.PROVIDER, Measure.SERVICE_DURATION
        ),
        "top-10 engineers by satisfaction": lambda p, f: reports.top_ten(
            deps, p, f, Dimension.ENGINEER, Measure.SATISFACTION
        ),
        "sla compliance": lambda p, f: reports.sla_compliance(deps, p, f),
        "satisfaction": lambda p, f: reports.satisfaction(deps, p, f),
    }
    results = []
    for range_name, (asked, times) in ranges.items():
        for caller_name, principal in callers.items():
            for name, ask in asks.items():
                values = await timed(lambda a=ask, p=principal, f=asked: a(p, f), times)
                p50, p95, _ = _ms(values)
                results.append((range_name, caller_name, name, p50, p95))
                print(
                    f"  {range_name:8} {caller_name:24} {name:34} p50 {p50:7.1f}  p95 {p95:7.1f} ms"
                )
    return results


async def service_log(deps: Runtime, samples: int) -> dict[str, tuple[float, float, int]]:
    found: dict[str, tuple[float, float, int]] = {}
    async with deps.engine.connect() as db:
        enterprise = (
            await db.execute(
                select(ticket_facts.c.enterprise_id)
                .group_by(ticket_facts.c.enterprise_id)
                .order_by(func.count().desc())
                .limit(1)
            )
        ).scalar_one()
    for label, principal, where in (
        ("platform, 365 days", Principal("admin", "platform", permissions=REPORT), []),
        (
            f"enterprise {enterprise}, 365 days",
            Principal("ea", "enterprise", enterprise, permissions=REPORT),
            [ticket_facts.c.enterprise_id == enterprise],
        ),
    ):
        asked = Filter(start=YEAR_AGO, end=NOW)
        async with deps.engine.connect() as db:
            keys = (
                await db.execute(
                    select(ticket_facts.c.finished_at, ticket_facts.c.ticket_id)
                    .where(
                        ticket_facts.c.finished_at >= YEAR_AGO,
                        ticket_facts.c.finished_at < NOW,
                        *where,
                    )
                    .order_by(ticket_facts.c.finished_at.desc(), ticket_facts.c.ticket_id.desc())
                )
            ).all()
        rnd = random.Random(5)
        depths = [0, *sorted(rnd.randrange(len(keys)) for _ in range(samples - 1))]
        values = []
        for depth in depths:
            after = None if depth == 0 else LogKey(*keys[depth - 1])
            began = time.perf_counter()
            await reports.service_log(deps, principal, asked, after=after, limit=50)
            values.append((time.perf_counter() - began) * 1000)
        p50, _, p99 = _ms(values)
        found[label] = (p50, p99, len(keys))
        print(f"  {label:36} rows {len(keys):>9,}  p50 {p50:6.1f}  p99 {p99:6.1f} ms")
    return found


async def lag(
    deps: Runtime, libpq: str, folder: Path, rate: float, seconds: float
) -> tuple[int, float, float, float]:
    broker = TansuBroker()
    broker.start(folder / "tansu.log")
    recorder = None
    try:
        await create_declared_topics(broker.bootstrap)
        env = os.environ | {
            "TICKETING_DATABASE_URL": deps.settings.database_url,
            "TICKETING_KAFKA_BOOTSTRAP": broker.bootstrap,
            "TICKETING_GRPC_LISTEN": f"127.0.0.1:{free_port()}",
            "TICKETING_LOG_LEVEL": "WARNING",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "gen")]),
        }
        recorder = _start_recorder(env, folder / "recorder.log")
        producer = create_producer(broker.bootstrap)
        await producer.start()
        await asyncio.sleep(8)  # the recorder joins its group
        total = int(rate * seconds)
        # Tickets raised now whose whole lives are generated (their times are restamped as sent).
        # A new seed each run: a kept database has the last run's events (and inbox rows).
        seed = int(time.time())
        lives = histories(total // 4 + 100, NOW, NOW, seed=seed, until=NOW + timedelta(days=60))
        stream = _interleaved(lives)
        topic = "ticketing.tickets.ticket.v1"
        sent: list[str] = []
        started = time.monotonic()
        for n in range(total):
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            event = next(stream)
            envelope = envelope_of(event)
            envelope.occurred_time.FromDatetime(datetime.now(UTC))
            await producer.send(
                topic, envelope.SerializeToString(), key=envelope.aggregate_id.encode()
            )
            sent.append(event.event_id)
        await producer.flush()
        await producer.stop()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            async with deps.engine.connect() as db:
                have = await db.scalar(
                    select(func.count()).where(ledger.c.event_id.in_(sent[-1000:]))
                )
            if have == min(1000, len(sent)):
                break
            await asyncio.sleep(1)
        async with deps.engine.connect() as db:
            rows = (
                await db.execute(
                    text(
                        "SELECT extract(epoch FROM recorded_at - occurred_at) * 1000 "
                        "FROM ledger WHERE occurred_at >= :since"
                    ),
                    {"since": NOW},
                )
            ).scalars()
            values = [float(v) for v in rows]
        p50, _, p99 = _ms(values)
        return len(values), p50, p99, statistics.fmean(values)
    finally:
        if recorder is not None:
            recorder.terminate()
            recorder.wait(20)
        broker.stop()


def _start_recorder(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "services.reporting.entrypoints.recorder"],
        env=env,
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
    )


def _interleaved(source: Iterable[list[Any]], width: int = 200) -> Any:
    """Events of `width` tickets at a time, each ticket's in order."""
    iterator = iter(source)
    active = [list(h) for _, h in zip(range(width), iterator, strict=False)]
    while active:
        for history in list(active):
            if history:
                yield history.pop(0)
            else:
                active.remove(history)
                more = next(iterator, None)
                if more is not None:
                    active.append(list(more))


async def replay(libpq: str, deps: Runtime, events: int) -> None:
    tickets, written, loaded = load_ledger(libpq, events, seed=11)
    print(f"ledger: {written:,} events of {tickets:,} tickets written in {loaded:.0f} s")
    done = await rebuild(deps.engine, mapping.ticket_event_of)
    print(
        f"replay: {done.events:,} events → {done.tickets:,} facts in "
        f"{done.seconds:.1f} s = {done.events / done.seconds:,.0f} events/s "
        f"(reading, folding, writing {done.folding_seconds:.1f} s = "
        f"{done.events / done.folding_seconds:,.0f} events/s; "
        f"keys and indexes {done.indexing_seconds:.1f} s)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20, help="runs per 30-day query")
    parser.add_argument("--year-repeat", type=int, default=3, help="runs per 365-day query")
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument(
        "--data", default="", help="keep the database here; a second run reuses it (queries only)"
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--skip",
        default="",
        help="phases to skip, comma-separated: dashboard (and service log), lag",
    )
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    print(f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    with contextlib.ExitStack() as stack:
        folder = Path(args.data or stack.enter_context(tempfile.TemporaryDirectory()))
        os.makedirs(folder, exist_ok=True)
        postgres = EmbeddedPostgres(folder / "pg")
        postgres.start(folder / "postgres.log")
        try:
            ensure_database(postgres.url(), "reporting")
            url = database_url(postgres.url(), "reporting")
            upgrade(MIGRATIONS, url)
            libpq = libpq_url(url)
            _make_partitions(libpq)
            deps = build_deps(ReportingSettings(database_url=url))
            try:
                async with deps.engine.connect() as db:
                    recorded = await db.scalar(select(func.count()).select_from(ledger))
                if recorded:  # a kept database: measure the queries again
                    print(f"reusing {folder}: {recorded:,} ledger events")
                else:
                    await replay(libpq, deps, args.events)
                if "dashboard" not in skip:
                    added, grown = grow_facts(libpq, args.facts, seed=12)
                    print(f"facts: +{added:,} folded and copied in {grown:.0f} s")
                    print("dashboard (use case in-process; ms):")
                    await dashboard(deps, args.repeat, args.year_repeat)
                    print("service log, 50 a page, random depths (ms):")
                    await service_log(deps, args.pages)
                if "lag" not in skip:
                    n, p50, p99, mean = await lag(deps, libpq, folder, args.rate, args.seconds)
                    print(
                        f"lag at {args.rate:.0f} events/s for {args.seconds:.0f} s: {n:,} events, "
                        f"p50 {p50:.0f} ms  p99 {p99:.0f} ms  mean {mean:.0f} ms"
                    )
            finally:
                await deps.close()
        finally:
            postgres.stop()


if __name__ == "__main__":
    asyncio.run(main())

"""Ticket lists, search and statistics against real PostgreSQL with synthetic tickets: every
list query of every audience and order has an index path that stops at the page (EXPLAIN, with
sequential scans disabled, shows no table scan and no sort of more than the merged pages), keyset
pages follow each other without a gap or a repeat, and the counts the trigger keeps equal a
GROUP BY over the tickets after any mix of writes."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.synthetic_tickets import World, grow
from devstack.postgres import libpq_url
from servicekit.db import create_engine
from servicekit.migrations import upgrade
from services.tickets.adapters.repositories.tickets import ORDERS, TicketRepository, list_statements
from services.tickets.domain.status import Status
from services.tickets.domain.visibility import TicketScope, count_keys, counted_under
from services.tickets.service_layer.ports import TicketFilter

MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "tickets" / "migrations"
ROWS = 12_000
WORLD = World()

SCOPES = {
    "platform": TicketScope(everything=True),
    "enterprise": TicketScope(enterprise_id=WORLD.enterprises[0]),
    "departments": TicketScope(
        enterprise_id=WORLD.enterprises[0],
        department_ids=frozenset({WORLD.departments[0], WORLD.departments[40]}),
    ),
    "requester": TicketScope(enterprise_id=WORLD.enterprises[0], own_user_id=WORLD.people[0]),
    "provider": TicketScope(provider_id=WORLD.providers[0]),
    "engineer": TicketScope(provider_id=WORLD.providers[0], engineer_id=WORLD.engineers[0]),
}
FILTERS = {
    "none": TicketFilter(),
    "in progress": TicketFilter(statuses=(Status.ASSIGNED, Status.IN_PROGRESS)),
    "mine": TicketFilter(requester_id=WORLD.people[0]),
    "pool": TicketFilter(pool_of_provider=WORLD.providers[0]),
    "enterprise": TicketFilter(enterprise_id=WORLD.enterprises[1]),
}
SEARCHES = ("打印机", "wifi", "Printer", "网络", "锁")


@pytest.fixture(scope="module")
async def database(create_database) -> AsyncIterator[tuple[str, AsyncEngine]]:  # type: ignore[no-untyped-def]
    url = create_database("tickets_scale")
    upgrade(MIGRATIONS, url)
    with psycopg.connect(libpq_url(url)) as connection:
        grow(connection, WORLD, 0, ROWS)
    engine = create_engine(url, pool_size=4)
    yield url, engine
    await engine.dispose()


async def _plan(engine: AsyncEngine, statement: Any, *, searching: bool) -> dict[str, Any]:
    """The plan with table scans disabled (and, unless searching, bitmap scans and sorts): a
    disabled node still appears when nothing else can answer, which is what the test finds."""
    compiled = statement.compile(
        dialect=postgresql.psycopg.dialect(), compile_kwargs={"render_postcompile": True}
    )
    async with engine.connect() as connection:
        await connection.execute(text("SET enable_seqscan = off"))
        if not searching:
            await connection.execute(text("SET enable_bitmapscan = off"))
            await connection.execute(text("SET enable_sort = off"))
        answer = await connection.exec_driver_sql(
            "EXPLAIN (FORMAT JSON) " + compiled.string, compiled.params
        )
        plan = answer.scalar()
        await connection.rollback()
    return (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]  # type: ignore[no-any-return]


def _nodes(node: dict[str, Any], parent: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    yield node, parent
    for child in node.get("Plans", []):
        yield from _nodes(child, node)


def _under_limit(node: dict[str, Any]) -> bool:
    """The node's input is a merge of per-branch pages (each under its own Limit)."""
    inputs = node.get("Plans", [])
    while len(inputs) == 1 and inputs[0]["Node Type"] == "Subquery Scan":
        inputs = inputs[0].get("Plans", [])
    if len(inputs) == 1 and inputs[0].get("One-Time Filter") == "false":
        return True  # contradictory conditions: nothing is read
    return len(inputs) == 1 and inputs[0]["Node Type"] in ("Append", "Merge Append")


def _scans_the_table(plan: dict[str, Any], *, searching: bool) -> list[str]:
    """What makes a list query's cost follow the table rather than the page. A text search
    may instead read the trigram or the scope's index and sort its matches, as the planner
    finds cheaper (its cost follows the matches; bench/ticket_lists.py measures it)."""
    problems = []
    for node, _ in _nodes(plan):
        kind = node["Node Type"]
        if kind == "Seq Scan":
            problems.append(f"sequential scan of {node.get('Relation Name')}")
        if searching:
            continue
        if kind == "Sort" and not _under_limit(node):
            problems.append(f"sort of {node.get('Sort Key')}")
        if kind == "Bitmap Heap Scan":
            problems.append("bitmap scan (reads every match before the page)")
    return problems


async def test_every_list_query_reads_an_index_and_stops_at_the_page(database):
    _, engine = database
    checked = 0
    for scope_name, scope in SCOPES.items():
        cases = [(name, where, False) for name, where in FILTERS.items()]
        cases += [(f"query {q}", TicketFilter(query=q), True) for q in SEARCHES]
        for filter_name, where, searching in cases:
            for order in ORDERS:
                ordered = replace(where, order=order)
                first, count = list_statements(scope, ordered, None, 20, 1000)
                # a later page: after the keys of some ticket in the middle of the table
                keys = await _middle_keys(engine, order)
                later, _ = list_statements(scope, ordered, keys, 20, 1000)
                for label, statement in (("page", first), ("page 50", later), ("count", count)):
                    plan = await _plan(engine, statement, searching=searching)
                    problems = _scans_the_table(plan, searching=searching)
                    assert not problems, (scope_name, filter_name, order, label, problems, plan)
                    checked += 1
    assert checked == len(SCOPES) * (len(FILTERS) + len(SEARCHES)) * len(ORDERS) * 3


async def _middle_keys(engine: AsyncEngine, order: str) -> tuple[str, ...]:
    keys = ORDERS[order][1]
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT created_at, updated_at, -priority AS urgency, id FROM tickets "
                    "ORDER BY id LIMIT 1 OFFSET :middle"
                ),
                {"middle": ROWS // 2},
            )
        ).one()
    by_name = {"created_at": row.created_at, "updated_at": row.updated_at, "id": row.id}
    values = [by_name.get(getattr(k, "name", ""), row.urgency) for k in keys]
    return tuple(v.isoformat() if hasattr(v, "isoformat") else str(v) for v in values)


async def test_pages_follow_each_other_without_gap_or_repeat(database):
    _, engine = database
    async with engine.begin() as connection:  # ties: many tickets created in the same instant
        await connection.execute(
            text(
                "UPDATE tickets SET created_at = timestamptz '2025-01-01 00:00:00+00' "
                "WHERE enterprise_id = :e AND created_at < timestamptz '2024-12-02 00:00:00+00'"
            ),
            {"e": WORLD.enterprises[0]},
        )
    for scope in (SCOPES["requester"], SCOPES["engineer"], SCOPES["departments"]):
        for order in ORDERS:
            where = TicketFilter(order=order)
            async with engine.connect() as connection:
                repository = TicketRepository(connection)
                whole = await repository.find(
                    scope=scope, where=where, after=None, limit=10_000, count_cap=10_000
                )
                seen, after = [], None
                while True:
                    page = await repository.find(
                        scope=scope, where=where, after=after, limit=7, count_cap=1000
                    )
                    seen += [t.id for t in page.items]
                    if page.after is None:
                        break
                    after = page.after
            assert seen == [t.id for t in whole.items], (scope, order)
            assert len(set(seen)) == len(seen) > 7


async def test_counts_equal_a_group_by_after_any_mix_of_writes(database):
    _, engine = database
    rng = random.Random(7)
    statuses = [s.value for s in Status]
    async with engine.connect() as connection:
        ids = list((await connection.execute(text("SELECT id FROM tickets"))).scalars())

    async def writer(n: int) -> None:
        for _ in range(n):
            chosen = rng.sample(ids, 3)
            async with engine.begin() as connection:
                await connection.execute(
                    text(
                        "UPDATE tickets SET status = :status, engineer_id = :engineer, "
                        "provider_id = :provider WHERE id = ANY(:ids)"
                    ),
                    {
                        "status": rng.choice(statuses),
                        "engineer": rng.choice([*WORLD.engineers[:3], ""]),
                        "provider": rng.choice([*WORLD.providers[:2], ""]),
                        "ids": chosen,
                    },
                )

    async def folder(rounds: int) -> None:
        for _ in range(rounds):
            async with engine.begin() as connection:
                await TicketRepository(connection).fold_counts(50)
            await asyncio.sleep(0)

    await asyncio.gather(writer(40), writer(40), folder(20), folder(20))
    async with engine.connect() as connection:
        kept = await _kept_counts(connection)
        truth = await _true_counts(connection)
    assert kept == truth
    async with engine.begin() as connection:
        while await TicketRepository(connection).fold_counts(1000):
            pass
    async with engine.connect() as connection:
        assert (await connection.scalar(text("SELECT count(*) FROM ticket_count_deltas"))) == 0
        assert await _kept_counts(connection) == truth
        repository = TicketRepository(connection)
        for scope in SCOPES.values():  # what stats read is the sum under the scope's keys
            months = await repository.counts(count_keys(scope))
            assert sum(n for *_, n in months) == sum(
                n for (key, *_), n in truth.items() if key in count_keys(scope)
            )


async def test_the_trigger_counts_a_ticket_under_the_keys_the_domain_names(database):
    _, engine = database
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT enterprise_id, requester_department_id, provider_id, engineer_id,"
                " requester_id, created_by, ticket_count_keys(enterprise_id,"
                " requester_department_id, provider_id, engineer_id, requester_id, created_by)"
                " FROM tickets WHERE id IN (SELECT id FROM tickets ORDER BY id LIMIT 200)"
                " OR created_by <> requester_id"
            )
        )
        for e, d, p, g, r, c, keys in rows:
            assert counted_under(
                enterprise_id=e,
                department_id=d,
                provider_id=p,
                engineer_id=g,
                requester_id=r,
                created_by=c,
            ) == list(keys)


async def _kept_counts(connection) -> dict[tuple[str, str, str], int]:  # type: ignore[no-untyped-def]
    rows = await connection.execute(
        text(
            "SELECT key, month::text, status, sum(n) FROM ("
            " SELECT key, month, status, count AS n FROM ticket_counts"
            " UNION ALL SELECT key, month, status, delta FROM ticket_count_deltas, unnest(keys) key"
            ") c GROUP BY 1, 2, 3 HAVING sum(n) <> 0"
        )
    )
    return {(k, m, s): int(n) for k, m, s, n in rows}


async def _true_counts(connection) -> dict[tuple[str, str, str], int]:  # type: ignore[no-untyped-def]
    rows = await connection.execute(
        text(
            "SELECT k, date_trunc('month', created_at AT TIME ZONE 'UTC')::date::text, status,"
            " count(*) FROM tickets, unnest(ticket_count_keys(enterprise_id,"
            " requester_department_id, provider_id, engineer_id, requester_id, created_by)) k"
            " GROUP BY 1, 2, 3"
        )
    )
    return {(k, m, s): int(n) for k, m, s, n in rows}


async def test_short_and_long_terms_find_what_a_substring_match_finds(database):
    _, engine = database
    scope = TicketScope(everything=True)
    for term in ("网络", "锁", "Wi", "打印机", "wifi", "蓝牙", "楼）"):
        async with engine.begin() as connection:
            expected = set(
                (
                    await connection.execute(
                        text(
                            "SELECT id FROM tickets WHERE strpos(lower(title), lower(:q)) > 0"
                            " OR strpos(lower(description), lower(:q)) > 0"
                        ),
                        {"q": term},
                    )
                ).scalars()
            )
            page = await TicketRepository(connection).find(
                scope=scope,
                where=TicketFilter(query=term),
                after=None,
                limit=ROWS,
                count_cap=ROWS,
            )
        assert {t.id for t in page.items} == expected, term
        assert page.total == len(expected), term

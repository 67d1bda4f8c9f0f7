"""Dispatch's PostgreSQL adapters: rules keep every condition through JSON, a ticket's older
event never overwrites a newer one, and an engineer's load counts decisions his tickets do
not show yet."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from servicekit.db import create_engine
from servicekit.migrations import upgrade
from services.dispatch.adapters.unit_of_work import DispatchUnitOfWork
from services.dispatch.domain.events import DecisionState, RecordedDecision
from services.dispatch.domain.routing import (
    Conditions,
    Decision,
    Rule,
    Strategy,
    TicketFacts,
    TimeWindow,
)
from services.dispatch.service_layer.ports import TicketState

MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "dispatch" / "migrations"
NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)


@pytest.fixture
async def engine(create_database):  # type: ignore[no-untyped-def]
    url = create_database("dispatch")
    upgrade(MIGRATIONS, url)
    made = create_engine(url, pool_size=4)
    yield made
    await made.dispose()


def _state(ticket_id: str, version: int, *, engineer: str = "", status: str = "pending_assignment"):  # type: ignore[no-untyped-def]
    facts = TicketFacts(ticket_id, "ent", ("it",), "std", "high", "web", {"floor": "3"}, NOW)
    return TicketState(facts, status, "prov" if engineer else "", engineer, version)


async def test_rules_keep_every_condition_and_each_version(engine):
    rule = Rule(
        "r1", 1, "规则", Conditions(
            enterprise_ids=frozenset({"ent"}), service_type_ids=frozenset({"it"}),
            priorities=frozenset({"high"}), channels=frozenset({"web"}),
            custom_fields={"floor": frozenset({"3", "4"})},
            window=TimeWindow(frozenset({0, 1}), 540, 1080, "Asia/Shanghai"),
        ), "prov", Strategy.CLAIM_WINDOW, then=Strategy.ROUND_ROBIN,
        claim_window=timedelta(minutes=5), required_skills=frozenset({"network"}),
        position=3, escalate_after=timedelta(hours=1),
    )  # fmt: skip
    async with DispatchUnitOfWork(engine) as uow:
        await uow.rules.add(rule, "admin")
        await uow.rules.save(Rule(**{**rule.__dict__, "version": 2, "enabled": False}), "admin")
        await uow.commit()
    async with DispatchUnitOfWork(engine) as uow:
        stored = await uow.rules.get("r1")
        assert stored is not None
        assert stored.rule == Rule(**{**rule.__dict__, "version": 2, "enabled": False})
        assert await uow.rules.find(provider_id="", show_disabled=False, offset=0, limit=9) == []
        versions = await uow.connection.exec_driver_sql(
            "SELECT version, actor_id FROM rule_versions ORDER BY version"
        )
        assert [tuple(v) for v in versions] == [(1, "admin"), (2, "admin")]


async def test_an_older_ticket_event_never_overwrites_a_newer_one(engine):
    async with DispatchUnitOfWork(engine) as uow:
        assert await uow.tickets.upsert(_state("t1", 3, engineer="e1", status="assigned"))
        assert not await uow.tickets.upsert(_state("t1", 2))
        await uow.commit()
    async with DispatchUnitOfWork(engine) as uow:
        seen = await uow.tickets.get("t1")
        assert seen is not None and (seen.version, seen.engineer_id) == (3, "e1")
        assert seen.facts.custom_fields == {"floor": "3"}


async def test_load_counts_open_tickets_and_decisions_not_yet_seen(engine):
    async with DispatchUnitOfWork(engine) as uow:
        await uow.directory.set_engineer("e1", provider_id="prov", name="王工", skills=["net"],
                                         active=True)  # fmt: skip
        await uow.tickets.upsert(_state("held", 2, engineer="e1", status="in_progress"))
        await uow.tickets.upsert(_state("done", 5, engineer="e1", status="closed"))
        await uow.tickets.upsert(_state("waiting", 1))
        decision = Decision("waiting", "r1", 1, "prov", "e1", Strategy.ROUND_ROBIN)
        await uow.decisions.add(RecordedDecision.of("d1", decision, NOW))
        await uow.commit()
    async with DispatchUnitOfWork(engine) as uow:
        [engineer] = await uow.directory.engineers_of("prov")
        assert engineer.open_tickets == 2  # in progress + decided for him, not yet shown
        await uow.decisions.settle("d1", DecisionState.GAVE_WAY, "TICKET_ALREADY_ASSIGNED")
        [engineer] = await uow.directory.engineers_of("prov")
        assert engineer.open_tickets == 1
        await uow.directory.set_availability("e1", available=False, away_until=None, capacity=0)
        found = await uow.directory.engineer("e1")
        assert found is not None and found.capacity == 1_000_000


async def test_units_routing_one_waiting_ticket_at_once_make_one_decision(engine):
    """A provider's and a designation's events on other partitions both route the tickets
    that waited for them, in concurrent transactions: the ticket lock makes one decision."""
    from services.dispatch.adapters.repositories.decisions import TicketsSeenRepository
    from services.dispatch.adapters.repositories.directory import DirectoryRepository
    from services.dispatch.service_layer.routing import route_waiting

    rule = Rule("r1", 1, "规则", Conditions(), "prov", Strategy.ROUND_ROBIN)
    async with DispatchUnitOfWork(engine) as uow:
        await uow.rules.add(rule, "admin")
        directory = DirectoryRepository(uow.connection)
        await directory.set_provider("prov", active=True)
        await directory.set_designation("ent", "prov", present=True)
        for engineer in ("e1", "e2"):
            await directory.set_engineer(
                engineer, provider_id="prov", name=engineer, skills=[], active=True
            )
        for n in range(5):
            await TicketsSeenRepository(uow.connection).upsert(_state(f"t{n}", 1))
        await uow.commit()

    async def route_all() -> int:
        async with DispatchUnitOfWork(engine) as uow:
            routed = await route_waiting(uow, NOW)
            await uow.commit()
        return routed

    results = await asyncio.gather(*(route_all() for _ in range(4)))
    assert sum(results) == 5
    async with DispatchUnitOfWork(engine) as uow:
        for n in range(5):
            assert len(await uow.decisions.of_ticket(f"t{n}")) == 1

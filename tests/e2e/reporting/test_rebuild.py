"""Rebuilding the facts from the ledger gives the same answers, byte for byte, and leaves the
table as the migrations made it (same indexes and key names)."""

from __future__ import annotations

from sqlalchemy import text

from services.reporting import mapping
from services.reporting.adapters.rebuild import rebuild
from tests.e2e.reporting.conftest import ReportingStack
from tests.e2e.reporting.world import ADMIN, World

START = "2026-01-01T00:00:00Z"
QUERIES = [
    ("volume", {"interval": "INTERVAL_YEAR"}),
    ("volume", {"interval": "INTERVAL_MONTH"}),
    ("durations", {"groupBy": "DIMENSION_ENGINEER"}),
    ("top", {"dimension": "DIMENSION_PROVIDER"}),
    ("top", {"dimension": "DIMENSION_ENGINEER", "measure": "MEASURE_AVERAGE_SATISFACTION"}),
    ("sla", {}),
    ("satisfaction", {}),
    ("service-log", {"pageSize": "500"}),
]


async def _answers(reporting: ReportingStack, end: str) -> list[bytes]:
    headers = await reporting.as_user(*ADMIN)
    found = []
    for path, params in QUERIES:
        response = await reporting.client.get(
            f"/v1/reports/{path}",
            params={**params, "filter.startTime": START, "filter.endTime": end},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        found.append(response.content)
    return found


async def _shape(reporting: ReportingStack) -> list[tuple[str, str]]:
    async with reporting.deps.engine.connect() as db:
        rows = await db.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ticket_facts' "
                "ORDER BY indexname"
            )
        )
        return [(name, definition) for name, definition in rows]


async def test_a_rebuild_answers_exactly_as_before(reporting: ReportingStack, world: World):
    end = "2100-01-01T00:00:00Z"  # a fixed range: the answers must not move with the clock
    before, shape = await _answers(reporting, end), await _shape(reporting)
    async with reporting.deps.engine.connect() as db:
        facts = await db.scalar(text("SELECT count(*) FROM ticket_facts"))
    done = await rebuild(reporting.deps.engine, mapping.ticket_event_of, batch=7)
    assert done.tickets == facts and done.events >= facts
    assert await _answers(reporting, end) == before
    assert await _shape(reporting) == shape

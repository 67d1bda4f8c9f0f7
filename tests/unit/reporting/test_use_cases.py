"""Reporting's use cases against fakes: recording is idempotent and order-free, volumes carry
the backlog from before the range, and every report is scoped by who asks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from servicekit.auth.principal import Principal
from servicekit.errors import DomainError, ErrorCode
from services.reporting.domain.facts import EventKind, TicketEvent
from services.reporting.domain.reports import Dimension, Filter, Interval, Measure, Scope
from services.reporting.service_layer import recording, reports
from services.reporting.service_layer.ports import LedgerEntry
from tests.support.fakes import FakeClock
from tests.unit.reporting.fakes import fake_deps
from tests.unit.reporting.samples import LIFECYCLE, T0, history

PLATFORM = Principal("admin", "platform", permissions=frozenset({"report.read"}))
PROVIDER_ADMIN = Principal("pa", "provider", "prov-a", permissions=frozenset({"report.read"}))
ENTERPRISE_ADMIN = Principal("ea", "enterprise", "ent-a", permissions=frozenset({"report.read"}))
ENGINEER = Principal("eng-1", "engineer", "prov-a", permissions=frozenset({"report.read"}))


def _entries(events: list[TicketEvent]) -> tuple[list[LedgerEntry], dict[str, TicketEvent]]:
    entries = [
        LedgerEntry(
            event_id=e.event_id,
            event_type=e.kind.value,
            aggregate_type="ticket",
            aggregate_id=e.ticket.ticket_id,
            version=e.version,
            occurred_at=e.occurred_at,
            recorded_at=e.occurred_at,
            envelope=b"",
        )
        for e in events
    ]
    return entries, {e.event_id: e for e in events}


async def _record_all(deps, events: list[TicketEvent]) -> list[bool]:
    entries, by_id = _entries(events)
    added = []
    for entry in entries:
        async with deps.uow() as uow:
            found = await recording.record(uow, [entry], lambda e: by_id.get(e.event_id))
            added.append(entry.event_id in found)
            await uow.commit()
    return added


async def test_a_repeated_event_is_recorded_once_and_changes_nothing():
    deps, database = fake_deps()
    events = history(LIFECYCLE)
    assert all(await _record_all(deps, events))
    fact = database.state.facts["t-1"]
    assert await _record_all(deps, events[2:4]) == [False, False]
    assert database.state.facts["t-1"] == fact
    assert len(database.state.ledger) == len(LIFECYCLE)


async def test_events_arriving_backwards_give_the_same_fact():
    forwards, backwards = fake_deps(), fake_deps()
    events = history(LIFECYCLE)
    await _record_all(forwards[0], events)
    await _record_all(backwards[0], list(reversed(events)))
    assert forwards[1].state.facts == backwards[1].state.facts


async def test_an_event_of_another_aggregate_goes_to_the_ledger_only():
    deps, database = fake_deps()
    entry = LedgerEntry("e-1", "UserChanged", "user", "u-1", 1, T0, T0, b"")
    async with deps.uow() as uow:
        assert await recording.record(uow, [entry], lambda _: None) == {"e-1"}
        await recording.name(uow, "user", "u-1", "张三")
        await uow.commit()
    assert list(database.state.ledger) == ["e-1"] and not database.state.facts
    assert database.state.names == {("user", "u-1"): "张三"}


async def test_volume_counts_each_step_in_its_bucket_and_carries_the_backlog():
    deps, _ = fake_deps(FakeClock(T0 + timedelta(days=3)))
    day = timedelta(days=1)
    # Open before the range and closed on its second day; created on day one and still open;
    # created and cancelled on day two.
    await _record_all(
        deps,
        history(
            [EventKind.CREATED, EventKind.CLOSED], ticket_id="old", start=T0 - 3 * day, step=4 * day
        ),
    )
    await _record_all(deps, history([EventKind.CREATED], ticket_id="open", start=T0))
    await _record_all(
        deps, history([EventKind.CREATED, EventKind.CANCELLED], ticket_id="gone", start=T0 + day)
    )
    asked = Filter(start=T0, end=T0 + 2 * day, time_zone="Asia/Shanghai")
    rows = await reports.volume(deps, PLATFORM, asked, Interval.DAY)
    assert [(r.created, r.closed, r.cancelled, r.backlog) for r in rows] == [
        (1, 0, 0, 2),  # Nov 2: "old" still open, "open" created
        (1, 1, 1, 1),  # Nov 3: "old" closed, "gone" created and cancelled
        (0, 0, 0, 1),  # Nov 4 (the range ends 09:00 local): empty, "open" remains
    ]
    assert rows[0].start == datetime(2026, 11, 1, 16, tzinfo=UTC)  # local midnight


@pytest.mark.parametrize(
    ("caller", "scope"),
    [
        (PLATFORM, Scope()),
        (PROVIDER_ADMIN, Scope(provider_id="prov-a")),
        (ENTERPRISE_ADMIN, Scope(enterprise_id="ent-a")),
    ],
)
async def test_every_report_is_scoped_by_the_caller(caller, scope):
    deps, database = fake_deps()
    asked = Filter(enterprise_id="ent-b")  # a filter never widens the scope
    await reports.durations(deps, caller, asked, Dimension.PROVIDER)
    await reports.top_ten(deps, caller, asked, Dimension.ENGINEER, Measure.SATISFACTION)
    await reports.sla_compliance(deps, caller, asked)
    await reports.satisfaction(deps, caller, asked)
    await reports.service_log(deps, caller, asked, after=None, limit=10)
    await reports.volume(deps, caller, asked, Interval.MONTH)
    await reports.workload(deps, caller, asked)
    assert len(database.queries) == 7
    assert all(q.scope == scope and q.enterprise_id == "ent-b" for q in database.queries)


async def test_an_engineer_gets_no_report():
    deps, database = fake_deps()
    with pytest.raises(DomainError) as refused:
        await reports.satisfaction(deps, ENGINEER, Filter())
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    assert database.queries == []


async def test_the_service_log_pages_by_finish_time_without_repeats():
    deps, _ = fake_deps(FakeClock(T0 + timedelta(days=5)))
    for n in range(5):
        await _record_all(
            deps,
            history(
                [EventKind.CREATED, EventKind.RESOLVED, EventKind.CLOSED],
                ticket_id=f"t-{n}",
                start=T0 + timedelta(minutes=n),
            ),
        )
    seen: list[str] = []
    after = None
    while True:
        page, after = await reports.service_log(deps, PLATFORM, Filter(), after=after, limit=2)
        seen += [e.fact.ticket_id for e in page]
        if after is None:
            break
    assert seen == [f"t-{n}" for n in reversed(range(5))]


async def test_an_export_of_the_service_log_reads_every_page_and_says_its_filter(monkeypatch):
    from services.reporting.domain.reports import Report
    from services.reporting.service_layer import exports

    monkeypatch.setattr(exports, "PAGE", 2)
    deps, database = fake_deps(FakeClock(T0 + timedelta(days=5)))
    for n in range(5):
        await _record_all(
            deps,
            history(
                [EventKind.CREATED, EventKind.RESOLVED, EventKind.CLOSED],
                ticket_id=f"t-{n}",
                start=T0 + timedelta(minutes=n),
            ),
        )
    asked = Filter(time_zone="Europe/Berlin", priority="high")
    table = await exports.export(
        deps, PROVIDER_ADMIN, asked, exports.ExportSpec(Report.SERVICE_LOG)
    )
    about = dict(table.about)
    assert about["scope"] == "provider prov-a"
    assert about["filter.timeZone"] == "Europe/Berlin"
    assert about["filter.priority"] == "high"
    assert (
        about["filter.endTime"]
        == (T0 + timedelta(days=5)).astimezone(ZoneInfo("Europe/Berlin")).isoformat()
    )
    rows = [row async for batch in table.batches for row in batch]
    assert rows == []  # the samples are normal priority: the filter holds
    database.queries.clear()
    table = await exports.export(deps, PLATFORM, Filter(), exports.ExportSpec(Report.SERVICE_LOG))
    rows = [row async for batch in table.batches for row in batch]
    assert len(database.queries) == 3  # pages of 2, 2 and 1, one resolved query
    assert len({(q.start, q.end) for q in database.queries}) == 1
    column = list(table.columns)
    assert [r[column.index("ticketId")] for r in rows] == [f"t-{n}" for n in reversed(range(5))]
    assert rows[0][column.index("closeTime")].utcoffset() == timedelta(hours=8)


async def test_an_export_is_refused_before_its_first_row():
    from services.reporting.domain.reports import Report
    from services.reporting.service_layer import exports

    deps, database = fake_deps()
    with pytest.raises(DomainError) as refused:
        await exports.export(deps, ENGINEER, Filter(), exports.ExportSpec(Report.VOLUME))
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    assert database.queries == []


async def test_as_of_a_moment_the_reports_count_what_was_known_then():
    deps, database = fake_deps(FakeClock(T0 + timedelta(days=5)))
    events = history([EventKind.CREATED, EventKind.RESOLVED, EventKind.CLOSED, EventKind.RATED])
    await _record_all(deps, events)
    assert len(database.state.history["t-1"]) == 4
    before_close = events[2].occurred_at - timedelta(minutes=1)
    then, _ = await reports.service_log(
        deps, PLATFORM, Filter(as_of=before_close), after=None, limit=10
    )
    assert [e.fact.ticket.status.value for e in then] == ["resolved"]
    assert then[0].fact.ticket.rating_score == 0
    now, _ = await reports.service_log(deps, PLATFORM, Filter(), after=None, limit=10)
    assert [(e.fact.ticket.status.value, e.fact.ticket.rating_score) for e in now] == [
        ("closed", 4)
    ]
    assert database.queries[-1].as_of is None
    query = database.queries[-2]
    assert query.as_of == before_close and query.end == before_close  # the range ends then


async def test_as_of_the_future_is_refused_naming_the_field():
    deps, _ = fake_deps(FakeClock(T0))
    with pytest.raises(DomainError) as refused:
        await reports.satisfaction(deps, PLATFORM, Filter(as_of=T0 + timedelta(hours=1)))
    assert refused.value.violations[0].field == "filter.as_of_time"


async def test_the_satisfaction_trend_has_every_bucket_and_the_distribution_the_range_asked():
    deps, _ = fake_deps(FakeClock(T0 + timedelta(days=10)))
    for n, day in enumerate((0, 0, 3)):
        await _record_all(
            deps,
            history(
                [EventKind.CREATED, EventKind.RESOLVED, EventKind.CLOSED, EventKind.RATED],
                ticket_id=f"t-{n}",
                start=T0 + timedelta(days=day),
            ),
        )
    asked = Filter(start=T0 + timedelta(hours=12), end=T0 + timedelta(days=5))
    found = await reports.satisfaction(deps, PLATFORM, asked, Interval.DAY)
    assert found.count == 1  # only t-2 was created in the range
    assert [row.count for row in found.trend] == [2, 0, 0, 1, 0, 0]  # from the first whole day
    assert found.trend[0].average == 4.0 and found.trend[1].average == 0.0
    assert found.trend[0].start.hour == 0  # local midnight


async def test_workload_tells_the_days_of_the_range():
    deps, _ = fake_deps(FakeClock(T0))
    _, days = await reports.workload(deps, PLATFORM, Filter())
    assert days == 30

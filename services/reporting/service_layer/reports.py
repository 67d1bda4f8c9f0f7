"""The reports managers read (服务统计, 服务日志), each scoped by who asks (domain/reports.py)
and filtered as asked; the queries themselves are the adapter's (over the ticket facts)."""

from __future__ import annotations

from dataclasses import replace

from servicekit.auth.principal import Principal
from services.reporting.domain.reports import (
    REPORT_PERMISSION,
    Caller,
    Dimension,
    Filter,
    Interval,
    Measure,
    Query,
    buckets,
    fitting_interval,
    resolve,
    scope_of,
)
from services.reporting.service_layer.deps import Deps
from services.reporting.service_layer.ports import (
    Durations,
    LogEntry,
    LogKey,
    Ranked,
    Satisfaction,
    SlaCompliance,
    TrendRow,
    VolumeRow,
    WorkloadRow,
)


def query_of(deps: Deps, p: Principal, asked: Filter) -> Query:
    scope = scope_of(Caller(p.kind, p.organization_id, p.has(REPORT_PERMISSION)))
    return resolve(
        asked,
        scope,
        now=deps.clock(),
        default_zone=deps.settings.report_time_zone,
        default_days=deps.settings.report_default_days,
    )


async def volume(deps: Deps, p: Principal, asked: Filter, interval: Interval) -> list[VolumeRow]:
    """One row per bucket, oldest first, empty buckets included; the range is widened to whole
    buckets at its start. Created, resolved, closed and cancelled count what happened in the
    bucket; the backlog is what was open at its end."""
    query = query_of(deps, p, asked)
    starts = buckets(query, interval)
    query = replace(query, start=starts[0])
    async with deps.uow() as uow:
        counted = {row.start: row for row in await uow.reports.volume(query, interval)}
        backlog = await uow.reports.backlog_at(query, starts[0])
    rows: list[VolumeRow] = []
    for start in starts:
        row = counted.get(start, VolumeRow(start=start))
        backlog += row.created - row.closed - row.cancelled
        rows.append(replace(row, start=start, backlog=backlog))
    return rows


async def durations(
    deps: Deps, p: Principal, asked: Filter, group_by: Dimension | None
) -> Durations:
    query = query_of(deps, p, asked)
    async with deps.uow() as uow:
        return await uow.reports.durations(query, group_by)


async def top_ten(
    deps: Deps, p: Principal, asked: Filter, dimension: Dimension, measure: Measure
) -> list[Ranked]:
    query = query_of(deps, p, asked)
    async with deps.uow() as uow:
        return await uow.reports.top(query, dimension, measure)


async def sla_compliance(deps: Deps, p: Principal, asked: Filter) -> SlaCompliance:
    """Of the tickets created in the range with a target: how many were responded to and
    resolved in time. A ticket past its due time without a response (resolution) counts as
    missed; one still within it is not counted yet."""
    query = query_of(deps, p, asked)
    async with deps.uow() as uow:
        return await uow.reports.sla(query, query.as_of or deps.clock())


async def satisfaction(
    deps: Deps, p: Principal, asked: Filter, interval: Interval | None = None
) -> Satisfaction:
    """The ratings of the tickets created in the range: distribution, average, the trend per
    bucket of creation time (every bucket, empty ones with no ratings) and the latest
    comments. Without an interval, the trend takes the shortest that fits the range."""
    query = query_of(deps, p, asked)
    if interval is None:
        interval = fitting_interval(query)
    starts = buckets(query, interval)
    async with deps.uow() as uow:
        found = await uow.reports.satisfaction(query, interval, trend_start=starts[0])
    rated = {row.start: row for row in found.trend}
    return replace(found, trend=[rated.get(start, TrendRow(start=start)) for start in starts])


async def workload(deps: Deps, p: Principal, asked: Filter) -> tuple[list[WorkloadRow], float]:
    """Engineers by open tickets at the range's end, then handled; and the range's length in
    days (for handled per day)."""
    query = query_of(deps, p, asked)
    async with deps.uow() as uow:
        rows = await uow.reports.workload(query)
    return rows, (query.end - query.start).total_seconds() / 86_400


async def service_log(
    deps: Deps, p: Principal, asked: Filter, *, after: LogKey | None, limit: int
) -> tuple[list[LogEntry], LogKey | None]:
    """A page of the service log and where the next one starts (None: this is the last). The
    page ends at a (finish time, ticket id) key, so tickets finishing between pages neither
    repeat nor push others out."""
    query = query_of(deps, p, asked)
    async with deps.uow() as uow:
        found = await uow.reports.service_log(query, after, limit)
    if len(found) < limit or not found:
        return found, None
    last = found[-1].fact
    assert last.finished_at is not None
    return found, LogKey(last.finished_at, last.ticket_id)

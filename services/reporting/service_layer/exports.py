"""Exports: any report, or the whole service log, as a table for a CSV or XLSX file.

The filter is resolved once, before the first byte (a bad filter or a caller without the
permission is an ordinary error answer), and the file says what it holds: the report, the scope
and every filter, the time zone and when it was cut. The service log is read page by page with
the same keyset as ListServiceLog, so a file holds exactly the rows the pages would, and memory
holds one page at a time. Times are written in the query's time zone, durations in seconds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from servicekit.auth.principal import Principal
from servicekit.exports import Batch, Cell, Table
from services.reporting.domain.reports import Dimension, Filter, Interval, Measure, Query, Report
from services.reporting.service_layer import reports
from services.reporting.service_layer.deps import Deps
from services.reporting.service_layer.ports import DurationStats, LogEntry, LogKey

PAGE = 1_000
_STATS = ("count", "averageSeconds", "medianSeconds", "p90Seconds", "minSeconds", "maxSeconds")
LOG_COLUMNS = (
    "ticketId",
    "number",
    "title",
    "finalStatus",
    "enterpriseId",
    "enterpriseName",
    "providerId",
    "providerName",
    "engineerId",
    "engineerName",
    "serviceTypeId",
    "serviceTypeName",
    "serviceLevelId",
    "serviceLevelName",
    "priority",
    "createTime",
    "firstResponseTime",
    "resolveTime",
    "closeTime",
    "cancelTime",
    "reopenCount",
    "ratingScore",
    "ratingComment",
)


@dataclass(frozen=True)
class ExportSpec:
    report: Report
    interval: Interval = Interval.DAY
    dimension: Dimension | None = None
    measure: Measure = Measure.TICKET_COUNT


async def export(deps: Deps, p: Principal, asked: Filter, spec: ExportSpec) -> Table:
    query = reports.query_of(deps, p, asked)
    fixed = replace(asked, start=query.start, end=query.end)
    about = _about(query, spec, deps.clock())
    name = spec.report.value
    match spec.report:
        case Report.SERVICE_LOG:
            return Table(name, about, LOG_COLUMNS, _log_batches(deps, query))
        case Report.VOLUME:
            volume = await reports.volume(deps, p, fixed, spec.interval)
            rows: Batch = [
                [_local(r.start, query), r.created, r.resolved, r.closed, r.cancelled, r.backlog]
                for r in volume
            ]
            columns: tuple[str, ...] = (
                "startTime",
                "created",
                "resolved",
                "closed",
                "cancelled",
                "backlog",
            )
        case Report.DURATIONS:
            found = await reports.durations(deps, p, fixed, spec.dimension)
            columns = (
                "group",
                "id",
                "displayName",
                *(f"{part}.{s}" for part in ("response", "resolution", "service") for s in _STATS),
            )
            rows = [["overall", "", "", *_stats(found.response, found.resolution, found.service)]]
            kind = spec.dimension.value if spec.dimension else ""
            rows += [
                [kind, g.id, g.name, *_stats(g.response, g.resolution, g.service)]
                for g in found.groups
            ]
        case Report.TOP_TEN:
            dimension = spec.dimension or Dimension.SERVICE_TYPE
            ranked = await reports.top_ten(deps, p, fixed, dimension, spec.measure)
            columns = (
                "rank",
                "id",
                "displayName",
                "count",
                "averageServiceSeconds",
                "averageScore",
            )
            rows = [
                [i, r.id, r.name, r.count, _seconds(r.average_service), r.average_score]
                for i, r in enumerate(ranked, 1)
            ]
        case Report.SLA_COMPLIANCE:
            sla = await reports.sla_compliance(deps, p, fixed)
            columns = ("target", "total", "met", "metPercent")
            rows = [
                [
                    "response",
                    sla.response_total,
                    sla.response_met,
                    _percent(sla.response_met, sla.response_total),
                ],
                [
                    "resolution",
                    sla.resolution_total,
                    sla.resolution_met,
                    _percent(sla.resolution_met, sla.resolution_total),
                ],
            ]
        case Report.SATISFACTION:
            found_s = await reports.satisfaction(deps, p, fixed)
            columns = ("score", "count")
            rows = [[score, found_s.by_score.get(score, 0)] for score in range(1, 6)]
            about = [*about, ("averageScore", str(found_s.average)), ("count", str(found_s.count))]
        case Report.WORKLOAD:
            entries, days = await reports.workload(deps, p, fixed)
            columns = (
                "engineerId",
                "displayName",
                "open",
                "handled",
                "handledPerDay",
                "averageResolutionSeconds",
            )
            rows = [
                [
                    r.engineer_id,
                    r.name,
                    r.open,
                    r.handled,
                    round(r.handled / days, 4) if days > 0 else 0.0,
                    _seconds(r.average_resolution),
                ]
                for r in entries
            ]
    return Table(name, about, columns, _once(rows))


async def _once(rows: Batch) -> AsyncIterator[Batch]:
    yield rows


async def _log_batches(deps: Deps, query: Query) -> AsyncIterator[Batch]:
    after: LogKey | None = None
    while True:
        async with deps.uow() as uow:
            found = await uow.reports.service_log(query, after, PAGE)
        if found:
            yield [_log_row(e, query) for e in found]
        if len(found) < PAGE:
            return
        last = found[-1].fact
        assert last.finished_at is not None
        after = LogKey(last.finished_at, last.ticket_id)


def _log_row(e: LogEntry, query: Query) -> list[Cell]:
    f, t = e.fact, e.fact.ticket
    return [
        t.ticket_id,
        t.number,
        t.title,
        t.status.value,
        t.enterprise_id,
        e.enterprise_name,
        t.provider_id,
        e.provider_name,
        t.engineer_id,
        e.engineer_name,
        t.service_type_id,
        e.service_type_name,
        t.service_level_id,
        e.service_level_name,
        t.priority,
        _local(t.created_at, query),
        _local(f.first_response_at, query),
        _local(f.resolved_at, query),
        _local(f.closed_at, query),
        _local(f.cancelled_at, query),
        f.reopen_count,
        t.rating_score or None,
        t.rating_comment,
    ]


def _about(query: Query, spec: ExportSpec, now: datetime) -> list[tuple[str, str]]:
    scope = query.scope
    about = [
        ("report", spec.report.value),
        ("generatedAt", now.astimezone(query.zone).isoformat()),
        (
            "scope",
            f"enterprise {scope.enterprise_id}"
            if scope.enterprise_id
            else f"provider {scope.provider_id}"
            if scope.provider_id
            else "platform",
        ),
        ("filter.timeZone", query.zone.key),
        ("filter.startTime", query.start.astimezone(query.zone).isoformat()),
        ("filter.endTime", query.end.astimezone(query.zone).isoformat()),
    ]
    for name, value in (
        ("filter.enterpriseId", query.enterprise_id),
        ("filter.providerId", query.provider_id),
        ("filter.engineerId", query.engineer_id),
        ("filter.serviceTypeId", query.service_type_id),
        ("filter.serviceLevelId", query.service_level_id),
        ("filter.priority", query.priority),
    ):
        if value:
            about.append((name, value))
    if spec.report is Report.VOLUME:
        about.append(("interval", spec.interval.value))
    if spec.report in (Report.DURATIONS, Report.TOP_TEN) and spec.dimension:
        about.append(("dimension", spec.dimension.value))
    if spec.report is Report.TOP_TEN:
        about.append(("measure", spec.measure.value))
    return about


def _local(moment: datetime | None, query: Query) -> datetime | None:
    return None if moment is None else moment.astimezone(query.zone)


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _stats(*groups: DurationStats) -> list[Cell]:
    cells: list[Cell] = []
    for s in groups:
        cells += [
            s.count,
            *(_seconds(v) for v in (s.average, s.median, s.p90, s.minimum, s.maximum)),
        ]
    return cells


def _percent(met: int, total: int) -> float | None:
    return round(100 * met / total, 2) if total else None

"""The report queries over `ticket_facts`, or, for a query as of a moment, over the versions of
the facts that stood then (`ticket_fact_history`). Every query starts from `_where`, which
applies the caller's scope and the filter; each reads through an index on the time column it
ranges over (created, resolved, closed, cancelled, finished)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    and_,
    cast,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.elements import KeyedColumnElement

from services.reporting.adapters.tables import names, ticket_fact_history, ticket_facts
from services.reporting.domain.facts import Status, TicketFact, TicketState
from services.reporting.domain.reports import Dimension, Interval, Measure, Query
from services.reporting.service_layer.ports import (
    DurationGroup,
    Durations,
    DurationStats,
    LogEntry,
    LogKey,
    Ranked,
    RatedTicket,
    Satisfaction,
    SlaCompliance,
    TrendRow,
    VolumeRow,
    WorkloadRow,
)

TOP = 10
MAX_GROUPS = 200
COMMENTS = 20
_KINDS = {
    Dimension.SERVICE_TYPE: ("service_type_id", "service_type"),
    Dimension.ENTERPRISE: ("enterprise_id", "enterprise"),
    Dimension.PROVIDER: ("provider_id", "provider"),
    Dimension.ENGINEER: ("engineer_id", "engineer"),
}
_VOLUME = {
    "created": "created_at",
    "resolved": "resolved_at",
    "closed": "closed_at",
    "cancelled": "cancelled_at",
}


def source_of(query: Query) -> FromClause:
    """The facts a query counts: the current ones, or those that stood at its as-of moment."""
    if query.as_of is None:
        return ticket_facts
    H = ticket_fact_history
    return (
        select(*(H.c[c.name] for c in ticket_facts.columns))
        .where(
            H.c.valid_from <= query.as_of,
            or_(H.c.valid_to.is_(None), H.c.valid_to > query.as_of),
        )
        .subquery("f")
    )


def _dimension(F: FromClause, dimension: Dimension) -> tuple[Any, str]:
    column, kind = _KINDS[dimension]
    return F.c[column], kind


def _where(F: FromClause, query: Query, moment: KeyedColumnElement[Any] | None = None) -> list[Any]:
    """Scope and filter, and the time range over `moment` (default: creation)."""
    column = F.c.created_at if moment is None else moment
    conditions: list[Any] = [column >= query.start, column < query.end]
    conditions += _dimensions(F, query)
    return conditions


def _dimensions(F: FromClause, query: Query) -> list[Any]:
    conditions: list[Any] = []
    for column, value in (
        (F.c.enterprise_id, query.scope.enterprise_id),
        (F.c.provider_id, query.scope.provider_id),
        (F.c.enterprise_id, query.enterprise_id),
        (F.c.provider_id, query.provider_id),
        (F.c.engineer_id, query.engineer_id),
        (F.c.service_level_id, query.service_level_id),
        (F.c.priority, query.priority),
    ):
        if value:
            conditions.append(column == value)
    if query.service_type_id:
        conditions.append(F.c.service_type_path.contains([query.service_type_id]))
    return conditions


def _seconds(later: Any, earlier: Any) -> ColumnElement[float]:
    # date_part gives double precision; EXTRACT gives numeric since PostgreSQL 14, whose
    # arithmetic made the duration reports several times slower over many rows.
    return func.date_part("epoch", later - earlier, type_=Float)


def _stats_columns(prefix: str, seconds: ColumnElement[float]) -> list[Any]:
    return [
        func.count(seconds).label(f"{prefix}_count"),
        func.avg(seconds).label(f"{prefix}_avg"),
        # One sort for both percentiles: percentile_cont over an array of fractions.
        func.percentile_cont(array([0.5, 0.9]))
        .within_group(seconds)
        .label(f"{prefix}_percentiles"),
        func.min(seconds).label(f"{prefix}_min"),
        func.max(seconds).label(f"{prefix}_max"),
    ]


def _duration(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=round(float(value), 3))


def _stats(row: Any, prefix: str) -> DurationStats:
    count = row[f"{prefix}_count"] or 0
    if not count:
        return DurationStats()
    median, p90 = row[f"{prefix}_percentiles"] or (None, None)
    return DurationStats(
        count=count,
        average=_duration(row[f"{prefix}_avg"]),
        median=_duration(median),
        p90=_duration(p90),
        minimum=_duration(row[f"{prefix}_min"]),
        maximum=_duration(row[f"{prefix}_max"]),
    )


def _durations(F: FromClause) -> dict[str, ColumnElement[float]]:
    return {
        "response": _seconds(F.c.first_response_at, F.c.created_at),
        "resolution": _seconds(F.c.resolved_at, F.c.created_at),
        "service": _seconds(F.c.closed_at, F.c.created_at),
    }


_PARTS = ("response", "resolution", "service")


class ReportsRepository:
    def __init__(self, connection: AsyncConnection):
        self._db = connection

    async def volume(self, query: Query, interval: Interval) -> list[VolumeRow]:
        F = source_of(query)
        counts: dict[datetime, dict[str, int]] = {}
        zone = query.zone.key
        for name, column_name in _VOLUME.items():
            column = F.c[column_name]
            bucket = func.date_trunc(interval.value, func.timezone(zone, column)).label("bucket")
            rows = await self._db.execute(
                select(bucket, func.count().label("n"))
                .where(*_where(F, query, column))
                .group_by(bucket)
            )
            for local, n in rows:
                start = local.replace(tzinfo=query.zone)
                counts.setdefault(start, {})[name] = n
        return [VolumeRow(start=start, **by_name) for start, by_name in sorted(counts.items())]

    async def backlog_at(self, query: Query, moment: datetime) -> int:
        """Open at `moment`: still open now (a small partial index), plus those that ended
        since (a range of the ended-at index) — never a count of the whole past."""
        F = source_of(query)
        still_open = await self._db.scalar(
            select(func.count())
            .select_from(F)
            .where(F.c.ended_at.is_(None), F.c.created_at < moment, *_dimensions(F, query))
        )
        ended_since = await self._db.scalar(
            select(func.count())
            .select_from(F)
            .where(F.c.ended_at >= moment, F.c.created_at < moment, *_dimensions(F, query))
        )
        return int(still_open or 0) + int(ended_since or 0)

    async def durations(self, query: Query, group_by: Dimension | None) -> Durations:
        F = source_of(query)
        columns = [c for prefix, s in _durations(F).items() for c in _stats_columns(prefix, s)]
        overall = (
            (await self._db.execute(select(*columns).select_from(F).where(*_where(F, query))))
            .mappings()
            .one()
        )
        groups: list[DurationGroup] = []
        if group_by is not None:
            key, kind = _dimension(F, group_by)
            grouped = (
                select(key.label("id"), func.count().label("n"), *columns)
                .where(*_where(F, query), key != "")
                .group_by(key)
                .order_by(func.count().desc(), key)
                .limit(MAX_GROUPS)
                .subquery("g")
            )
            statement = select(grouped, _name_of(kind, grouped.c.id)).order_by(
                grouped.c.n.desc(), grouped.c.id
            )
            for row in (await self._db.execute(statement)).mappings():
                groups.append(
                    DurationGroup(
                        id=row["id"],
                        name=row["name"],
                        **{prefix: _stats(row, prefix) for prefix in _PARTS},
                    )
                )
        return Durations(
            response=_stats(overall, "response"),
            resolution=_stats(overall, "resolution"),
            service=_stats(overall, "service"),
            groups=groups,
        )

    async def top(self, query: Query, dimension: Dimension, measure: Measure) -> list[Ranked]:
        F = source_of(query)
        key, kind = _dimension(F, dimension)
        count = func.count()
        if measure is Measure.SERVICE_DURATION:
            value: Any = func.avg(_durations(F)["service"])
            measured: list[Any] = [F.c.closed_at.is_not(None)]
            order = [value.asc(), key]
        elif measure is Measure.SATISFACTION:
            value = func.avg(cast(F.c.rating_score, Float))
            measured = [F.c.rating_score > 0]
            order = [value.desc(), count.desc(), key]
        else:
            value, measured, order = literal(0.0), [], [count.desc(), key]
        # Ranked and cut to ten first; only the ten are named (a name lookup per ticket row
        # before grouping costs more than the grouping itself).
        ranked_rows = (
            select(key.label("id"), count.label("n"), value.label("value"))
            .where(*_where(F, query), key != "", *measured)
            .group_by(key)
            .order_by(*order)
            .limit(TOP)
            .subquery("r")
        )
        r = ranked_rows.c
        outer_order = {
            Measure.SERVICE_DURATION: [r.value.asc(), r.id],
            Measure.SATISFACTION: [r.value.desc(), r.n.desc(), r.id],
            Measure.TICKET_COUNT: [r.n.desc(), r.id],
        }[measure]
        rows = await self._db.execute(
            select(ranked_rows, _name_of(kind, r.id)).order_by(*outer_order)
        )
        ranked: list[Ranked] = []
        for row in rows.mappings():
            ranked.append(
                Ranked(
                    id=row["id"],
                    name=row["name"],
                    count=row["n"],
                    average_service=_duration(row["value"])
                    if measure is Measure.SERVICE_DURATION
                    else None,
                    average_score=round(float(row["value"]), 4)
                    if measure is Measure.SATISFACTION
                    else 0.0,
                )
            )
        return ranked

    async def sla(self, query: Query, now: datetime) -> SlaCompliance:
        """Dispatch's verdict where its SLA events said one (met in time, missed), else the
        times compared (the due times are dispatch's business-time deadlines once it told)."""
        F = source_of(query)
        response_counted = and_(
            F.c.response_due_at.is_not(None),
            or_(
                F.c.response_breached.is_not(None),
                F.c.first_response_at.is_not(None),
                F.c.response_due_at < now,
            ),
        )
        resolution_counted = and_(
            F.c.resolution_due_at.is_not(None),
            or_(
                F.c.resolution_breached.is_not(None),
                F.c.resolved_at.is_not(None),
                F.c.resolution_due_at < now,
            ),
        )
        response_met = func.coalesce(
            ~F.c.response_breached, F.c.first_response_at <= F.c.response_due_at
        )
        resolution_met = func.coalesce(
            ~F.c.resolution_breached, F.c.resolved_at <= F.c.resolution_due_at
        )
        row = (
            (
                await self._db.execute(
                    select(
                        func.count().filter(response_counted).label("response_total"),
                        func.count().filter(response_met).label("response_met"),
                        func.count().filter(resolution_counted).label("resolution_total"),
                        func.count().filter(resolution_met).label("resolution_met"),
                    ).where(*_where(F, query))
                )
            )
            .mappings()
            .one()
        )
        return SlaCompliance(**{k: int(v or 0) for k, v in row.items()})

    async def satisfaction(
        self, query: Query, interval: Interval, trend_start: datetime
    ) -> Satisfaction:
        F = source_of(query)
        rows = await self._db.execute(
            select(F.c.rating_score, func.count())
            .where(*_where(F, query), F.c.rating_score > 0)
            .group_by(F.c.rating_score)
            .order_by(F.c.rating_score)  # the same answer, byte for byte, whatever the plan
        )
        by_score = {int(score): int(n) for score, n in rows}
        count = sum(by_score.values())
        total = sum(score * n for score, n in by_score.items())
        bucket = func.date_trunc(interval.value, func.timezone(query.zone.key, F.c.created_at))
        trend = await self._db.execute(
            select(bucket.label("bucket"), func.count(), func.avg(cast(F.c.rating_score, Float)))
            .where(*_where(F, replace(query, start=trend_start)), F.c.rating_score > 0)
            .group_by(bucket)
            .order_by(bucket)
        )
        engineer = _name_of("engineer", F.c.engineer_id, "engineer_name")
        comments = await self._db.execute(
            select(F, engineer)
            .where(*_where(F, query), F.c.rating_score > 0, F.c.rating_comment != "")
            .order_by(F.c.finished_at.desc().nulls_last(), F.c.ticket_id.desc())
            .limit(COMMENTS)
        )
        return Satisfaction(
            by_score=by_score,
            average=round(total / count, 4) if count else 0.0,
            count=count,
            trend=[
                TrendRow(local.replace(tzinfo=query.zone), int(n), round(float(average), 4))
                for local, n, average in trend
            ],
            comments=[
                RatedTicket(
                    ticket_id=row["ticket_id"],
                    number=row["number"],
                    score=row["rating_score"],
                    comment=row["rating_comment"],
                    engineer_id=row["engineer_id"],
                    engineer_name=row["engineer_name"] or "",
                    finished_at=row["finished_at"],
                )
                for row in comments.mappings()
            ],
        )

    async def workload(self, query: Query) -> list[WorkloadRow]:
        F = source_of(query)
        start, end = query.start, query.end
        handled = and_(F.c.finished_at >= start, F.c.finished_at < end)
        still_open = and_(
            F.c.created_at < end,
            or_(F.c.resolved_at.is_(None), F.c.resolved_at >= end),
            or_(F.c.ended_at.is_(None), F.c.ended_at >= end),
        )
        open_count = func.count().filter(still_open)
        handled_count = func.count().filter(handled)
        resolution = func.avg(_durations(F)["resolution"]).filter(handled)
        label = _name_of("engineer", F.c.engineer_id)
        rows = await self._db.execute(
            select(F.c.engineer_id, label, open_count, handled_count, resolution)
            .where(
                F.c.engineer_id != "",
                F.c.created_at < end,
                or_(F.c.finished_at.is_(None), F.c.finished_at >= start),
                *_dimensions(F, query),
            )
            .group_by(F.c.engineer_id, label)
            .having(or_(open_count > 0, handled_count > 0))
            .order_by(open_count.desc(), handled_count.desc(), F.c.engineer_id)
            .limit(MAX_GROUPS)
        )
        return [
            WorkloadRow(
                engineer_id=engineer_id,
                name=name,
                open=int(n_open),
                handled=int(n_handled),
                average_resolution=_duration(average),
            )
            for engineer_id, name, n_open, n_handled, average in rows
        ]

    async def service_log(self, query: Query, after: LogKey | None, limit: int) -> list[LogEntry]:
        F = source_of(query)
        enterprise = _name_of("enterprise", F.c.enterprise_id, "enterprise_name")
        provider = _name_of("provider", F.c.provider_id, "provider_name")
        engineer = _name_of("engineer", F.c.engineer_id, "engineer_name")
        service_type = _name_of("service_type", F.c.service_type_id, "service_type_name")
        level = _name_of("service_level", F.c.service_level_id, "service_level_name")
        statement = select(F, enterprise, provider, engineer, service_type, level).where(
            *_where(F, query, F.c.finished_at)
        )
        if after is not None:
            statement = statement.where(
                tuple_(F.c.finished_at, F.c.ticket_id) < (after.finished_at, after.ticket_id)
            )
        rows = await self._db.execute(
            statement.order_by(F.c.finished_at.desc(), F.c.ticket_id.desc()).limit(limit)
        )
        return [
            LogEntry(
                fact=fact_of(row),
                enterprise_name=row["enterprise_name"] or "",
                provider_name=row["provider_name"] or "",
                engineer_name=row["engineer_name"] or "",
                service_type_name=row["service_type_name"] or "",
                service_level_name=row["service_level_name"] or "",
            )
            for row in rows.mappings()
        ]


def _name_of(kind: str, key: Any, label: str = "name") -> Any:
    """The display name of the thing `key` names, "" when reporting has not heard of it."""
    return func.coalesce(
        select(names.c.name).where(names.c.kind == kind, names.c.id == key).scalar_subquery(),
        "",
    ).label(label)


def fact_of(row: Any) -> TicketFact:
    ticket = TicketState(
        ticket_id=row["ticket_id"],
        number=row["number"],
        title=row["title"],
        enterprise_id=row["enterprise_id"],
        requester_id=row["requester_id"],
        provider_id=row["provider_id"],
        engineer_id=row["engineer_id"],
        service_type_id=row["service_type_id"],
        service_type_path=tuple(row["service_type_path"]),
        service_level_id=row["service_level_id"],
        priority=row["priority"],
        channel=row["channel"],
        status=Status(row["status"]),
        created_at=row["created_at"],
        resolved_at=row["resolved_at"],
        closed_at=row["closed_at"],
        rating_score=row["rating_score"],
        rating_comment=row["rating_comment"],
        response_due_at=row["response_due_at"],
        resolution_due_at=row["resolution_due_at"],
    )
    return TicketFact(
        ticket=ticket,
        version=row["version"],
        approved_at=row["approved_at"],
        assigned_at=row["assigned_at"],
        first_response_at=row["first_response_at"],
        resolved_at=row["resolved_at"],
        closed_at=row["closed_at"],
        cancelled_at=row["cancelled_at"],
        reopen_count=row["reopen_count"],
        response_breached=row["response_breached"],
        resolution_breached=row["resolution_breached"],
    )

"""Reporting's ports in memory, for unit tests of the use cases (no servers). The fake report
queries compute volume and backlog the slow, obvious way over the facts; the others record the
query they were given (the scope checks) and answer empty."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.reporting.domain.facts import TicketFact
from services.reporting.domain.reports import (
    Dimension,
    Interval,
    Measure,
    Query,
    bucket_start,
)
from services.reporting.service_layer.deps import Deps
from services.reporting.service_layer.ports import (
    Durations,
    DurationStats,
    LedgerEntry,
    LogEntry,
    LogKey,
    Ranked,
    Satisfaction,
    SlaCompliance,
    TrendRow,
    Versions,
    VolumeRow,
    WorkloadRow,
)
from services.reporting.settings import ReportingSettings
from tests.support.fakes import BaseState, FakeClock, FakeDatabase, FakeUnit


@dataclass
class ReportingState(BaseState):
    ledger: dict[str, LedgerEntry] = field(default_factory=dict)
    facts: dict[str, TicketFact] = field(default_factory=dict)
    # ticket id → [(valid from, valid to or None, fact)], oldest first
    history: dict[str, list[tuple[datetime, datetime | None, TicketFact]]] = field(
        default_factory=dict
    )
    names: dict[tuple[str, str], str] = field(default_factory=dict)


class ReportingDatabase(FakeDatabase[ReportingState]):
    def __init__(self) -> None:
        super().__init__(ReportingState())
        self.queries: list[Query] = []  # what each report asked (read-only use cases)


class FakeLedger:
    def __init__(self, state: ReportingState):
        self._s = state

    async def add(self, entries: list[LedgerEntry]) -> set[str]:
        added = set()
        for entry in entries:
            if entry.event_id not in self._s.ledger:
                self._s.ledger[entry.event_id] = entry
                added.add(entry.event_id)
        return added

    async def of_aggregates(
        self, aggregate_type: str, aggregate_ids: list[str]
    ) -> dict[str, list[LedgerEntry]]:
        found: dict[str, list[LedgerEntry]] = {}
        for e in sorted(
            self._s.ledger.values(), key=lambda e: (e.version, e.occurred_at, e.event_id)
        ):
            if e.aggregate_type == aggregate_type and e.aggregate_id in aggregate_ids:
                found.setdefault(e.aggregate_id, []).append(e)
        return found


class FakeFacts:
    def __init__(self, state: ReportingState):
        self._s = state

    async def lock(self, ticket_ids: list[str]) -> None:
        return None

    async def put(self, facts: list[TicketFact]) -> None:
        for fact in facts:
            self._s.facts[fact.ticket_id] = fact

    async def put_versions(self, cuts: list[Versions]) -> None:
        for cut in cuts:
            kept = [v for v in self._s.history.get(cut.ticket_id, []) if v[0] < cut.since]
            if kept:
                start, _, fact = kept[-1]
                kept[-1] = (start, cut.found[0][0] if cut.found else None, fact)
            for i, (moment, version) in enumerate(cut.found):
                if version is not None:
                    until = cut.found[i + 1][0] if i + 1 < len(cut.found) else None
                    kept.append((moment, until, version))
            self._s.history[cut.ticket_id] = kept


class FakeNames:
    def __init__(self, state: ReportingState):
        self._s = state

    async def put(self, kind: str, id: str, name: str) -> None:
        self._s.names[(kind, id)] = name


def facts_of(state: ReportingState, query: Query) -> list[TicketFact]:
    """The facts a query counts: current, or the versions that stood at its as-of moment."""
    if query.as_of is None:
        return list(state.facts.values())
    moment = query.as_of
    return [
        fact
        for versions in state.history.values()
        for start, until, fact in versions
        if start <= moment and (until is None or until > moment)
    ]


def matches(fact: TicketFact, query: Query) -> bool:
    """The scope and dimension filters, the obvious way."""
    t = fact.ticket
    wanted = (
        (t.enterprise_id, query.scope.enterprise_id),
        (t.provider_id, query.scope.provider_id),
        (t.enterprise_id, query.enterprise_id),
        (t.provider_id, query.provider_id),
        (t.engineer_id, query.engineer_id),
        (t.service_level_id, query.service_level_id),
        (t.priority, query.priority),
    )
    if any(value and actual != value for actual, value in wanted):
        return False
    return not query.service_type_id or query.service_type_id in t.service_type_path


class FakeReports:
    def __init__(self, state: ReportingState, queries: list[Query]):
        self._s = state
        self._queries = queries

    async def volume(self, query: Query, interval: Interval) -> list[VolumeRow]:
        self._queries.append(query)
        counts: dict[datetime, dict[str, int]] = {}
        for fact in facts_of(self._s, query):
            if not matches(fact, query):
                continue
            for name, moment in (
                ("created", fact.created_at),
                ("resolved", fact.resolved_at),
                ("closed", fact.closed_at),
                ("cancelled", fact.cancelled_at),
            ):
                if moment is not None and query.start <= moment < query.end:
                    start = bucket_start(moment, interval, query.zone)
                    by_name = counts.setdefault(start, {})
                    by_name[name] = by_name.get(name, 0) + 1
        return [VolumeRow(start=s, **c) for s, c in sorted(counts.items())]

    async def backlog_at(self, query: Query, moment: datetime) -> int:
        return sum(
            1
            for f in facts_of(self._s, query)
            if matches(f, query)
            and f.created_at < moment
            and (f.ended_at is None or f.ended_at >= moment)
        )

    async def durations(self, query: Query, group_by: Dimension | None) -> Durations:
        self._queries.append(query)
        return Durations(DurationStats(), DurationStats(), DurationStats())

    async def top(self, query: Query, dimension: Dimension, measure: Measure) -> list[Ranked]:
        self._queries.append(query)
        return []

    async def sla(self, query: Query, now: datetime) -> SlaCompliance:
        self._queries.append(query)
        return SlaCompliance()

    async def satisfaction(
        self, query: Query, interval: Interval, trend_start: datetime
    ) -> Satisfaction:
        """The distribution and trend the obvious way; no comments."""
        self._queries.append(query)
        rated = [f for f in facts_of(self._s, query) if matches(f, query) and f.ticket.rating_score]
        in_range = [f for f in rated if query.start <= f.created_at < query.end]
        by_score: dict[int, int] = {}
        for f in in_range:
            by_score[f.ticket.rating_score] = by_score.get(f.ticket.rating_score, 0) + 1
        trend: dict[datetime, list[int]] = {}
        for f in rated:
            if trend_start <= f.created_at < query.end:
                start = bucket_start(f.created_at, interval, query.zone)
                trend.setdefault(start, []).append(f.ticket.rating_score)
        count = len(in_range)
        return Satisfaction(
            by_score=by_score,
            average=round(sum(f.ticket.rating_score for f in in_range) / count, 4)
            if count
            else 0.0,
            count=count,
            trend=[
                TrendRow(s, len(v), round(sum(v) / len(v), 4)) for s, v in sorted(trend.items())
            ],
        )

    async def workload(self, query: Query) -> list[WorkloadRow]:
        self._queries.append(query)
        return []

    async def service_log(self, query: Query, after: LogKey | None, limit: int) -> list[LogEntry]:
        self._queries.append(query)
        found = [
            f
            for f in facts_of(self._s, query)
            if matches(f, query)
            and f.finished_at is not None
            and query.start <= f.finished_at < query.end
        ]
        found.sort(key=lambda f: (f.finished_at, f.ticket_id), reverse=True)
        if after is not None:
            found = [
                f
                for f in found
                if (f.finished_at, f.ticket_id) < (after.finished_at, after.ticket_id)
            ]
        return [LogEntry(fact=f) for f in found[:limit]]


class FakeReportingUnit(FakeUnit[ReportingState]):
    def __init__(self, database: ReportingDatabase):
        super().__init__(database)
        self._queries = database.queries

    def opened(self) -> None:
        self.ledger = FakeLedger(self.state)
        self.facts = FakeFacts(self.state)
        self.names = FakeNames(self.state)
        self.reports = FakeReports(self.state, self._queries)


def fake_deps(clock: FakeClock | None = None) -> tuple[Deps, ReportingDatabase]:
    database = ReportingDatabase()
    deps = Deps(
        uow=lambda: FakeReportingUnit(database),
        settings=ReportingSettings(),
        clock=clock or FakeClock(),
    )
    return deps, database

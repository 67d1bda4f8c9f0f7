"""What reporting's use cases need from outside, as protocols: the ledger of every event it
consumed, the ticket facts folded from it, the names of organisations and people, and the
queries the reports run over the facts. `adapters/` implements them on PostgreSQL;
`tests/unit/reporting/fakes.py` in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from servicekit.ports import UnitPort
from services.reporting.domain.facts import TicketFact
from services.reporting.domain.reports import Dimension, Interval, Measure, Query


@dataclass(frozen=True)
class LedgerEntry:
    """One consumed event as it arrived: the replay source."""

    event_id: str
    event_type: str
    aggregate_type: str
    aggregate_id: str
    version: int
    occurred_at: datetime
    recorded_at: datetime
    envelope: bytes


class Ledger(Protocol):
    async def add(self, entries: list[LedgerEntry]) -> set[str]:
        """Appends the events; returns the ids of those it did not have yet (a repeated
        delivery adds nothing)."""

    async def of_aggregates(
        self, aggregate_type: str, aggregate_ids: list[str]
    ) -> dict[str, list[LedgerEntry]]:
        """Every recorded event of each aggregate, in version order."""


@dataclass(frozen=True)
class Versions:
    """A ticket's history from `since` on: (moment, fact as it stood from then), each valid
    until the next."""

    ticket_id: str
    since: datetime
    found: list[tuple[datetime, TicketFact | None]]


class Facts(Protocol):
    async def lock(self, ticket_ids: list[str]) -> None:
        """Holds the tickets' facts until the transaction ends (one fold at a time), taken in
        the order given (sorted, so two transactions never wait on each other in a circle)."""

    async def put(self, facts: list[TicketFact]) -> None: ...

    async def put_versions(self, cuts: list[Versions]) -> None:
        """Replaces each ticket's history from its `since` on with its `found`; the version
        before `since` then lasts until the first of them (or is current again when there
        are none)."""


class Names(Protocol):
    async def put(self, kind: str, id: str, name: str) -> None:
        """The display name of an enterprise, provider, engineer or user, as of its latest
        event."""


@dataclass(frozen=True)
class VolumeRow:
    start: datetime
    created: int = 0
    resolved: int = 0
    closed: int = 0
    cancelled: int = 0
    backlog: int = 0


@dataclass(frozen=True)
class DurationStats:
    count: int = 0
    average: timedelta | None = None
    median: timedelta | None = None
    p90: timedelta | None = None
    minimum: timedelta | None = None
    maximum: timedelta | None = None


@dataclass(frozen=True)
class DurationGroup:
    id: str
    name: str
    response: DurationStats
    resolution: DurationStats
    service: DurationStats


@dataclass(frozen=True)
class Durations:
    response: DurationStats
    resolution: DurationStats
    service: DurationStats
    groups: list[DurationGroup] = field(default_factory=list)


@dataclass(frozen=True)
class Ranked:
    id: str
    name: str
    count: int
    average_service: timedelta | None = None
    average_score: float = 0.0


@dataclass(frozen=True)
class SlaCompliance:
    response_total: int = 0
    response_met: int = 0
    resolution_total: int = 0
    resolution_met: int = 0


@dataclass(frozen=True)
class TrendRow:
    start: datetime
    count: int = 0
    average: float = 0.0


@dataclass(frozen=True)
class RatedTicket:
    ticket_id: str
    number: str
    score: int
    comment: str
    engineer_id: str
    engineer_name: str
    finished_at: datetime | None


@dataclass(frozen=True)
class Satisfaction:
    by_score: dict[int, int]
    average: float
    count: int
    trend: list[TrendRow] = field(default_factory=list)  # buckets that have ratings
    comments: list[RatedTicket] = field(default_factory=list)


@dataclass(frozen=True)
class WorkloadRow:
    engineer_id: str
    name: str
    open: int
    handled: int
    average_resolution: timedelta | None


@dataclass(frozen=True)
class LogEntry:
    fact: TicketFact
    enterprise_name: str = ""
    provider_name: str = ""
    engineer_name: str = ""
    service_type_name: str = ""
    service_level_name: str = ""


@dataclass(frozen=True)
class LogKey:
    """Where a service-log page ends: the last entry's finish time and ticket id."""

    finished_at: datetime
    ticket_id: str


class Reports(Protocol):
    """The report queries over the facts; every one honours the query's scope and filter."""

    async def volume(self, query: Query, interval: Interval) -> list[VolumeRow]:
        """Counts per bucket that has any; backlog is counted at each bucket's end."""

    async def backlog_at(self, query: Query, moment: datetime) -> int:
        """Tickets created before `moment` and not ended by then."""

    async def durations(self, query: Query, group_by: Dimension | None) -> Durations: ...

    async def top(self, query: Query, dimension: Dimension, measure: Measure) -> list[Ranked]:
        """The best ten by the measure."""

    async def sla(self, query: Query, now: datetime) -> SlaCompliance: ...

    async def satisfaction(
        self, query: Query, interval: Interval, trend_start: datetime
    ) -> Satisfaction:
        """The distribution and the latest comments over the query's range; the trend per
        creation bucket (those with ratings) from `trend_start`, the first bucket's start."""

    async def workload(self, query: Query) -> list[WorkloadRow]:
        """Per engineer: open at the query's end, finished in its range."""

    async def service_log(self, query: Query, after: LogKey | None, limit: int) -> list[LogEntry]:
        """Tickets finished in the query's range, most recently finished first."""


class ReportingUnit(UnitPort, Protocol):
    @property
    def ledger(self) -> Ledger: ...

    @property
    def facts(self) -> Facts: ...

    @property
    def names(self) -> Names: ...

    @property
    def reports(self) -> Reports: ...

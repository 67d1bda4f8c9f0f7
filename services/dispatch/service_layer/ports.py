"""What dispatch's use cases need from outside, as protocols: the rules, the read model it
routes on (providers, designations, engineers with availability and load, tickets), the
decisions, the unit of work holding them, and tickets' API to apply an assignment.
`adapters/` implements them on PostgreSQL and gRPC; `tests/unit/dispatch/fakes.py` in memory."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from servicekit.ports import UnitPort
from services.dispatch.domain.events import DecisionState, DispatchEvent, RecordedDecision
from services.dispatch.domain.routing import Engineer, Provider, Rule, Stage, TicketFacts
from services.dispatch.domain.sla_clock import BusinessCalendar
from services.dispatch.domain.sla_config import CalendarSpec, PolicySpec
from services.dispatch.domain.sla_tracking import TicketClocks


@dataclass(frozen=True)
class TicketState:
    """A ticket as dispatch knows it from tickets' events."""

    facts: TicketFacts
    status: str
    provider_id: str
    engineer_id: str
    version: int

    @property
    def awaits_provider(self) -> bool:
        return self.status == "pending_assignment" and not self.provider_id


T = TypeVar("T")


@dataclass(frozen=True)
class Stored(Generic[T]):
    """A definition as stored, with its creation and update times."""

    value: T
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class StoredRule:
    rule: Rule
    created_at: datetime
    updated_at: datetime


class Rules(Protocol):
    async def add(self, rule: Rule, actor_id: str) -> StoredRule:
        """Stores the rule as version 1 (and in its history)."""

    async def save(self, rule: Rule, actor_id: str) -> StoredRule:
        """Stores the rule as its next version (and in its history)."""

    async def get(self, rule_id: str) -> StoredRule | None: ...

    async def find(
        self,
        *,
        provider_id: str,
        show_disabled: bool,
        offset: int,
        limit: int,
        stage: Stage | None = None,
    ) -> list[StoredRule]:
        """In evaluation order (position, then age); `stage` None: both stages."""

    async def remove(self, rule_id: str) -> None: ...


class Directory(Protocol):
    async def providers(self, provider_ids: set[str]) -> dict[str, Provider]: ...

    async def engineers_of(self, provider_id: str) -> list[Engineer]:
        """The provider's engineers with their current load (open tickets, and decisions
        taken for them that their tickets do not show yet)."""

    async def engineer(self, engineer_id: str) -> Engineer | None: ...

    async def set_availability(
        self,
        engineer_id: str,
        *,
        available: bool,
        away_until: datetime | None,
        capacity: int,
        shift_calendar_id: str = "",
    ) -> None: ...

    async def mark_assigned(self, engineer_id: str) -> None:
        """Moves the engineer to the end of the round-robin queue."""


class TicketsSeen(Protocol):
    async def get(self, ticket_id: str) -> TicketState | None: ...

    async def unrouted(self, limit: int) -> list[str]:
        """Tickets waiting for a provider that no routing decision is about yet, oldest first."""

    async def raised_between(self, start: datetime, end: datetime, limit: int) -> list[TicketState]:
        """Tickets raised in [start, end), oldest first."""

    async def pool(self, provider_id: str, limit: int) -> list[tuple[str, str]]:
        """The provider's pool, oldest first: (ticket id, the rule of the latest decision that
        sent it to the provider — "" when it was assigned to the provider by hand)."""


class Decisions(Protocol):
    async def add(self, decision: RecordedDecision) -> None: ...
    async def of_ticket(self, ticket_id: str) -> list[RecordedDecision]: ...

    async def routed(self, ticket_id: str) -> bool:
        """Whether a routing decision (provider chosen or no match) exists for the ticket."""

    async def pending(self, limit: int) -> list[RecordedDecision]:
        """The oldest pending decisions, locked for this unit (others skip them)."""

    async def awaiting_engineer(self, now: datetime, limit: int) -> list[RecordedDecision]:
        """Applied provider-only decisions due for a look at the engineers (`recheck_at` passed)
        whose ticket still waits in the provider's pool; locked for this unit."""

    async def awaiting_start(self, now: datetime, limit: int) -> list[RecordedDecision]:
        """Applied decisions that chose an engineer who still holds the ticket unstarted and
        whose time to start has passed (`recheck_at`); locked for this unit."""

    async def redispatch_now(self, engineer_id: str, now: datetime) -> int:
        """Makes the engineer's unstarted tickets (assigned by dispatch) due for re-dispatch;
        returns how many."""

    async def redispatch_ticket(self, ticket_id: str, now: datetime) -> int:
        """Makes the ticket due for re-dispatch when dispatch assigned it to the engineer who
        holds it unstarted; returns 1 if so, else 0."""

    async def recheck(self, decision_id: str, at: datetime | None) -> None:
        """When to look again (None: never)."""

    async def settle(self, decision_id: str, state: DecisionState, error: str) -> None:
        """Records what became of a decision (counting the attempt)."""


class Sla(Protocol):
    """Business calendars, SLA policies and each ticket's clocks."""

    async def add_calendar(self, spec: CalendarSpec) -> Stored[CalendarSpec]: ...
    async def save_calendar(self, spec: CalendarSpec) -> Stored[CalendarSpec]: ...

    async def get_calendar(
        self, calendar_id: str, *, lock: bool = False
    ) -> Stored[CalendarSpec] | None: ...

    async def calendars(self, offset: int, limit: int) -> list[Stored[CalendarSpec]]: ...

    async def business_calendar(self, calendar_id: str) -> BusinessCalendar | None:
        """The clock's calendar with its official holidays (None: round the clock)."""

    async def add_policy(self, spec: PolicySpec) -> Stored[PolicySpec]: ...
    async def save_policy(self, spec: PolicySpec) -> Stored[PolicySpec]: ...

    async def get_policy(
        self, policy_id: str, *, lock: bool = False
    ) -> Stored[PolicySpec] | None: ...

    async def policies(self, offset: int, limit: int) -> list[Stored[PolicySpec]]: ...
    async def policy_for_level(self, service_level_id: str) -> PolicySpec | None: ...

    async def levels_taken(self, levels: set[str], except_policy: str) -> set[str]:
        """Which of `levels` another policy measures already."""

    async def policies_of_calendar(self, calendar_id: str) -> list[str]: ...

    async def get_clocks(self, ticket_id: str, *, lock: bool = False) -> TicketClocks | None: ...

    async def save_clocks(
        self,
        tracked: TicketClocks,
        *,
        next_due: datetime | None,
        response_due: datetime | None,
        resolution_due: datetime | None,
    ) -> None: ...

    async def due(self, now: datetime, limit: int) -> list[str]:
        """Tickets with an alert due by `now`, locked for this unit (others skip them)."""

    async def open_for_policies(
        self, policy_ids: list[str], levels: set[str]
    ) -> list[tuple[str, datetime | None, datetime | None]]:
        """Open tickets measured by these policies or at these levels, locked, with their
        response and resolution deadlines."""


class DispatchUnit(UnitPort, Protocol):
    @property
    def rules(self) -> Rules: ...
    @property
    def directory(self) -> Directory: ...
    @property
    def tickets(self) -> TicketsSeen: ...
    @property
    def decisions(self) -> Decisions: ...
    @property
    def sla(self) -> Sla: ...

    async def lock_tickets(self, ticket_ids: list[str]) -> None:
        """Serialises routing of these tickets until this unit ends (taken in sorted order,
        before any provider lock): of two units routing one ticket, the second sees the
        first's decision."""

    async def lock_provider(self, provider_id: str) -> None:
        """Serialises decisions for one provider until this unit ends, so round robin and
        capacity hold however many decisions run at once."""

    async def emit(self, event: DispatchEvent) -> None: ...


UNAVAILABLE = "unavailable"  # Applied.detail when tickets could not be reached


class Outcome(enum.Enum):
    APPLIED = "applied"
    GAVE_WAY = "gave_way"  # the ticket moved on: assigned by hand, claimed, cancelled
    RETRY = "retry"  # tickets unavailable or not yet aware (its directory lags): try again
    REFUSED = "refused"  # will never apply


@dataclass(frozen=True)
class Applied:
    outcome: Outcome
    detail: str = ""


class TicketsApi(Protocol):
    """Tickets' AssignTicket and EscalateTicket, called as dispatch's service account."""

    async def assign(
        self,
        *,
        ticket_id: str,
        provider_id: str,
        engineer_id: str,
        request_id: str,
        note: str,
        replaces_engineer_id: str = "",
    ) -> Applied: ...

    async def escalate(
        self, *, ticket_id: str, priority: str, request_id: str, reason: str
    ) -> Applied: ...

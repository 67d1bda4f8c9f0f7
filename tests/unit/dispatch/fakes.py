"""Dispatch's ports in memory, for unit tests of the use cases (no servers)."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.dispatch.domain.events import (
    DecisionKind,
    DecisionState,
    DispatchEvent,
    RecordedDecision,
)
from services.dispatch.domain.routing import Availability, Engineer, Provider, Rule, Stage
from services.dispatch.domain.sla_clock import BusinessCalendar
from services.dispatch.domain.sla_config import CalendarSpec, PolicySpec
from services.dispatch.domain.sla_tracking import TicketClocks
from services.dispatch.service_layer.deps import Deps
from services.dispatch.service_layer.ports import (
    Applied,
    Outcome,
    Stored,
    StoredRule,
    TicketState,
)
from services.dispatch.settings import DispatchSettings
from tests.support.fakes import BaseState, FakeClock, FakeDatabase, FakeUnit

OPEN = ("assigned", "in_progress")


@dataclass
class DispatchState(BaseState):
    rules: dict[str, StoredRule] = field(default_factory=dict)
    versions: list[tuple[str, int, str]] = field(default_factory=list)
    providers: dict[str, Provider] = field(default_factory=dict)
    engineers: dict[str, Engineer] = field(default_factory=dict)
    tickets: dict[str, TicketState] = field(default_factory=dict)
    decisions: dict[str, RecordedDecision] = field(default_factory=dict)
    events: list[DispatchEvent] = field(default_factory=list)
    calendars: dict[str, Stored[CalendarSpec]] = field(default_factory=dict)
    policies: dict[str, Stored[PolicySpec]] = field(default_factory=dict)
    clocks: dict[str, tuple[TicketClocks, datetime | None, tuple[datetime | None, ...]]] = field(
        default_factory=dict
    )  # ticket → (clocks, next due, (response due, resolution due))
    locks: list[str] = field(default_factory=list)
    seq: int = 0


class _Repo:
    def __init__(self, state: DispatchState, clock: FakeClock):
        self._s, self._clock = state, clock


class FakeRules(_Repo):
    async def add(self, rule: Rule, actor_id: str) -> StoredRule:
        stored = StoredRule(rule, self._clock(), self._clock())
        self._s.rules[rule.id] = stored
        self._s.versions.append((rule.id, rule.version, actor_id))
        return stored

    async def save(self, rule: Rule, actor_id: str) -> StoredRule:
        stored = StoredRule(rule, self._s.rules[rule.id].created_at, self._clock())
        self._s.rules[rule.id] = stored
        self._s.versions.append((rule.id, rule.version, actor_id))
        return stored

    async def get(self, rule_id: str) -> StoredRule | None:
        return self._s.rules.get(rule_id)

    async def find(
        self,
        *,
        provider_id: str,
        show_disabled: bool,
        offset: int,
        limit: int,
        stage: Stage | None = None,
    ) -> list[StoredRule]:
        found = [
            s
            for s in self._s.rules.values()
            if (not provider_id or s.rule.provider_id == provider_id)
            and (show_disabled or s.rule.enabled)
            and (stage is None or s.rule.stage is stage)
        ]
        found.sort(key=lambda s: (s.rule.position, s.created_at, s.rule.id))
        return found[offset : offset + limit]

    async def remove(self, rule_id: str) -> None:
        del self._s.rules[rule_id]


class FakeDirectory(_Repo):
    async def providers(self, provider_ids: set[str]) -> dict[str, Provider]:
        return {p: self._s.providers[p] for p in provider_ids if p in self._s.providers}

    async def engineers_of(self, provider_id: str) -> list[Engineer]:
        return sorted(
            (self._loaded(e) for e in self._s.engineers.values() if e.provider_id == provider_id),
            key=lambda e: e.id,
        )

    async def engineer(self, engineer_id: str) -> Engineer | None:
        found = self._s.engineers.get(engineer_id)
        return self._loaded(found) if found else None

    async def set_availability(
        self,
        engineer_id: str,
        *,
        available: bool,
        away_until: datetime | None,
        capacity: int,
        shift_calendar_id: str = "",
    ) -> None:
        state = (
            Availability.ON_DUTY
            if available
            else (Availability.AWAY if away_until else Availability.OFF)
        )
        self._s.engineers[engineer_id] = replace(
            self._s.engineers[engineer_id],
            availability=state,
            away_until=None if available else away_until,
            capacity=capacity or 1_000_000,
            shift_calendar_id=shift_calendar_id,
        )

    async def mark_assigned(self, engineer_id: str) -> None:
        self._s.seq += 1
        engineer = self._s.engineers[engineer_id]
        self._s.engineers[engineer_id] = replace(engineer, last_assigned_seq=self._s.seq)

    def _loaded(self, engineer: Engineer) -> Engineer:
        held = {
            t.facts.ticket_id
            for t in self._s.tickets.values()
            if t.engineer_id == engineer.id and t.status in OPEN
        }
        decided = {
            d.decision.ticket_id
            for d in self._s.decisions.values()
            if d.decision.engineer_id == engineer.id
            and d.state in (DecisionState.PENDING, DecisionState.APPLIED)
            and (t := self._s.tickets.get(d.decision.ticket_id)) is not None
            and not t.engineer_id
            and t.status == "pending_assignment"
        }
        return replace(engineer, open_tickets=len(held | decided))


class FakeTicketsSeen(_Repo):
    async def get(self, ticket_id: str) -> TicketState | None:
        return self._s.tickets.get(ticket_id)

    async def raised_between(self, start: datetime, end: datetime, limit: int) -> list[TicketState]:
        found = [t for t in self._s.tickets.values() if start <= t.facts.created_at < end]
        return sorted(found, key=lambda t: (t.facts.created_at, t.facts.ticket_id))[:limit]

    async def pool(self, provider_id: str, limit: int) -> list[tuple[str, str]]:
        waiting = sorted(
            (t for t in self._s.tickets.values() if t.status == "pending_assignment"
             and t.provider_id == provider_id and not t.engineer_id),
            key=lambda t: (t.facts.created_at, t.facts.ticket_id),
        )  # fmt: skip
        sent = {}
        for d in sorted(self._s.decisions.values(), key=lambda d: d.created_at):
            if d.kind is DecisionKind.PROVIDER_CHOSEN and d.decision.provider_id == provider_id:
                sent[d.decision.ticket_id] = d.decision.rule_id
        return [(t.facts.ticket_id, sent.get(t.facts.ticket_id, "")) for t in waiting][:limit]

    async def unrouted(self, limit: int) -> list[str]:
        routed = {d.decision.ticket_id for d in self._s.decisions.values()}
        waiting = [t for t in self._s.tickets.values() if t.awaits_provider
                   and t.facts.ticket_id not in routed]  # fmt: skip
        return [t.facts.ticket_id for t in sorted(waiting, key=lambda t: t.facts.created_at)][
            :limit
        ]


class FakeDecisions(_Repo):
    async def add(self, decision: RecordedDecision) -> None:
        self._s.decisions[decision.id] = decision

    async def of_ticket(self, ticket_id: str) -> list[RecordedDecision]:
        found = [d for d in self._s.decisions.values() if d.decision.ticket_id == ticket_id]
        return sorted(found, key=lambda d: d.created_at)

    async def routed(self, ticket_id: str) -> bool:
        return bool(await self.of_ticket(ticket_id))

    async def pending(self, limit: int) -> list[RecordedDecision]:
        found = [d for d in self._s.decisions.values() if d.state is DecisionState.PENDING]
        return sorted(found, key=lambda d: d.created_at)[:limit]

    async def awaiting_engineer(self, now: datetime, limit: int) -> list[RecordedDecision]:
        found = []
        for d in self._s.decisions.values():
            t = self._s.tickets.get(d.decision.ticket_id)
            if (
                d.recheck_at is not None
                and d.recheck_at <= now
                and d.state is DecisionState.APPLIED
                and t is not None
                and t.status == "pending_assignment"
                and not t.engineer_id
                and t.provider_id == d.decision.provider_id
            ):
                found.append(d)
        return sorted(found, key=lambda d: d.recheck_at or now)[:limit]

    async def awaiting_start(self, now: datetime, limit: int) -> list[RecordedDecision]:
        found = []
        for d in self._s.decisions.values():
            t = self._s.tickets.get(d.decision.ticket_id)
            if (
                d.recheck_at is not None
                and d.recheck_at <= now
                and d.state is DecisionState.APPLIED
                and d.decision.engineer_id
                and t is not None
                and t.status == "assigned"
                and t.engineer_id == d.decision.engineer_id
            ):
                found.append(d)
        return sorted(found, key=lambda d: d.recheck_at or now)[:limit]

    async def redispatch_now(self, engineer_id: str, now: datetime) -> int:
        unstarted = {t.facts.ticket_id for t in self._s.tickets.values()
                     if t.engineer_id == engineer_id and t.status == "assigned"}  # fmt: skip
        moved = 0
        for d in list(self._s.decisions.values()):
            if (d.decision.engineer_id == engineer_id and d.state is DecisionState.APPLIED
                    and d.decision.ticket_id in unstarted):  # fmt: skip
                self._s.decisions[d.id] = replace(d, recheck_at=now)
                moved += 1
        return moved

    async def redispatch_ticket(self, ticket_id: str, now: datetime) -> int:
        seen = self._s.tickets.get(ticket_id)
        if seen is None or seen.status != "assigned" or not seen.engineer_id:
            return 0
        moved = 0
        for d in list(self._s.decisions.values()):
            if (d.decision.ticket_id == ticket_id and d.state is DecisionState.APPLIED
                    and d.decision.engineer_id == seen.engineer_id):  # fmt: skip
                self._s.decisions[d.id] = replace(d, recheck_at=now)
                moved += 1
        return moved

    async def recheck(self, decision_id: str, at: datetime | None) -> None:
        self._s.decisions[decision_id] = replace(self._s.decisions[decision_id], recheck_at=at)

    async def settle(self, decision_id: str, state: DecisionState, error: str) -> None:
        self._s.decisions[decision_id] = self._s.decisions[decision_id].settled(state, error)


class FakeSla(_Repo):
    """Calendars without an official holiday schedule (the adapter adds China's)."""

    async def add_calendar(self, spec: CalendarSpec) -> Stored[CalendarSpec]:
        self._s.calendars[spec.id] = Stored(spec, self._clock(), self._clock())
        return self._s.calendars[spec.id]

    async def save_calendar(self, spec: CalendarSpec) -> Stored[CalendarSpec]:
        created = self._s.calendars[spec.id].created_at
        self._s.calendars[spec.id] = Stored(spec, created, self._clock())
        return self._s.calendars[spec.id]

    async def get_calendar(
        self, calendar_id: str, *, lock: bool = False
    ) -> Stored[CalendarSpec] | None:
        return self._s.calendars.get(calendar_id)

    async def calendars(self, offset: int, limit: int) -> list[Stored[CalendarSpec]]:
        ordered = sorted(self._s.calendars.values(), key=lambda s: (s.value.name, s.value.id))
        return ordered[offset : offset + limit]

    async def business_calendar(self, calendar_id: str) -> BusinessCalendar | None:
        stored = self._s.calendars.get(calendar_id)
        return stored.value.calendar(frozenset(), frozenset()) if stored else None

    async def add_policy(self, spec: PolicySpec) -> Stored[PolicySpec]:
        self._s.policies[spec.id] = Stored(spec, self._clock(), self._clock())
        return self._s.policies[spec.id]

    async def save_policy(self, spec: PolicySpec) -> Stored[PolicySpec]:
        created = self._s.policies[spec.id].created_at
        self._s.policies[spec.id] = Stored(spec, created, self._clock())
        return self._s.policies[spec.id]

    async def get_policy(self, policy_id: str, *, lock: bool = False) -> Stored[PolicySpec] | None:
        return self._s.policies.get(policy_id)

    async def policies(self, offset: int, limit: int) -> list[Stored[PolicySpec]]:
        ordered = sorted(self._s.policies.values(), key=lambda s: (s.value.name, s.value.id))
        return ordered[offset : offset + limit]

    async def policy_for_level(self, service_level_id: str) -> PolicySpec | None:
        found = [s for s in self._s.policies.values()
                 if service_level_id in s.value.service_level_ids]  # fmt: skip
        return min(found, key=lambda s: s.created_at).value if found else None

    async def levels_taken(self, levels: set[str], except_policy: str) -> set[str]:
        taken = {
            level
            for s in self._s.policies.values()
            if s.value.id != except_policy
            for level in s.value.service_level_ids
        }
        return taken & levels

    async def policies_of_calendar(self, calendar_id: str) -> list[str]:
        return [p for p, s in self._s.policies.items() if s.value.calendar_id == calendar_id]

    async def get_clocks(self, ticket_id: str, *, lock: bool = False) -> TicketClocks | None:
        found = self._s.clocks.get(ticket_id)
        return copy.deepcopy(found[0]) if found else None

    async def save_clocks(
        self,
        tracked: TicketClocks,
        *,
        next_due: datetime | None,
        response_due: datetime | None,
        resolution_due: datetime | None,
    ) -> None:
        self._s.clocks[tracked.ticket_id] = (
            copy.deepcopy(tracked), next_due, (response_due, resolution_due),
        )  # fmt: skip

    async def due(self, now: datetime, limit: int) -> list[str]:
        due = [(n, t) for t, (_, n, _) in self._s.clocks.items() if n is not None and n <= now]
        return [t for _, t in sorted(due)][:limit]

    async def open_for_policies(
        self, policy_ids: list[str], levels: set[str]
    ) -> list[tuple[str, datetime | None, datetime | None]]:
        return [
            (t, dues[0], dues[1])
            for t, (c, _, dues) in sorted(self._s.clocks.items())
            if c.stopped_at is None
            and (c.policy_id in policy_ids or c.facts.service_level_id in levels)
        ]


class FakeDispatchUnit(FakeUnit[DispatchState]):
    def __init__(self, database: FakeDatabase[DispatchState], clock: FakeClock):
        super().__init__(database)
        self._clock = clock

    def opened(self) -> None:
        self.rules = FakeRules(self.state, self._clock)
        self.directory = FakeDirectory(self.state, self._clock)
        self.tickets = FakeTicketsSeen(self.state, self._clock)
        self.decisions = FakeDecisions(self.state, self._clock)
        self.sla = FakeSla(self.state, self._clock)

    async def lock_tickets(self, ticket_ids: list[str]) -> None:
        self.state.locks.extend(f"ticket:{t}" for t in sorted(ticket_ids))

    async def lock_provider(self, provider_id: str) -> None:
        self.state.locks.append(provider_id)

    async def emit(self, event: DispatchEvent) -> None:
        self.state.events.append(copy.deepcopy(event))


class FakeTicketsApi:
    """Tickets' AssignTicket: answers from a script per ticket, APPLIED by default; every
    call is recorded."""

    def __init__(self) -> None:
        self.calls: list[dict[str, str]] = []
        self.answers: dict[str, list[Applied]] = {}

    async def assign(
        self,
        *,
        ticket_id: str,
        provider_id: str,
        engineer_id: str,
        request_id: str,
        note: str,
        replaces_engineer_id: str = "",
    ) -> Applied:
        call = {
            "ticket_id": ticket_id,
            "provider_id": provider_id,
            "engineer_id": engineer_id,
            "request_id": request_id,
        }
        self.calls.append(call | ({"replaces_engineer_id": replaces_engineer_id}
                                  if replaces_engineer_id else {}))  # fmt: skip
        script = self.answers.get(ticket_id)
        return script.pop(0) if script else Applied(Outcome.APPLIED)

    async def escalate(
        self, *, ticket_id: str, priority: str, request_id: str, reason: str
    ) -> Applied:
        self.calls.append({"ticket_id": ticket_id, "priority": priority, "request_id": request_id})
        script = self.answers.get(ticket_id)
        return script.pop(0) if script else Applied(Outcome.APPLIED)


@dataclass
class World:
    database: FakeDatabase[DispatchState]
    clock: FakeClock
    api: FakeTicketsApi
    deps: Deps
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]

    @property
    def state(self) -> DispatchState:
        return self.database.state

    def unit(self) -> FakeDispatchUnit:
        return FakeDispatchUnit(self.database, self.clock)


def world(**settings: object) -> World:
    database = FakeDatabase(DispatchState())
    clock, api = FakeClock(), FakeTicketsApi()
    deps = Deps(
        uow=lambda: FakeDispatchUnit(database, clock),
        tickets=api,
        settings=DispatchSettings(**settings),  # type: ignore[arg-type]
        clock=clock,
    )
    return World(database, clock, api, deps)

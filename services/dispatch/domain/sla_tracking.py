"""A ticket's SLA clocks kept current from the ticket's states as tickets' events carry them.

`TicketClocks.observe(facts, at)` compares the new state with the last one seen and moves the
clocks: waiting on the customer pauses them (and so does pending approval when the policy says
so), leaving that state resumes them, the first response meets the response target, resolving
meets both, a reopen resumes the resolution clock, cancelling or rejecting stops them. Because
it reads states rather than event kinds, a snapshot (a late joiner) and any newer event kind
move the clocks the same way. The alerts (warnings, breach, escalations) come from `Clock`
(sla.py); each is raised once: `TicketClocks.fired` keeps which.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from services.dispatch.domain.sla import Alert, Clock, SlaPolicy, Target, TargetState
from services.dispatch.domain.sla_clock import BusinessCalendar

WAITING = "waiting_on_customer"
PENDING_APPROVAL = "pending_approval"
DONE = frozenset({"resolved", "closed"})
STOPPED = frozenset({"cancelled", "rejected"})
DEFAULT_POLICY = SlaPolicy(response=timedelta(0), resolution=timedelta(0))


@dataclass(frozen=True)
class SlaFacts:
    """What the clocks need of a ticket, as one of tickets' events carried it."""

    ticket_id: str
    status: str
    created_at: datetime
    service_level_id: str = ""
    number: str = ""
    title: str = ""
    priority: str = ""
    response_target: timedelta | None = None
    resolution_target: timedelta | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    enterprise_id: str = ""
    provider_id: str = ""
    engineer_id: str = ""
    requester_id: str = ""


@dataclass(frozen=True)
class Met:
    """A target was met (late if `breached`)."""

    target: Target
    due_at: datetime | None
    met_at: datetime
    elapsed: timedelta
    breached: bool


@dataclass
class TicketClocks:
    ticket_id: str
    policy_id: str  # "" for the built-in policy
    facts: SlaFacts
    clocks: dict[Target, Clock]
    fired: dict[Target, set[str]] = field(default_factory=dict)
    stopped_at: datetime | None = None

    @classmethod
    def start(cls, facts: SlaFacts, policy_id: str, policy: SlaPolicy) -> TicketClocks | None:
        """Clocks for a ticket seen for the first time (None: its level has no targets)."""
        targets = {
            Target.RESPONSE: facts.response_target,
            Target.RESOLUTION: facts.resolution_target,
        }
        clocks = {t: Clock(t, facts.created_at, d) for t, d in targets.items() if d}
        if not clocks:
            return None
        # The clocks start as if pending approval: the first observation moves them on.
        tracked = cls(facts.ticket_id, policy_id, replace(facts, status=PENDING_APPROVAL), clocks)
        if facts.status == PENDING_APPROVAL and policy.pause_while_pending_approval:
            for clock in clocks.values():
                clock.pause(facts.created_at)
        return tracked

    def observe(
        self, facts: SlaFacts, at: datetime, policy: SlaPolicy, calendar: BusinessCalendar
    ) -> list[Met]:
        """Moves the clocks to the ticket's new state at `at`; returns the targets met now."""
        before, now_status = self.facts.status, facts.status
        self.facts = facts
        if self.stopped_at is not None:
            return []
        if now_status in STOPPED:
            self.stopped_at = at
            return []
        if before == WAITING and now_status != WAITING:
            self._each(lambda c: c.resume(at))
        if before == PENDING_APPROVAL and now_status != PENDING_APPROVAL:
            self._each(lambda c: c.resume(at))
        if before in DONE and now_status not in DONE and Target.RESOLUTION in self.clocks:
            self.clocks[Target.RESOLUTION].reopen(at)
        if now_status == WAITING and before != WAITING:
            self._each(lambda c: c.pause(at))
        met: list[Met] = []
        response = self.clocks.get(Target.RESPONSE)
        if response is not None and response.met_at is None:
            when = facts.first_response_at or (
                (facts.resolved_at or at) if now_status in DONE else None
            )
            if when is not None:
                met.append(self._meet(response, max(when, response.started_at), calendar))
        resolution = self.clocks.get(Target.RESOLUTION)
        if resolution is not None and resolution.met_at is None and now_status in DONE:
            when = facts.resolved_at or at
            met.append(self._meet(resolution, max(when, resolution.started_at), calendar))
        return met

    def _each(self, step: object) -> None:
        for clock in self.clocks.values():
            if clock.met_at is None:
                step(clock)  # type: ignore[operator]

    def _meet(self, clock: Clock, at: datetime, calendar: BusinessCalendar) -> Met:
        due = clock.deadline(calendar)
        clock.meet(at)
        return Met(
            clock.target,
            due,
            at,
            clock.elapsed(calendar, at),
            breached=due is not None and at > due,
        )

    def due_alerts(
        self, policy: SlaPolicy, calendar: BusinessCalendar, now: datetime
    ) -> list[Alert]:
        """Alerts due by `now` and not raised yet, marked raised."""
        if self.stopped_at is not None:
            return []
        due: list[Alert] = []
        for target, clock in self.clocks.items():
            fired = self.fired.setdefault(target, set())
            for alert in clock.due_alerts(policy, calendar, now, fired):
                fired.add(alert.key)
                due.append(alert)
        return sorted(due, key=lambda a: (a.due_at, a.key))

    def next_due(self, policy: SlaPolicy, calendar: BusinessCalendar) -> datetime | None:
        """When an alert comes due next (None: nothing left to raise)."""
        if self.stopped_at is not None:
            return None
        times = [
            t
            for target, clock in self.clocks.items()
            if (t := clock.next_due(policy, calendar, self.fired.get(target, set())))
        ]
        return min(times, default=None)

    def deadline(self, target: Target, calendar: BusinessCalendar) -> datetime | None:
        clock = self.clocks.get(target)
        return clock.deadline(calendar) if clock is not None else None

    def state(
        self, target: Target, policy: SlaPolicy, calendar: BusinessCalendar, now: datetime
    ) -> TargetState:
        clock = self.clocks[target]
        if clock.met_at is None and self.stopped_at is not None:
            return TargetState.STOPPED
        return clock.state(calendar, now, policy)

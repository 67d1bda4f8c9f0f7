"""SLA targets of a ticket: response and resolution clocks, pauses, and the alerts they raise.

A clock runs in business time (sla_clock.py) from the moment it starts, stops while paused
(waiting on the customer; pending approval if the policy says so), and is met by the ticket's
first engineer action (response) or its resolution. Alerts come due at fractions of the target
(warnings), at the deadline (breach), and at escalation offsets around it, each measured in
business time and each raised once (the caller keeps which fired). A reopened ticket's
resolution clock runs on from where it stood.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.dispatch.domain.sla_clock import BusinessCalendar, Pause, deadline, elapsed


class Target(enum.Enum):
    RESPONSE = "response"
    RESOLUTION = "resolution"


class TargetState(enum.Enum):
    RUNNING = "running"
    PAUSED = "paused"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"
    STOPPED = "stopped"  # cancelled or rejected before it was met


class EscalationAction(enum.Enum):
    NOTIFY_ROLE = "notify_role"
    RAISE_PRIORITY = "raise_priority"
    REDISPATCH = "redispatch"


@dataclass(frozen=True)
class Escalation:
    """`offset` of business time from the deadline: negative before it, positive after."""

    offset: timedelta
    action: EscalationAction
    role: str = ""


@dataclass(frozen=True)
class SlaPolicy:
    response: timedelta
    resolution: timedelta
    warn_at: tuple[float, ...] = (0.75, 0.9)
    escalations: tuple[Escalation, ...] = ()
    pause_while_pending_approval: bool = False

    def duration(self, target: Target) -> timedelta:
        return self.response if target is Target.RESPONSE else self.resolution


@dataclass(frozen=True)
class Alert:
    key: str  # stable per clock: "warning:0.75", "breach", "escalation:0"
    target: Target
    due_at: datetime
    escalation: Escalation | None = None


@dataclass
class Clock:
    target: Target
    started_at: datetime
    duration: timedelta
    pauses: list[Pause] = field(default_factory=list)
    met_at: datetime | None = None

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].end is None

    def pause(self, at: datetime) -> None:
        if not self.paused and self.met_at is None:
            self.pauses.append(Pause(at))

    def resume(self, at: datetime) -> None:
        if self.paused:
            self.pauses[-1] = Pause(self.pauses[-1].start, max(at, self.pauses[-1].start))

    def meet(self, at: datetime) -> None:
        if self.met_at is None:
            self.resume(at)
            self.met_at = at

    def reopen(self, at: datetime) -> None:
        """The ticket was reopened: the clock runs on, the time since it was met paused."""
        if self.met_at is not None:
            self.pauses.append(Pause(self.met_at, at))
            self.met_at = None

    def deadline(self, calendar: BusinessCalendar) -> datetime | None:
        return deadline(self.started_at, self.duration, calendar, self.pauses)

    def elapsed(self, calendar: BusinessCalendar, now: datetime) -> timedelta:
        return elapsed(self.started_at, self.met_at or now, calendar, self.pauses)

    def alerts(self, policy: SlaPolicy, calendar: BusinessCalendar) -> list[Alert]:
        """Every alert of this clock with its due time (None-due ones left out: paused)."""
        wanted: list[tuple[str, timedelta, Escalation | None]] = [
            (f"warning:{fraction:g}", self.duration * fraction, None)
            for fraction in policy.warn_at
            if 0 < fraction < 1
        ]
        wanted.append(("breach", self.duration, None))
        wanted += [
            (f"escalation:{i}", max(self.duration + e.offset, timedelta(0)), e)
            for i, e in enumerate(policy.escalations)
        ]
        alerts = []
        for key, business_time, escalation in wanted:
            due = deadline(self.started_at, business_time, calendar, self.pauses)
            if due is not None:
                alerts.append(Alert(key, self.target, due, escalation))
        return sorted(alerts, key=lambda a: (a.due_at, a.key))

    def due_alerts(
        self, policy: SlaPolicy, calendar: BusinessCalendar, now: datetime, fired: set[str]
    ) -> list[Alert]:
        """Alerts due by `now` and not fired yet; none once the target is met."""
        if self.met_at is not None:
            return []
        return [a for a in self.alerts(policy, calendar) if a.due_at <= now and a.key not in fired]

    def next_due(
        self, policy: SlaPolicy, calendar: BusinessCalendar, fired: set[str]
    ) -> datetime | None:
        """When the timer should look at this clock next (None: nothing left to raise)."""
        if self.met_at is not None:
            return None
        pending = [a.due_at for a in self.alerts(policy, calendar) if a.key not in fired]
        return min(pending, default=None)

    def state(self, calendar: BusinessCalendar, now: datetime, policy: SlaPolicy) -> TargetState:
        due = self.deadline(calendar)
        if self.met_at is not None:
            return TargetState.MET
        if due is not None and now >= due:
            return TargetState.BREACHED
        if self.paused:
            return TargetState.PAUSED
        first_warning = min(policy.warn_at, default=1.0)
        if self.elapsed(calendar, now) >= self.duration * first_warning:
            return TargetState.WARNING
        return TargetState.RUNNING


def clocks_for(policy: SlaPolicy, created_at: datetime, *, pending_approval: bool) -> list[Clock]:
    """A new ticket's clocks; paused from the start if it waits for approval and the policy
    says approval time does not count."""
    clocks = [Clock(t, created_at, policy.duration(t)) for t in Target]
    if pending_approval and policy.pause_while_pending_approval:
        for clock in clocks:
            clock.pause(created_at)
    return clocks

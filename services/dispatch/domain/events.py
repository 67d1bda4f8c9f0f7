"""What dispatch decided, as typed values: the domain's `Decision` with its id, its kind and
what became of it. `adapters/events.py` alone turns them into protobuf for the outbox."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime

from services.dispatch.domain.routing import Decision, Strategy
from services.dispatch.domain.sla import Alert
from services.dispatch.domain.sla_tracking import Met


class DecisionKind(enum.Enum):
    PROVIDER_CHOSEN = "provider_chosen"
    ENGINEER_CHOSEN = "engineer_chosen"
    NO_MATCH = "no_match"
    ESCALATED = "escalated"  # re-dispatched to the next candidate
    ESCALATED_TO_ADMIN = "escalated_to_admin"  # re-dispatched enough: the provider's admins act
    PRIORITY_RAISED = "priority_raised"  # an SLA escalation level raises the ticket's priority


class DecisionState(enum.Enum):
    PENDING = "pending"  # to apply to the ticket
    APPLIED = "applied"
    GAVE_WAY = "gave_way"  # someone assigned or claimed it first
    RECORDED = "recorded"  # nothing to apply (no match)


@dataclass(frozen=True)
class RecordedDecision:
    id: str
    kind: DecisionKind
    state: DecisionState
    decision: Decision
    created_at: datetime
    attempts: int = 0
    last_error: str = ""
    recheck_at: datetime | None = None  # when to look for an engineer (again)
    replaces: str = ""  # a re-dispatch: the engineer the ticket is taken from

    @classmethod
    def of(cls, decision_id: str, decision: Decision, now: datetime) -> RecordedDecision:
        """The decision as taken: an engineer-choosing strategy that found nobody free, or a
        claim window, looks for an engineer again later (`recheck_at`)."""
        recheck = None
        if decision.is_manual:
            kind, state = DecisionKind.NO_MATCH, DecisionState.RECORDED
        elif decision.engineer_id:
            kind, state = DecisionKind.ENGINEER_CHOSEN, DecisionState.PENDING
        else:
            kind, state = DecisionKind.PROVIDER_CHOSEN, DecisionState.PENDING
            if decision.strategy is Strategy.CLAIM_WINDOW:
                recheck = decision.claim_until
            elif decision.strategy in (Strategy.LEAST_LOADED, Strategy.ROUND_ROBIN):
                recheck = now
        return cls(decision_id, kind, state, decision, now, recheck_at=recheck)

    def settled(self, state: DecisionState, error: str = "") -> RecordedDecision:
        return replace(self, state=state, last_error=error, attempts=self.attempts + 1)


@dataclass(frozen=True)
class SlaTicket:
    """The ticket an SLA event is about, as dispatch last saw it."""

    number: str = ""
    title: str = ""
    priority: str = ""
    status: str = ""
    enterprise_id: str = ""
    provider_id: str = ""
    engineer_id: str = ""
    requester_id: str = ""


@dataclass(frozen=True)
class AssignmentDecided:
    """A decision was taken (topic ticketing.dispatch.decision.v1, keyed by ticket); one that
    leaves the ticket to the provider's admins carries the ticket, for telling them."""

    decision: RecordedDecision
    ticket: SlaTicket | None = None


@dataclass(frozen=True)
class SlaAlertRaised:
    """A warning, breach or escalation came due (topic ticketing.dispatch.sla.v1)."""

    ticket_id: str
    alert: Alert
    deadline: datetime | None  # the target's (a warning comes due before it)
    ticket: SlaTicket
    occurred_at: datetime

    @property
    def fraction(self) -> float:
        kind, _, value = self.alert.key.partition(":")
        return float(value) if kind == "warning" else 1.0

    @property
    def level(self) -> int:
        """Escalation level, 1 first (0 for warnings and breaches)."""
        kind, _, value = self.alert.key.partition(":")
        return int(value) + 1 if kind == "escalation" else 0


@dataclass(frozen=True)
class SlaTargetMet:
    """A target was met (topic ticketing.dispatch.sla.v1)."""

    ticket_id: str
    met: Met
    ticket: SlaTicket


DispatchEvent = AssignmentDecided | SlaAlertRaised | SlaTargetMet

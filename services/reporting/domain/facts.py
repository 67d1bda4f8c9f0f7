"""A ticket's reporting fact — the one row reports count — folded from the ticket's events.

Every ticket event carries the ticket as it stood after the event, so the latest one gives the
ticket's dimensions (enterprise, provider, engineer, service type, level, priority, channel,
status, rating) and the events themselves give the times nobody stamps on the ticket (approved,
first assigned, first response, cancelled) and the reopen count. The fold sorts the events by
aggregate version and ignores repeated event ids: duplicates change nothing, and events that
arrive out of order give the same fact as in order.

A snapshot (state re-published for late joiners) carries the state but no step: when it is all
reporting has of a ticket, the fact has what the state says (created, resolved, closed times)
and leaves the rest unknown (None) rather than guessing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime


class EventKind(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    APPROVED = "approved"
    REJECTED = "rejected"
    ASSIGNED = "assigned"
    CLAIMED = "claimed"
    TRANSFERRED = "transferred"
    STARTED = "started"
    COMMENTED = "commented"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    RATED = "rated"
    SNAPSHOT = "snapshot"
    SLA = "sla"  # dispatch's SLA events: a target's business-time deadline and outcome
    OTHER = "other"  # attachments and anything newer this code does not know


class Status(enum.StrEnum):
    PENDING_APPROVAL = "pending_approval"
    PENDING_ASSIGNMENT = "pending_assignment"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    WAITING_ON_CUSTOMER = "waiting_on_customer"


# The first response is the ticket's own stamp (tickets sets it when the engineer starts or
# someone other than the requester replies publicly; dispatch's response clock stops there).
# For a state without the stamp (events older than it), the same rule read from the events.
RESPONSES = frozenset({EventKind.STARTED})


@dataclass(frozen=True)
class TicketState:
    """The ticket as one event carried it."""

    ticket_id: str
    number: str
    title: str
    enterprise_id: str
    requester_id: str
    provider_id: str
    engineer_id: str
    service_type_id: str
    service_type_path: tuple[str, ...]
    service_level_id: str
    priority: str
    channel: str
    status: Status
    created_at: datetime
    updated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    rating_score: int = 0  # 0: not rated
    rating_comment: str = ""
    response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    first_response_at: datetime | None = None  # tickets' stamp


@dataclass(frozen=True)
class SlaOutcome:
    """What one of dispatch's SLA events says of a target: its deadline in business time and,
    once known, whether it was missed (a breach, or met late) or met in time."""

    target: str  # "response" or "resolution"
    due_at: datetime
    breached: bool | None  # None: not decided yet (a warning)


@dataclass(frozen=True)
class TicketEvent:
    event_id: str
    kind: EventKind
    version: int
    occurred_at: datetime
    ticket: TicketState | None  # None for SLA events (they carry no ticket state)
    provider_reply: bool = False  # a public comment by the provider's side: a response
    sla: SlaOutcome | None = None


@dataclass(frozen=True)
class TicketFact:
    """What reports count of one ticket; None where the time is unknown or has not come."""

    ticket: TicketState  # as of the latest event
    version: int
    approved_at: datetime | None
    assigned_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None  # cancelled or rejected
    reopen_count: int
    # From dispatch's SLA events: whether each target was missed (None: not known — no SLA
    # event yet, or only warnings). Reports prefer these to comparing times with the due
    # times, which then are dispatch's business-time deadlines.
    response_breached: bool | None = None
    resolution_breached: bool | None = None

    @property
    def ticket_id(self) -> str:
        return self.ticket.ticket_id

    @property
    def created_at(self) -> datetime:
        return self.ticket.created_at

    @property
    def ended_at(self) -> datetime | None:
        """When it left the backlog: closed, cancelled or rejected."""
        return self.closed_at or self.cancelled_at

    @property
    def finished_at(self) -> datetime | None:
        """When the service ended, for the service log: ended, or resolved and awaiting
        closing."""
        return self.ended_at or (
            self.resolved_at if self.ticket.status is Status.RESOLVED else None
        )


def _order(event: TicketEvent) -> tuple[int, int, datetime, str]:
    # A snapshot of version v states what the event of version v did: it sorts first so the
    # event's step (its time, its kind) is the one that counts.
    return (event.version, event.kind is not EventKind.SNAPSHOT, event.occurred_at, event.event_id)


def _ordered(events: Iterable[TicketEvent]) -> list[TicketEvent]:
    return sorted({e.event_id: e for e in events}.values(), key=_order)


def fold(events: Iterable[TicketEvent]) -> TicketFact | None:
    """The fact of one ticket from any of its events, in any order, repeated or not."""
    facts = list(_scan(_ordered(events)))
    return facts[-1] if facts else None


def _scan(ordered: list[TicketEvent]) -> Iterator[TicketFact | None]:
    """The fact after each of `ordered` (deduplicated, in fold order): the fold of the events up
    to and including it (None while no event with the ticket's state has come)."""
    approved = assigned = responded = resolved = closed = cancelled = None
    reopened = 0
    latest: TicketState | None = None
    outcomes: dict[str, SlaOutcome] = {}
    for event in ordered:
        at, kind = event.occurred_at, event.kind
        if event.sla is not None:  # version 0: they sort before the ticket's own events
            known = outcomes.get(event.sla.target)
            if known is None or known.breached is None or event.sla.breached is not None:
                outcomes[event.sla.target] = _merged(known, event.sla)
        if event.ticket is None:
            yield _fact_of(latest, event.version, approved, assigned, responded, resolved,
                           closed, cancelled, reopened, outcomes) if latest else None  # fmt: skip
            continue
        if kind is EventKind.APPROVED and event.ticket.status is not Status.PENDING_APPROVAL:
            approved = at  # the last level's approval releases it
        if kind in (EventKind.ASSIGNED, EventKind.CLAIMED) and assigned is None:
            assigned = at
        if (kind in RESPONSES or event.provider_reply) and responded is None:
            responded = at
        if kind is EventKind.RESOLVED:
            resolved = at
        elif kind is EventKind.REOPENED:
            reopened += 1
            resolved = closed = None
        elif kind is EventKind.CLOSED:
            closed = at
        elif kind in (EventKind.CANCELLED, EventKind.REJECTED):
            cancelled = at
        latest = event.ticket
        yield _fact_of(latest, event.version, approved, assigned, responded, resolved, closed,
                       cancelled, reopened, outcomes)  # fmt: skip


def _merged(known: SlaOutcome | None, new: SlaOutcome) -> SlaOutcome:
    """A breach stays a breach (a later SlaMet says met late: still breached)."""
    if known is not None and known.breached and new.breached is False:
        return SlaOutcome(new.target, new.due_at, True)
    return new


def _fact_of(
    latest: TicketState,
    version: int,
    approved: datetime | None,
    assigned: datetime | None,
    responded: datetime | None,
    resolved: datetime | None,
    closed: datetime | None,
    cancelled: datetime | None,
    reopened: int,
    outcomes: dict[str, SlaOutcome],
) -> TicketFact:
    status = latest.status
    done_at, closed_at, cancelled_at = resolved, closed, cancelled
    if status in (Status.RESOLVED, Status.CLOSED):
        done_at = done_at or latest.resolved_at
    if status is Status.CLOSED:
        closed_at = closed_at or latest.closed_at or latest.updated_at
    if status in (Status.CANCELLED, Status.REJECTED):
        cancelled_at = cancelled_at or latest.updated_at
    response, resolution = outcomes.get("response"), outcomes.get("resolution")
    ticket = replace(
        latest,
        response_due_at=response.due_at if response else latest.response_due_at,
        resolution_due_at=resolution.due_at if resolution else latest.resolution_due_at,
    )
    return TicketFact(
        ticket=ticket,
        version=version,
        approved_at=approved,
        assigned_at=assigned,
        first_response_at=latest.first_response_at or responded,
        resolved_at=done_at if status in (Status.RESOLVED, Status.CLOSED) else None,
        closed_at=closed_at if status is Status.CLOSED else None,
        cancelled_at=cancelled_at if status in (Status.CANCELLED, Status.REJECTED) else None,
        reopen_count=reopened,
        response_breached=response.breached if response else None,
        resolution_breached=resolution.breached if resolution else None,
    )


def known_at(occurred_at: datetime, recorded_at: datetime) -> datetime:
    """From when an event counts "as of" a moment: once it had both happened and arrived."""
    return max(occurred_at, recorded_at)


def versions(
    timed: Iterable[tuple[datetime, TicketEvent]], since: datetime
) -> list[tuple[datetime, TicketFact | None]]:
    """The ticket's fact as it stood from each moment at or after `since` when what was known
    of it changed: for every distinct known-at time τ ≥ `since` (see `known_at`), the fold of
    the events known by τ — listed only where it differs from the one before (the first
    compared with the fold of what was known before `since`). None: nothing was known yet."""
    first_known: dict[str, tuple[datetime, TicketEvent]] = {}
    for at, event in sorted(timed, key=lambda pair: pair[0]):
        first_known.setdefault(event.event_id, (at, event))
    events = list(first_known.values())
    ordered = _ordered(e for _, e in events)
    if [e.event_id for _, e in events] == [e.event_id for e in ordered]:
        # Known in fold order (the usual case): one pass gives every prefix's fact.
        steps: list[tuple[datetime, TicketFact | None]] = list(
            zip((at for at, _ in events), _scan(ordered), strict=True)
        )
    else:
        moments = sorted({at for at, _ in events})
        steps = [(m, fold(e for at, e in events if at <= m)) for m in moments]
    found: list[tuple[datetime, TicketFact | None]] = []
    previous: TicketFact | None = None
    for i, (moment, fact) in enumerate(steps):
        if i + 1 < len(steps) and steps[i + 1][0] == moment:
            continue  # known at the same moment as the next: one version for both
        if moment >= since and fact != previous:
            found.append((moment, fact))
        previous = fact
    return found

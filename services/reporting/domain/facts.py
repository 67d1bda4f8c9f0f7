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
from collections.abc import Iterable
from dataclasses import dataclass
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


RESPONSES = frozenset({EventKind.ASSIGNED, EventKind.CLAIMED, EventKind.STARTED})


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


@dataclass(frozen=True)
class TicketEvent:
    event_id: str
    kind: EventKind
    version: int
    occurred_at: datetime
    ticket: TicketState
    provider_reply: bool = False  # a public comment by the provider's side: a response


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


def fold(events: Iterable[TicketEvent]) -> TicketFact | None:
    """The fact of one ticket from any of its events, in any order, repeated or not."""
    ordered = sorted({e.event_id: e for e in events}.values(), key=_order)
    if not ordered:
        return None
    approved = assigned = responded = resolved = closed = cancelled = None
    reopened = 0
    for event in ordered:
        at, kind = event.occurred_at, event.kind
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
    latest = ordered[-1].ticket
    status = latest.status
    if status in (Status.RESOLVED, Status.CLOSED):
        resolved = resolved or latest.resolved_at
    if status is Status.CLOSED:
        closed = closed or latest.closed_at or latest.updated_at
    if status in (Status.CANCELLED, Status.REJECTED):
        cancelled = cancelled or latest.updated_at
    return TicketFact(
        ticket=latest,
        version=ordered[-1].version,
        approved_at=approved,
        assigned_at=assigned,
        first_response_at=responded,
        resolved_at=resolved if status in (Status.RESOLVED, Status.CLOSED) else None,
        closed_at=closed if status is Status.CLOSED else None,
        cancelled_at=cancelled if status in (Status.CANCELLED, Status.REJECTED) else None,
        reopen_count=reopened,
    )

"""Ticket histories for reporting's unit tests: a ticket's events as tickets publishes them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.reporting.domain.facts import EventKind, Status, TicketEvent, TicketState

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
_STATUS_AFTER = {
    EventKind.CREATED: Status.PENDING_ASSIGNMENT,
    EventKind.APPROVED: Status.PENDING_ASSIGNMENT,
    EventKind.REJECTED: Status.REJECTED,
    EventKind.ASSIGNED: Status.ASSIGNED,
    EventKind.CLAIMED: Status.ASSIGNED,
    EventKind.TRANSFERRED: Status.ASSIGNED,
    EventKind.STARTED: Status.IN_PROGRESS,
    EventKind.RESOLVED: Status.RESOLVED,
    EventKind.REOPENED: Status.IN_PROGRESS,
    EventKind.CLOSED: Status.CLOSED,
    EventKind.CANCELLED: Status.CANCELLED,
}


def state(ticket_id: str = "t-1", **changes: object) -> TicketState:
    base = TicketState(
        ticket_id=ticket_id,
        number="20261102-0001",
        title="打印机卡纸",
        enterprise_id="ent-a",
        requester_id="u-1",
        provider_id="prov-a",
        engineer_id="",
        service_type_id="st-printer",
        service_type_path=("st-it", "st-printer"),
        service_level_id="sl-std",
        priority="normal",
        channel="web",
        status=Status.PENDING_ASSIGNMENT,
        created_at=T0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def history(
    kinds: list[EventKind],
    *,
    ticket_id: str = "t-1",
    start: datetime = T0,
    step: timedelta = timedelta(hours=1),
    **fields: object,
) -> list[TicketEvent]:
    """Events of one ticket, an hour apart, each carrying the ticket as it stood after it."""
    events: list[TicketEvent] = []
    current = state(ticket_id, created_at=start, **fields)
    for version, kind in enumerate(kinds, start=1):
        at = start + step * (version - 1)
        status = _STATUS_AFTER.get(kind, current.status)
        changes: dict[str, object] = {"status": status, "updated_at": at}
        if kind in (EventKind.ASSIGNED, EventKind.CLAIMED):
            changes["engineer_id"] = "eng-1"
        if kind is EventKind.RESOLVED:
            changes["resolved_at"] = at
        if kind is EventKind.CLOSED:
            changes["closed_at"] = at
        if kind is EventKind.RATED:
            changes.update(rating_score=4, rating_comment="快")
        current = replace(current, **changes)  # type: ignore[arg-type]
        events.append(TicketEvent(f"{ticket_id}-e{version}", kind, version, at, current))
    return events


LIFECYCLE = [
    EventKind.CREATED,
    EventKind.ASSIGNED,
    EventKind.STARTED,
    EventKind.RESOLVED,
    EventKind.REOPENED,
    EventKind.RESOLVED,
    EventKind.CLOSED,
    EventKind.RATED,
]

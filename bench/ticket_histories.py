"""Realistic ticket histories for the reporting benchmark, as reporting's domain events and as
the envelopes tickets publishes.

A ticket is raised by one of 200 enterprises (a few raise most: Zipf-like), through one of its
designated providers (20 providers of 12 engineers), for a leaf of a three-level service-type
tree, at one of three service levels, mostly normal priority. Its life: sometimes an approval
(or a rejection), assignment, start, a few public replies and customer comments, resolution,
sometimes a reopening and a second resolution, closing, and most often a rating; a few are
cancelled early; the youngest are still open at some step. About eight events a ticket."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ticketing.common.v1 import common_pb2
from ticketing.events.v1 import envelope_pb2
from ticketing.events.v1 import ticket_events_pb2 as ev
from ticketing.tickets.v1 import catalog_pb2, tickets_pb2

from servicekit.proto_values import timestamp
from services.reporting.domain.facts import EventKind, Status, TicketEvent, TicketState

ENTERPRISES, PROVIDERS, ENGINEERS_PER_PROVIDER = 200, 20, 12
LEVELS = ("level-gold", "level-silver", "level-bronze")
PRIORITIES = ("low", "normal", "normal", "normal", "high", "urgent")
TITLES = ("打印机无法打印", "Wi-Fi 断线", "空调不制冷", "门禁卡失效", "服务器告警")
CHANNELS = ("mini_program", "mini_program", "web", "staff", "api")
_STATUS = {
    EventKind.CREATED: Status.PENDING_ASSIGNMENT,
    EventKind.APPROVED: Status.PENDING_ASSIGNMENT,
    EventKind.REJECTED: Status.REJECTED,
    EventKind.ASSIGNED: Status.ASSIGNED,
    EventKind.STARTED: Status.IN_PROGRESS,
    EventKind.RESOLVED: Status.RESOLVED,
    EventKind.REOPENED: Status.IN_PROGRESS,
    EventKind.CLOSED: Status.CLOSED,
    EventKind.CANCELLED: Status.CANCELLED,
}
_PAYLOAD = {
    EventKind.CREATED: ev.TicketCreated,
    EventKind.APPROVED: ev.TicketApproved,
    EventKind.REJECTED: ev.TicketRejected,
    EventKind.ASSIGNED: ev.TicketAssigned,
    EventKind.STARTED: ev.TicketStarted,
    EventKind.COMMENTED: ev.TicketCommented,
    EventKind.RESOLVED: ev.TicketResolved,
    EventKind.REOPENED: ev.TicketReopened,
    EventKind.CLOSED: ev.TicketClosed,
    EventKind.CANCELLED: ev.TicketCancelled,
    EventKind.RATED: ev.TicketRated,
}
_PRIORITY_PB = {
    "low": catalog_pb2.PRIORITY_LOW,
    "normal": catalog_pb2.PRIORITY_NORMAL,
    "high": catalog_pb2.PRIORITY_HIGH,
    "urgent": catalog_pb2.PRIORITY_URGENT,
}


class World:
    """The organisations, people and catalogue the tickets are drawn from."""

    def __init__(self, rnd: random.Random):
        self.rnd = rnd
        self.enterprises = [f"ent-{i:03d}" for i in range(ENTERPRISES)]
        self.weights = [1 / (i + 1) for i in range(ENTERPRISES)]
        providers = [f"prov-{i:02d}" for i in range(PROVIDERS)]
        self.designated = {
            e: rnd.sample(providers, rnd.choice((1, 1, 2))) for e in self.enterprises
        }
        self.engineers = {
            p: [f"eng-{p[5:]}-{n:02d}" for n in range(ENGINEERS_PER_PROVIDER)] for p in providers
        }
        self.paths = [
            (f"type-{a}", f"type-{a}-{b}", f"type-{a}-{b}-{c}")
            for a in range(4)
            for b in range(3)
            for c in range(3)
        ]


def ticket_history(
    world: World, number: int, created_at: datetime, now: datetime
) -> list[TicketEvent]:
    """One ticket's events, oldest first; steps after `now` have not happened yet."""
    rnd = world.rnd
    enterprise = rnd.choices(world.enterprises, world.weights)[0]
    provider = rnd.choice(world.designated[enterprise])
    path = rnd.choice(world.paths)
    hours = {"level-gold": 4, "level-silver": 8, "level-bronze": 24}
    level = rnd.choice(LEVELS)
    ticket_id = str(uuid.UUID(int=rnd.getrandbits(128)))
    state = TicketState(
        ticket_id=ticket_id,
        number=f"T{created_at:%Y%m%d}{number:07d}",
        title=rnd.choice(TITLES),
        enterprise_id=enterprise,
        requester_id=f"user-{enterprise[4:]}-{rnd.randrange(30):02d}",
        provider_id=provider,
        engineer_id="",
        service_type_id=path[-1],
        service_type_path=path,
        service_level_id=level,
        priority=rnd.choice(PRIORITIES),
        channel=rnd.choice(CHANNELS),
        status=Status.PENDING_ASSIGNMENT,
        created_at=created_at,
        updated_at=created_at,
        response_due_at=created_at + timedelta(hours=hours[level] / 4),
        resolution_due_at=created_at + timedelta(hours=hours[level]),
    )
    steps: list[Step] = [Step(EventKind.CREATED, timedelta(0))]
    minutes = lambda low, high: timedelta(minutes=rnd.uniform(low, high))  # noqa: E731
    if rnd.random() < 0.3:
        steps = [Step(EventKind.CREATED, timedelta(0), {"status": Status.PENDING_APPROVAL})]
        if rnd.random() < 0.08:
            steps.append(Step(EventKind.REJECTED, minutes(10, 600)))
        else:
            steps.append(Step(EventKind.APPROVED, minutes(10, 600)))
    if steps[-1].kind is not EventKind.REJECTED:
        if rnd.random() < 0.05:
            steps.append(Step(EventKind.CANCELLED, minutes(5, 300)))
        else:
            engineer = rnd.choice(world.engineers[provider])
            steps.append(Step(EventKind.ASSIGNED, minutes(2, 240), {"engineer_id": engineer}))
            steps.append(Step(EventKind.STARTED, minutes(5, 120)))
            for _ in range(rnd.choice((0, 1, 1, 2, 3))):
                steps.append(Step(EventKind.COMMENTED, minutes(5, 600)))
            steps.append(Step(EventKind.RESOLVED, minutes(30, 2_000)))
            if rnd.random() < 0.08:
                steps.append(Step(EventKind.REOPENED, minutes(60, 1_440)))
                steps.append(Step(EventKind.RESOLVED, minutes(30, 1_000)))
            steps.append(Step(EventKind.CLOSED, minutes(60, 4_320)))
            if rnd.random() < 0.7:
                score = rnd.choices((1, 2, 3, 4, 5), (2, 3, 10, 35, 50))[0]
                comment = rnd.choice(("", "", "很快", "态度好", "还行", "太慢了"))
                extra = {"rating_score": score, "rating_comment": comment}
                steps.append(Step(EventKind.RATED, minutes(1, 600), extra))
    return lived(state, steps, now, reply=lambda: rnd.random() < 0.6)


@dataclass(frozen=True)
class Step:
    """One step of a ticket's life: what happened, how long after the step before, and what
    it changed beyond the status its kind implies; `reply`: a comment by the provider's side."""

    kind: EventKind
    after: timedelta
    changes: dict[str, object] = field(default_factory=dict)
    reply: bool = False


def lived(
    state: TicketState,
    steps: list[Step],
    now: datetime | None = None,
    reply: Callable[[], bool] | None = None,
) -> list[TicketEvent]:
    """The events of a ticket that starts as `state` and lives `steps` (those after `now` have
    not happened yet); `reply` decides for each comment whether the provider's side wrote it
    (default: the step's own `reply`)."""
    events: list[TicketEvent] = []
    at = state.created_at
    for version, step in enumerate(steps, start=1):
        at += step.after
        if now is not None and at > now:
            break
        kind = step.kind
        update: dict[str, object] = {"updated_at": at, **step.changes}
        if kind in _STATUS and "status" not in step.changes:
            update["status"] = _STATUS[kind]
        if kind is EventKind.RESOLVED:
            update["resolved_at"] = at
        if kind is EventKind.REOPENED:
            update["resolved_at"] = None
        if kind is EventKind.CLOSED:
            update["closed_at"] = at
        provider_reply = kind is EventKind.COMMENTED and (reply() if reply else step.reply)
        if (kind is EventKind.STARTED or provider_reply) and state.first_response_at is None:
            update["first_response_at"] = at  # as tickets stamps it
        state = replace(state, **update)  # type: ignore[arg-type]
        events.append(
            TicketEvent(f"{state.ticket_id}-{version}", kind, version, at, state, provider_reply)
        )
    return events


def histories(
    count: int, start: datetime, end: datetime, seed: int = 11, until: datetime | None = None
) -> Iterator[list[TicketEvent]]:
    """`count` tickets created evenly at random between `start` and `end`, in creation order;
    what happens after `until` (default: `end`) has not happened yet."""
    world = World(random.Random(seed))
    span = (end - start).total_seconds()
    moments = sorted(world.rnd.uniform(0, span) for _ in range(count))
    for n, offset in enumerate(moments):
        yield ticket_history(world, n, start + timedelta(seconds=offset), until or end)


def ticket_pb(t: TicketState) -> tickets_pb2.Ticket:
    ticket = tickets_pb2.Ticket(
        ticket_id=t.ticket_id,
        number=t.number,
        title=t.title,
        enterprise_id=t.enterprise_id,
        requester_user_id=t.requester_id,
        provider_id=t.provider_id,
        engineer_id=t.engineer_id,
        service_type_id=t.service_type_id,
        service_type_path=list(t.service_type_path),
        service_level_id=t.service_level_id,
        priority=_PRIORITY_PB[t.priority],
        channel=tickets_pb2.Channel.Value("CHANNEL_" + t.channel.upper()),
        status=tickets_pb2.TicketStatus.Value("TICKET_STATUS_" + t.status.value.upper()),
        resolve_time=timestamp(t.resolved_at),
        close_time=timestamp(t.closed_at),
        response_due_time=timestamp(t.response_due_at),
        resolution_due_time=timestamp(t.resolution_due_at),
        first_response_time=timestamp(t.first_response_at),
    )
    ticket.stamps.create_time.FromDatetime(t.created_at)
    if t.updated_at:
        ticket.stamps.update_time.FromDatetime(t.updated_at)
    if t.rating_score:
        ticket.rating.score = t.rating_score
        ticket.rating.comment = t.rating_comment
    return ticket


def envelope_of(event: TicketEvent) -> envelope_pb2.EventEnvelope:
    """The envelope tickets would publish for the event."""
    payload = _PAYLOAD[event.kind](ticket=ticket_pb(event.ticket))
    if isinstance(payload, ev.TicketCommented):
        payload.comment.visibility = tickets_pb2.COMMENT_VISIBILITY_PUBLIC
        payload.comment.author.kind = (
            common_pb2.PRINCIPAL_KIND_ENGINEER
            if event.provider_reply
            else common_pb2.PRINCIPAL_KIND_ENTERPRISE
        )
    envelope = envelope_pb2.EventEnvelope(
        event_id=event.event_id,
        event_type=payload.DESCRIPTOR.full_name,
        tenant_id=event.ticket.enterprise_id,
        aggregate_type="ticket",
        aggregate_id=event.ticket.ticket_id,
        aggregate_version=event.version,
    )
    envelope.occurred_time.FromDatetime(event.occurred_at)
    envelope.payload.Pack(payload)
    return envelope

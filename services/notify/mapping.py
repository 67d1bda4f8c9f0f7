"""Protobuf ↔ notify's domain: tickets' events into notices, identity's kinds, messages out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from ticketing.events.v1 import envelope_pb2
from ticketing.events.v1 import ticket_events_pb2 as ev
from ticketing.notify.v1 import notify_pb2 as pb
from ticketing.tickets.v1 import catalog_pb2, tickets_pb2

from servicekit.proto_values import datetime_of, timestamp
from servicekit.read_model import kind_name
from services.notify.domain.messages import Category, Message, UnreadCount
from services.notify.domain.notices import (
    Actor,
    ApprovalWait,
    ApproverSide,
    NoticeKind,
    TicketFacts,
    TicketNotice,
)
from services.notify.domain.templates import VARIABLES
from services.notify.service_layer.live import StreamItem
from services.notify.service_layer.templates import Effective

CATEGORY = {
    Category.SYSTEM: pb.MESSAGE_CATEGORY_SYSTEM,
    Category.TICKET: pb.MESSAGE_CATEGORY_TICKET,
}
CATEGORY_FROM = {v: k for k, v in CATEGORY.items()}
_SIMPLE = {
    ev.TicketCreated: NoticeKind.CREATED,
    ev.TicketApproved: NoticeKind.APPROVED,
    ev.TicketAssigned: NoticeKind.ASSIGNED,
    ev.TicketClaimed: NoticeKind.CLAIMED,
    ev.TicketStarted: NoticeKind.STARTED,
    ev.TicketResolved: NoticeKind.RESOLVED,
    ev.TicketSnapshot: NoticeKind.CREATED,  # news only when notify missed the creation
}
TICKET_EVENTS = (
    *_SIMPLE, ev.TicketRejected, ev.TicketTransferred, ev.TicketCommented, ev.TicketReopened,
    ev.TicketClosed, ev.TicketCancelled, ev.TicketRated,
)  # fmt: skip


def notice_of(event: object, envelope: envelope_pb2.EventEnvelope) -> TicketNotice:
    """The notice for one of TICKET_EVENTS (others are nobody's news: updates, attachments,
    snapshots)."""
    ticket: tickets_pb2.Ticket = event.ticket  # type: ignore[attr-defined]
    actor = envelope.actor
    base = TicketNotice(
        NoticeKind.CREATED,
        ticket=ticket_facts(ticket),
        actor=Actor(actor.user_id, kind_name(actor.kind), actor.display_name),
        occurred_at=datetime_of(envelope, "occurred_time") or datetime.now(UTC),
    )
    kind = _SIMPLE.get(type(event))
    if kind is not None:
        return replace(
            base, kind=kind, previous_engineer_id=getattr(event, "previous_engineer_id", "")
        )
    match event:
        case ev.TicketRejected(reason=reason):
            return replace(base, kind=NoticeKind.REJECTED, text=reason)
        case ev.TicketTransferred(previous_engineer_id=previous, reason=reason):
            return replace(
                base, kind=NoticeKind.TRANSFERRED, previous_engineer_id=previous, text=reason
            )
        case ev.TicketCommented(comment=comment):
            internal = comment.visibility == tickets_pb2.COMMENT_VISIBILITY_INTERNAL
            kind = NoticeKind.INTERNAL_NOTE if internal else NoticeKind.PUBLIC_REPLY
            return replace(base, kind=kind, text=comment.body)
        case ev.TicketReopened(reason=reason):
            return replace(base, kind=NoticeKind.REOPENED, text=reason)
        case ev.TicketClosed(auto_closed=auto):
            return replace(base, kind=NoticeKind.CLOSED, auto_closed=auto)
        case ev.TicketCancelled(reason=reason):
            return replace(base, kind=NoticeKind.CANCELLED, text=reason)
        case ev.TicketRated():
            rating = ticket.rating
            return replace(base, kind=NoticeKind.RATED, score=rating.score, text=rating.comment)
    raise TypeError(f"not a notice: {type(event).__name__}")


def ticket_facts(ticket: tickets_pb2.Ticket) -> TicketFacts:
    approval = None
    if ticket.HasField("pending_approval_step"):
        step = ticket.pending_approval_step
        side = (
            ApproverSide.ENTERPRISE
            if step.side == catalog_pb2.APPROVER_SIDE_ENTERPRISE
            else ApproverSide.PLATFORM
        )
        approval = ApprovalWait(step.level, step.permission_code, side)
    status = tickets_pb2.TicketStatus.Name(ticket.status).removeprefix("TICKET_STATUS_").lower()
    return TicketFacts(
        ticket_id=ticket.ticket_id,
        number=ticket.number,
        title=ticket.title,
        status=status,
        enterprise_id=ticket.enterprise_id,
        requester_id=ticket.requester_user_id,
        provider_id=ticket.provider_id,
        engineer_id=ticket.engineer_id,
        approval=approval,
        auto_close_at=datetime_of(ticket, "auto_close_time"),
        created_at=datetime_of(ticket.stamps, "create_time"),
    )


def message_pb(message: Message) -> pb.Message:
    d = message.draft
    return pb.Message(
        message_id=message.id,
        title=d.title,
        body=d.body,
        event_type=d.event_type,
        ticket_id=d.ticket_id,
        ticket_number=d.ticket_number,
        category=CATEGORY[d.category],
        read=message.read,
        create_time=timestamp(message.created_at),
        read_time=timestamp(message.read_at),
    )


def stream_item_pb(item: StreamItem) -> pb.StreamMessagesResponse:
    if item.message is not None:
        return pb.StreamMessagesResponse(
            event_id=str(item.message.seq), message=message_pb(item.message)
        )
    assert item.unread is not None
    return pb.StreamMessagesResponse(unread_count=unread_pb(item.unread))


def template_pb(effective: Effective) -> pb.Template:
    key = effective.key
    return pb.Template(
        template_id=key.id,
        event_kind=key.kind.value,
        channel=pb.DELIVERY_CHANNEL_IN_APP,
        title_template=effective.template.title,
        body_template=effective.template.body,
        locale=key.locale,
        customized=effective.customized,
        update_time=timestamp(effective.updated_at),
        variables=sorted(VARIABLES),
    )


def unread_pb(unread: UnreadCount) -> pb.UnreadCount:
    return pb.UnreadCount(total=unread.total, system=unread.system, ticket=unread.ticket)

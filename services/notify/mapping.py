"""Protobuf ↔ notify's domain: tickets' events into notices, identity's kinds, messages out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from ticketing.dispatch.v1 import dispatch_pb2, sla_pb2
from ticketing.events.v1 import dispatch_events_pb2 as sla_ev
from ticketing.events.v1 import envelope_pb2
from ticketing.events.v1 import ticket_events_pb2 as ev
from ticketing.notify.v1 import notify_pb2 as pb
from ticketing.tickets.v1 import catalog_pb2, tickets_pb2

from servicekit.proto_values import datetime_of, timestamp
from servicekit.read_model import kind_name
from services.notify.domain import preferences as prefs_domain
from services.notify.domain.deliveries import Attempt, Delivery, DeliveryState
from services.notify.domain.messages import Category, Message, UnreadCount
from services.notify.domain.notices import (
    Actor,
    ApprovalWait,
    ApproverSide,
    NoticeKind,
    TicketFacts,
    TicketNotice,
)
from services.notify.domain.preferences import (
    PERSONAL,
    Channel,
    Layer,
    PreferenceError,
    QuietHours,
    Topic,
)
from services.notify.domain.templates import VARIABLES
from services.notify.domain.webhooks import Subscription
from services.notify.service_layer.live import StreamItem
from services.notify.service_layer.ports import StoredPreferences
from services.notify.service_layer.preferences import Change
from services.notify.service_layer.templates import Effective

CATEGORY = {
    Category.SYSTEM: pb.MESSAGE_CATEGORY_SYSTEM,
    Category.TICKET: pb.MESSAGE_CATEGORY_TICKET,
}
CATEGORY_FROM = {v: k for k, v in CATEGORY.items()}
CHANNEL = {
    Channel.IN_APP: pb.DELIVERY_CHANNEL_IN_APP,
    Channel.EMAIL: pb.DELIVERY_CHANNEL_EMAIL,
    Channel.SMS: pb.DELIVERY_CHANNEL_SMS,
    Channel.WECHAT: pb.DELIVERY_CHANNEL_WECHAT,
    Channel.WEBHOOK: pb.DELIVERY_CHANNEL_WEBHOOK,
}
CHANNEL_FROM = {v: k for k, v in CHANNEL.items()}
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
    ev.TicketClosed, ev.TicketCancelled, ev.TicketRated, ev.TicketWaitingOnCustomer,
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
        case ev.TicketWaitingOnCustomer(reason=reason):
            return replace(base, kind=NoticeKind.WAITING_ON_CUSTOMER, text=reason)
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
        priority=catalog_pb2.Priority.Name(ticket.priority).removeprefix("PRIORITY_").lower(),
        service_type_path=tuple(ticket.service_type_path) or (ticket.service_type_id,),
    )


SLA_EVENTS = (sla_ev.SlaWarningRaised, sla_ev.SlaBreached, sla_ev.SlaEscalated)
_SLA_KINDS = {
    sla_ev.SlaWarningRaised: NoticeKind.SLA_WARNING,
    sla_ev.SlaBreached: NoticeKind.SLA_BREACHED,
    sla_ev.SlaEscalated: NoticeKind.SLA_ESCALATED,
}
_SLA_TARGETS = {
    sla_pb2.SLA_TARGET_RESPONSE: "response",
    sla_pb2.SLA_TARGET_RESOLUTION: "resolution",
}


SlaAlert = sla_ev.SlaWarningRaised | sla_ev.SlaBreached | sla_ev.SlaEscalated


def _dispatch_seen(ticket_id: str, ticket: sla_ev.SlaTicket, provider_id: str) -> TicketFacts:
    """The ticket as dispatch's events carry it (as dispatch last saw it)."""
    return TicketFacts(
        ticket_id=ticket_id,
        number=ticket.number,
        title=ticket.title,
        status=tickets_pb2.TicketStatus.Name(ticket.status).removeprefix("TICKET_STATUS_").lower(),
        enterprise_id=ticket.enterprise_id,
        requester_id=ticket.requester_user_id,
        provider_id=provider_id,
        engineer_id=ticket.engineer_id,
        priority=catalog_pb2.Priority.Name(ticket.priority).removeprefix("PRIORITY_").lower(),
    )


def sla_notice_of(event: SlaAlert, envelope: envelope_pb2.EventEnvelope) -> TicketNotice:
    """The notice for one of dispatch's SLA alerts (raised by its timer: no actor)."""
    return TicketNotice(
        _SLA_KINDS[type(event)],
        ticket=_dispatch_seen(event.ticket_id, event.ticket, event.ticket.provider_id),
        actor=Actor(),
        occurred_at=datetime_of(envelope, "occurred_time") or datetime.now(UTC),
        sla_target=_SLA_TARGETS.get(event.target, ""),
        due_at=datetime_of(event, "due_time"),
        escalated_to=getattr(event, "role", ""),
    )


def escalation_notice_of(
    event: sla_ev.AssignmentDecided, envelope: envelope_pb2.EventEnvelope
) -> TicketNotice | None:
    """The notice for a dispatch decision that leaves the ticket to the provider's admins
    (ESCALATED_TO_ADMIN); None for every other decision (nobody is told of those here: the
    assignment they make is tickets' event)."""
    decision = event.decision
    if decision.kind != dispatch_pb2.DECISION_KIND_ESCALATED_TO_ADMIN:
        return None
    return TicketNotice(
        NoticeKind.DISPATCH_ESCALATED,
        ticket=_dispatch_seen(decision.ticket_id, event.ticket, decision.provider_id),
        actor=Actor(),
        occurred_at=datetime_of(envelope, "occurred_time") or datetime.now(UTC),
        text=decision.explanation,
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
        channel=CHANNEL[Channel(key.channel)],
        title_template=effective.template.title,
        body_template=effective.template.body,
        locale=key.locale,
        customized=effective.customized,
        update_time=timestamp(effective.updated_at),
        variables=sorted(VARIABLES),
    )


def unread_pb(unread: UnreadCount) -> pb.UnreadCount:
    return pb.UnreadCount(total=unread.total, system=unread.system, ticket=unread.ticket)


DELIVERY_STATE = {
    DeliveryState.PENDING: pb.DELIVERY_STATE_PENDING,
    DeliveryState.SENT: pb.DELIVERY_STATE_SENT,
    DeliveryState.FAILED: pb.DELIVERY_STATE_FAILED,
    DeliveryState.DEAD: pb.DELIVERY_STATE_DEAD,
}
DELIVERY_STATE_FROM = {v: k for k, v in DELIVERY_STATE.items()}
TOPIC = {t: pb.NotificationTopic.Value(f"NOTIFICATION_TOPIC_{t.name}") for t in Topic}
TOPIC_FROM = {v: k for k, v in TOPIC.items()}
LAYER = {layer: pb.PreferenceLayer.Value(f"PREFERENCE_LAYER_{layer.name}") for layer in Layer}
_SWITCH: dict[int, bool | None] = {
    pb.PREFERENCE_SWITCH_ON: True,
    pb.PREFERENCE_SWITCH_OFF: False,
    pb.PREFERENCE_SWITCH_INHERIT: None,
    pb.PREFERENCE_SWITCH_UNSPECIFIED: None,
}
PREFERENCE_PARTS = ("switches", "quiet_hours", "service_types")


def quiet_hours_pb(quiet: QuietHours) -> pb.QuietHours:
    return pb.QuietHours(
        start=quiet.start.strftime("%H:%M"),
        end=quiet.end.strftime("%H:%M"),
        time_zone=quiet.time_zone,
        enabled=quiet.enabled,
        critical_passes=quiet.critical_passes,
    )


def preferences_pb(stored: StoredPreferences) -> pb.NotificationPreferences:
    prefs = stored.preferences
    message = pb.NotificationPreferences(
        layer=LAYER[stored.layer],
        owner_id=stored.owner_id,
        switches=[
            pb.ChannelSwitch(
                topic=TOPIC[topic],
                channel=CHANNEL[channel],
                setting=pb.PREFERENCE_SWITCH_ON if on else pb.PREFERENCE_SWITCH_OFF,
            )
            for (topic, channel), on in sorted(prefs.switches.items())
        ],
        update_time=timestamp(stored.updated_at),
    )
    if prefs.quiet_hours is not None:
        message.quiet_hours.CopyFrom(quiet_hours_pb(prefs.quiet_hours))
    if prefs.service_type_ids is not None:
        message.service_types.CopyFrom(
            pb.ServiceTypeFilter(service_type_ids=sorted(prefs.service_type_ids))
        )
    return message


def effective_pb(found: prefs_domain.Effective) -> pb.EffectivePreferences:
    message = pb.EffectivePreferences(
        choices=[
            pb.EffectiveChoice(
                topic=TOPIC[c.topic],
                channel=CHANNEL[c.channel],
                enabled=c.enabled,
                layer=LAYER[c.layer],
            )
            for _, c in sorted(found.choices.items())
        ],
        quiet_hours_layer=LAYER[found.quiet_hours_layer],
        service_type_ids=sorted(found.service_type_ids),
        service_types_layer=LAYER[found.service_types_layer],
    )
    if found.quiet_hours is not None:
        message.quiet_hours.CopyFrom(quiet_hours_pb(found.quiet_hours))
    return message


def change_of(given: pb.NotificationPreferences, paths: set[str]) -> Change:
    """The update a request asks for (paths: validated PREFERENCE_PARTS); raises
    `PreferenceError` naming the field that cannot hold."""
    switches: dict[tuple[Topic, Channel], bool | None] | None = None
    if "switches" in paths:
        switches = {}
        for i, item in enumerate(given.switches):
            topic, channel = TOPIC_FROM.get(item.topic), CHANNEL_FROM.get(item.channel)
            if topic is None:
                raise PreferenceError(f"switches[{i}].topic", "is required")
            if channel is None:
                raise PreferenceError(f"switches[{i}].channel", "is required")
            if channel not in PERSONAL:
                raise PreferenceError(
                    f"switches[{i}].channel", "webhooks are organisation subscriptions"
                )
            on = _SWITCH.get(item.setting)
            if channel is Channel.IN_APP and on is False:
                raise PreferenceError(
                    f"switches[{i}].setting", "the in-app message centre cannot be turned off"
                )
            switches[(topic, channel)] = on
    quiet = None
    if "quiet_hours" in paths and given.HasField("quiet_hours"):
        quiet = _quiet_hours(given.quiet_hours)
    types = None
    if "service_types" in paths and given.HasField("service_types"):
        ids = [i.strip() for i in given.service_types.service_type_ids]
        if any(not i or len(i) > 64 for i in ids):
            raise PreferenceError("serviceTypes.serviceTypeIds", "ids are 1 to 64 characters")
        types = frozenset(ids)
    return Change(
        switches=switches,
        set_quiet_hours="quiet_hours" in paths,
        quiet_hours=quiet,
        set_service_types="service_types" in paths,
        service_type_ids=types,
    )


def _quiet_hours(given: pb.QuietHours) -> QuietHours:
    times = []
    for name, value in (("start", given.start), ("end", given.end)):
        try:
            parsed = datetime.strptime(value, "%H:%M").time()
        except ValueError:
            if not given.enabled and not value:
                parsed = datetime.min.time()
            else:
                raise PreferenceError(f"quietHours.{name}", "is HH:MM, e.g. 22:00") from None
        times.append(parsed)
    return QuietHours(
        start=times[0],
        end=times[1],
        time_zone=given.time_zone or "Asia/Shanghai",
        enabled=given.enabled,
        critical_passes=given.critical_passes,
    )


def delivery_pb(delivery: Delivery, attempts: list[Attempt] | None = None) -> pb.Delivery:
    d = delivery.draft
    waiting = delivery.state in (DeliveryState.PENDING, DeliveryState.FAILED)
    return pb.Delivery(
        delivery_id=delivery.id,
        user_id=d.user_id,
        channel=CHANNEL[d.channel],
        address=d.address,
        title=d.title,
        body=d.body,
        ticket_id=d.ticket_id,
        message_id=delivery.message_id,
        event_id=delivery.event_id,
        state=DELIVERY_STATE[delivery.state],
        attempt_count=delivery.attempts,
        due_time=timestamp(delivery.due_at if waiting else None),
        create_time=timestamp(delivery.created_at),
        sent_time=timestamp(delivery.sent_at),
        last_response=delivery.last_response,
        reason=d.reason,
        attempts=[
            pb.DeliveryAttempt(
                number=a.number,
                attempt_time=timestamp(a.at),
                succeeded=a.ok,
                response=a.response,
                latency_ms=a.latency_ms,
            )
            for a in attempts or []
        ],
    )


def subscription_pb(found: Subscription, *, with_secret: bool = False) -> pb.WebhookSubscription:
    previous = found.secrets[1].valid_until if len(found.secrets) > 1 else None
    return pb.WebhookSubscription(
        subscription_id=found.id,
        organization_id=found.organization_id,
        url=found.url,
        event_types=sorted(found.event_types),
        active=found.active,
        description=found.description,
        secret=found.secrets[0].value if with_secret else "",
        previous_secret_expire_time=timestamp(previous),
        create_time=timestamp(found.created_at),
        update_time=timestamp(found.updated_at),
    )

"""The one place tickets translates between protobuf messages and domain objects."""

from __future__ import annotations

from datetime import datetime, timedelta

from google.protobuf import duration_pb2, json_format, struct_pb2
from ticketing.common.v1 import common_pb2
from ticketing.tickets.v1 import catalog_pb2, knowledge_pb2, tickets_pb2

from servicekit.errors import FieldViolation, invalid_argument
from servicekit.proto_values import duration, timedelta_of, timestamp
from services.tickets.domain.attachments import Attachment
from services.tickets.domain.catalog import (
    ApprovalStep,
    ApproverSide,
    FieldType,
    FormField,
    Priority,
    ServiceLevel,
    ServiceType,
)
from services.tickets.domain.events import Comment, HistoryEntry
from services.tickets.domain.knowledge import Article, ArticleState
from services.tickets.domain.status import Status, StatusGroup
from services.tickets.domain.tickets import Channel, Ticket
from services.tickets.service_layer.names import NO_NAMES, Names


def _enum_map(domain_enum, proto_enum, prefix: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return {member: proto_enum.Value(f"{prefix}_{member.name}") for member in domain_enum}


STATUS = _enum_map(Status, tickets_pb2.TicketStatus, "TICKET_STATUS")
STATUS_FROM = {v: k for k, v in STATUS.items()}
GROUP = _enum_map(StatusGroup, tickets_pb2.StatusGroup, "STATUS_GROUP")
GROUP_FROM = {v: k for k, v in GROUP.items()}
CHANNEL = _enum_map(Channel, tickets_pb2.Channel, "CHANNEL")
CHANNEL_FROM = {v: k for k, v in CHANNEL.items()}
PRIORITY = _enum_map(Priority, catalog_pb2.Priority, "PRIORITY")
PRIORITY_FROM = {v: k for k, v in PRIORITY.items()}
FIELD_TYPE = _enum_map(FieldType, catalog_pb2.FormFieldType, "FORM_FIELD_TYPE")
FIELD_TYPE_FROM = {v: k for k, v in FIELD_TYPE.items()}
SIDE = _enum_map(ApproverSide, catalog_pb2.ApproverSide, "APPROVER_SIDE")
SIDE_FROM = {v: k for k, v in SIDE.items()} | {
    catalog_pb2.APPROVER_SIDE_UNSPECIFIED: ApproverSide.PLATFORM
}
ORDER_FROM = {
    tickets_pb2.TICKET_ORDER_UNSPECIFIED: "create_time_desc",
    tickets_pb2.TICKET_ORDER_CREATE_TIME_DESC: "create_time_desc",
    tickets_pb2.TICKET_ORDER_CREATE_TIME_ASC: "create_time_asc",
    tickets_pb2.TICKET_ORDER_UPDATE_TIME_DESC: "update_time_desc",
    tickets_pb2.TICKET_ORDER_PRIORITY_DESC: "priority_desc",
}
_KIND = {
    "platform": common_pb2.PRINCIPAL_KIND_PLATFORM,
    "enterprise": common_pb2.PRINCIPAL_KIND_ENTERPRISE,
    "provider": common_pb2.PRINCIPAL_KIND_PROVIDER,
    "engineer": common_pb2.PRINCIPAL_KIND_ENGINEER,
}


def actor(
    user_id: str, kind: str, organization_id: str, names: Names = NO_NAMES
) -> common_pb2.Actor:
    """Who acted; kind and organisation from the directory when the record lacks them."""
    person = names.person(user_id)
    return common_pb2.Actor(
        user_id=user_id,
        kind=_KIND.get(kind or (person.kind if person else ""), _NO_KIND),
        organization_id=organization_id or (person.organization_id if person else ""),
        display_name=person.display_name if person else "",
    )


_NO_KIND = common_pb2.PRINCIPAL_KIND_UNSPECIFIED


def handler_pb(t: Ticket, names: Names) -> tickets_pb2.TicketHandler | None:
    if not t.provider_id:
        return None
    engineer = names.person(t.engineer_id) if t.engineer_id else None
    return tickets_pb2.TicketHandler(
        provider_display_name=names.providers.get(t.provider_id, ""),
        engineer_display_name=engineer.display_name if engineer else "",
        engineer_number=engineer.number if engineer else "",
    )


def form_field_pb(f: FormField) -> catalog_pb2.FormField:
    message = catalog_pb2.FormField(
        key=f.key,
        label=f.label,
        type=FIELD_TYPE[f.type],
        required=f.required,
        options=f.options,
        pattern=f.pattern,
        help_text=f.help_text,
    )
    if f.min is not None:
        message.min = f.min
    if f.max is not None:
        message.max = f.max
    return message


def form_field_draft(m: catalog_pb2.FormField) -> FormField:
    return FormField(
        key=m.key,
        label=m.label,
        type=FIELD_TYPE_FROM.get(m.type, FieldType.TEXT),
        required=m.required,
        options=list(m.options),
        min=m.min if m.HasField("min") else None,
        max=m.max if m.HasField("max") else None,
        pattern=m.pattern,
        help_text=m.help_text,
    )


def service_type_pb(t: ServiceType) -> catalog_pb2.ServiceType:
    return catalog_pb2.ServiceType(
        service_type_id=t.id,
        display_name=t.display_name,
        parent_service_type_id=t.parent_id,
        level=t.level,
        sort_order=t.sort_order,
        disabled=not t.enabled,
        form_fields=[form_field_pb(f) for f in t.form_fields],
        default_service_level_id=t.default_service_level_id,
        skills=t.skills,
        description=t.description,
        stamps=common_pb2.AuditStamps(
            create_time=timestamp(t.created_at), update_time=timestamp(t.updated_at)
        ),
    )


def service_type_draft(m: catalog_pb2.ServiceType) -> ServiceType:
    return ServiceType(
        id=m.service_type_id,
        display_name=m.display_name,
        parent_id=m.parent_service_type_id,
        sort_order=m.sort_order,
        enabled=not m.disabled,
        form_fields=[form_field_draft(f) for f in m.form_fields],
        default_service_level_id=m.default_service_level_id,
        skills=list(m.skills),
        description=m.description,
    )


def service_level_pb(level: ServiceLevel) -> catalog_pb2.ServiceLevel:
    return catalog_pb2.ServiceLevel(
        service_level_id=level.id,
        display_name=level.display_name,
        priority=PRIORITY[level.priority],
        response_target=duration(level.response_target),
        resolution_target=duration(level.resolution_target),
        approval_steps=[
            catalog_pb2.ApprovalStep(
                level=s.level, permission_code=s.permission_code, side=SIDE[s.side]
            )
            for s in level.approval_steps
        ],
        auto_close_delay=duration(level.auto_close_delay),
        stamps=common_pb2.AuditStamps(
            create_time=timestamp(level.created_at), update_time=timestamp(level.updated_at)
        ),
    )


def service_level_draft(m: catalog_pb2.ServiceLevel) -> ServiceLevel:
    return ServiceLevel(
        id=m.service_level_id,
        display_name=m.display_name,
        priority=PRIORITY_FROM.get(m.priority, Priority.NORMAL),
        response_target=timedelta_of(m, "response_target"),
        resolution_target=timedelta_of(m, "resolution_target"),
        approval_steps=[
            ApprovalStep(i + 1, s.permission_code, SIDE_FROM[s.side])
            for i, s in enumerate(m.approval_steps)
        ],
        auto_close_delay=timedelta_of(m, "auto_close_delay") or timedelta(days=3),
    )


def _target(t: Ticket, due: datetime | None) -> duration_pb2.Duration | None:
    """The service level's target as stamped at creation: due = raised + target."""
    return duration(due - t.created_at) if due and t.created_at else None


def ticket_pb(t: Ticket, names: Names = NO_NAMES) -> tickets_pb2.Ticket:
    message = tickets_pb2.Ticket(
        ticket_id=t.id,
        number=t.number,
        title=t.title,
        description=t.description,
        service_type_id=t.service_type_id,
        service_level_id=t.service_level_id,
        priority=PRIORITY[t.priority],
        status=STATUS[t.status],
        status_group=GROUP[t.status.group],
        channel=CHANNEL[t.channel],
        enterprise_id=t.enterprise_id,
        requester_user_id=t.requester_id,
        created_by_user_id=t.created_by,
        contact_name=t.contact_name,
        contact_phone=t.contact_phone,
        location=t.location,
        provider_id=t.provider_id,
        engineer_id=t.engineer_id,
        pending_approval_level=t.pending_approval_level,
        approvals=[
            tickets_pb2.Approval(
                level=a.level,
                approver=actor(a.approver_id, "", "", names),
                approved=a.approved,
                comment=a.comment,
                decide_time=timestamp(a.decided_at),
            )
            for a in t.approvals
        ],
        resolution=t.resolution,
        cancel_reason=t.cancel_reason,
        response_due_time=timestamp(t.response_due_at),
        resolution_due_time=timestamp(t.resolution_due_at),
        auto_close_time=timestamp(t.auto_close_at),
        resolve_time=timestamp(t.resolved_at),
        close_time=timestamp(t.closed_at),
        attachment_ids=t.attachment_ids,
        service_type_path=t.service_type_path,
        response_target=_target(t, t.response_due_at),
        resolution_target=_target(t, t.resolution_due_at),
        first_response_time=timestamp(t.first_response_at),
        stamps=common_pb2.AuditStamps(
            create_time=timestamp(t.created_at), update_time=timestamp(t.updated_at)
        ),
        handler=handler_pb(t, names),
    )
    message.custom_fields.update(t.custom_fields)
    if t.pending_approval_level and t.pending_approval_level <= len(t.approval_steps):
        step = t.approval_steps[t.pending_approval_level - 1]
        message.pending_approval_step.CopyFrom(
            catalog_pb2.ApprovalStep(
                level=step.level, permission_code=step.permission_code, side=SIDE[step.side]
            )
        )
    if t.rating:
        message.rating.CopyFrom(
            tickets_pb2.Rating(
                score=t.rating.score,
                comment=t.rating.comment,
                rate_time=timestamp(t.rating.rated_at),
            )
        )
    return message


def ticket_draft(m: tickets_pb2.Ticket) -> Ticket:
    return Ticket(
        id="",
        number="",
        title=m.title,
        description=m.description,
        service_type_id=m.service_type_id,
        service_level_id=m.service_level_id,
        enterprise_id=m.enterprise_id,
        requester_id=m.requester_user_id,
        channel=CHANNEL_FROM.get(m.channel, Channel.WEB),
        contact_name=m.contact_name,
        contact_phone=m.contact_phone,
        location=m.location,
        custom_fields=struct_dict(m.custom_fields),
        attachment_ids=list(m.attachment_ids),
    )


def struct_dict(value: struct_pb2.Struct) -> dict:  # type: ignore[type-arg]
    return json_format.MessageToDict(value)


def comment_pb(c: Comment, names: Names = NO_NAMES) -> tickets_pb2.Comment:
    return tickets_pb2.Comment(
        ticket_id=c.ticket_id,
        comment_id=c.id,
        body=c.body,
        visibility=tickets_pb2.COMMENT_VISIBILITY_INTERNAL
        if c.internal
        else tickets_pb2.COMMENT_VISIBILITY_PUBLIC,
        author=actor(c.author_id, c.author_kind, c.author_organization_id, names),
        attachment_ids=c.attachment_ids or [],
        create_time=timestamp(c.created_at),
    )


def history_pb(h: HistoryEntry, names: Names = NO_NAMES) -> tickets_pb2.HistoryEntry:
    return tickets_pb2.HistoryEntry(
        history_entry_id=str(h.id),
        action=h.action,
        actor=actor(h.actor_id, h.actor_kind, h.actor_organization_id, names),
        from_status=STATUS[h.from_status],
        to_status=STATUS[h.to_status],
        changes=h.changes,
        note=h.note,
        create_time=timestamp(h.created_at),
    )


def requested_priority(m: tickets_pb2.Ticket) -> Priority | None:
    """The priority asked for; None means "the service level's". A number outside the enum
    (proto3 JSON accepts any) is refused."""
    if m.priority and m.priority not in PRIORITY_FROM:
        raise invalid_argument(
            "TICKET_INVALID", [FieldViolation("ticket.priority", "is not a priority")]
        )
    return PRIORITY_FROM.get(m.priority)


def required_priority(value: int) -> Priority:
    found: Priority | None = PRIORITY_FROM.get(value)
    if found is None:
        raise invalid_argument("TICKET_INVALID", [FieldViolation("priority", "is not a priority")])
    return found


def attachment_pb(a: Attachment, names: Names = NO_NAMES) -> tickets_pb2.Attachment:
    return tickets_pb2.Attachment(
        ticket_id=a.ticket_id,
        attachment_id=a.id,
        filename=a.filename,
        content_type=a.content_type,
        size_bytes=a.size_bytes,
        sha256=a.sha256,
        uploader=actor(a.uploader_id, a.uploader_kind, a.uploader_organization_id, names),
        create_time=timestamp(a.created_at),
    )


ARTICLE_STATE = {
    ArticleState.DRAFT: knowledge_pb2.ARTICLE_STATE_DRAFT,
    ArticleState.PUBLISHED: knowledge_pb2.ARTICLE_STATE_PUBLISHED,
}
ARTICLE_STATE_FROM = {v: k for k, v in ARTICLE_STATE.items()}


def article_pb(a: Article) -> knowledge_pb2.Article:
    return knowledge_pb2.Article(
        article_id=a.id,
        title=a.title,
        body=a.body,
        category=a.category,
        tags=a.tags,
        service_type_ids=a.service_type_ids,
        state=ARTICLE_STATE[a.state],
        helpful_count=a.helpful_count,
        not_helpful_count=a.not_helpful_count,
        stamps=common_pb2.AuditStamps(
            create_time=timestamp(a.created_at), update_time=timestamp(a.updated_at)
        ),
    )


def article_draft(m: knowledge_pb2.Article) -> Article:
    return Article(
        id=m.article_id,
        title=m.title,
        body=m.body,
        category=m.category,
        tags=[t.strip() for t in m.tags if t.strip()],
        service_type_ids=list(m.service_type_ids),
        state=ARTICLE_STATE_FROM.get(m.state, ArticleState.DRAFT),
    )

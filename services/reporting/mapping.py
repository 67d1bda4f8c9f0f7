"""Protobuf ↔ reporting's domain: envelopes into ledger entries and ticket events, requests into
filters, report results out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TypeVar

from google.protobuf.message import Message
from ticketing.common.v1 import common_pb2
from ticketing.dispatch.v1 import sla_pb2
from ticketing.events.v1 import catalog_events_pb2 as catalog_events
from ticketing.events.v1 import dispatch_events_pb2 as sla_ev
from ticketing.events.v1 import envelope_pb2
from ticketing.events.v1 import identity_events_pb2 as identity_events
from ticketing.events.v1 import ticket_events_pb2 as ev
from ticketing.reporting.v1 import reporting_pb2 as pb
from ticketing.tickets.v1 import catalog_pb2, tickets_pb2

from servicekit.errors import FieldViolation, invalid_argument
from servicekit.exports import FileFormat
from servicekit.paging import invalid_page_token, key_of_token, key_token
from servicekit.proto_values import datetime_of, duration, timestamp
from services.reporting.domain.facts import (
    EventKind,
    SlaOutcome,
    Status,
    TicketEvent,
    TicketState,
)
from services.reporting.domain.reports import Dimension, Filter, Interval, Measure, Report
from services.reporting.service_layer.ports import (
    DurationGroup,
    Durations,
    DurationStats,
    LedgerEntry,
    LogEntry,
    LogKey,
    Ranked,
    Satisfaction,
    VolumeRow,
    WorkloadRow,
)

T = TypeVar("T")
_KINDS: dict[type[Message], EventKind] = {
    ev.TicketCreated: EventKind.CREATED,
    ev.TicketUpdated: EventKind.UPDATED,
    ev.TicketApproved: EventKind.APPROVED,
    ev.TicketRejected: EventKind.REJECTED,
    ev.TicketAssigned: EventKind.ASSIGNED,
    ev.TicketClaimed: EventKind.CLAIMED,
    ev.TicketTransferred: EventKind.TRANSFERRED,
    ev.TicketStarted: EventKind.STARTED,
    ev.TicketCommented: EventKind.COMMENTED,
    ev.TicketAttachmentAdded: EventKind.OTHER,
    ev.TicketAttachmentRemoved: EventKind.OTHER,
    ev.TicketWaitingOnCustomer: EventKind.OTHER,
    ev.TicketResumed: EventKind.OTHER,
    ev.TicketResolved: EventKind.RESOLVED,
    ev.TicketReopened: EventKind.REOPENED,
    ev.TicketClosed: EventKind.CLOSED,
    ev.TicketCancelled: EventKind.CANCELLED,
    ev.TicketRated: EventKind.RATED,
    ev.TicketSnapshot: EventKind.SNAPSHOT,
}
_BY_NAME = {t.DESCRIPTOR.full_name: t for t in _KINDS}
_PROVIDER_SIDE = {
    common_pb2.PRINCIPAL_KIND_PROVIDER,
    common_pb2.PRINCIPAL_KIND_ENGINEER,
    common_pb2.PRINCIPAL_KIND_PLATFORM,
}
PRIORITY = {
    catalog_pb2.PRIORITY_LOW: "low",
    catalog_pb2.PRIORITY_NORMAL: "normal",
    catalog_pb2.PRIORITY_HIGH: "high",
    catalog_pb2.PRIORITY_URGENT: "urgent",
}
PRIORITY_PB = {v: k for k, v in PRIORITY.items()}
INTERVAL: dict[int, Interval] = {
    pb.INTERVAL_UNSPECIFIED: Interval.DAY,
    pb.INTERVAL_DAY: Interval.DAY,
    pb.INTERVAL_WEEK: Interval.WEEK,
    pb.INTERVAL_MONTH: Interval.MONTH,
    pb.INTERVAL_YEAR: Interval.YEAR,
}
DIMENSION: dict[int, Dimension] = {
    pb.DIMENSION_UNSPECIFIED: Dimension.SERVICE_TYPE,
    pb.DIMENSION_SERVICE_TYPE: Dimension.SERVICE_TYPE,
    pb.DIMENSION_ENTERPRISE: Dimension.ENTERPRISE,
    pb.DIMENSION_PROVIDER: Dimension.PROVIDER,
    pb.DIMENSION_ENGINEER: Dimension.ENGINEER,
}
MEASURE: dict[int, Measure] = {
    pb.MEASURE_UNSPECIFIED: Measure.TICKET_COUNT,
    pb.MEASURE_TICKET_COUNT: Measure.TICKET_COUNT,
    pb.MEASURE_AVERAGE_SERVICE_DURATION: Measure.SERVICE_DURATION,
    pb.MEASURE_AVERAGE_SATISFACTION: Measure.SATISFACTION,
}

REPORT: dict[int, Report] = {
    pb.EXPORTED_REPORT_UNSPECIFIED: Report.SERVICE_LOG,
    pb.EXPORTED_REPORT_SERVICE_LOG: Report.SERVICE_LOG,
    pb.EXPORTED_REPORT_VOLUME: Report.VOLUME,
    pb.EXPORTED_REPORT_DURATIONS: Report.DURATIONS,
    pb.EXPORTED_REPORT_TOP_TEN: Report.TOP_TEN,
    pb.EXPORTED_REPORT_SLA_COMPLIANCE: Report.SLA_COMPLIANCE,
    pb.EXPORTED_REPORT_SATISFACTION: Report.SATISFACTION,
    pb.EXPORTED_REPORT_WORKLOAD: Report.WORKLOAD,
}
FORMAT: dict[int, FileFormat] = {
    pb.EXPORT_FORMAT_UNSPECIFIED: FileFormat.CSV,
    pb.EXPORT_FORMAT_CSV: FileFormat.CSV,
    pb.EXPORT_FORMAT_XLSX: FileFormat.XLSX,
}

CHANNEL: dict[int, str] = {
    int(number): name.removeprefix("CHANNEL_").lower()
    for name, number in tickets_pb2.Channel.items()
    if number
}
STATUS: dict[int, Status] = {
    int(number): Status(name.removeprefix("TICKET_STATUS_").lower())
    for name, number in tickets_pb2.TicketStatus.items()
    if number
}


_SLA_BY_NAME: dict[str, type[Message]] = {
    t.DESCRIPTOR.full_name: t
    for t in (sla_ev.SlaWarningRaised, sla_ev.SlaBreached, sla_ev.SlaEscalated, sla_ev.SlaMet)
}


def _sla_event_of(entry: LedgerEntry) -> TicketEvent | None:
    """Dispatch's SLA event: the target's deadline, and whether it was missed when known."""
    envelope = envelope_pb2.EventEnvelope.FromString(entry.envelope)
    event = _SLA_BY_NAME[entry.event_type]()
    if not envelope.payload.Unpack(event):
        return None
    due = datetime_of(event, "due_time")
    target = {sla_pb2.SLA_TARGET_RESPONSE: "response",
              sla_pb2.SLA_TARGET_RESOLUTION: "resolution"}.get(event.target)  # type: ignore[attr-defined]  # fmt: skip
    if due is None or target is None:
        return None
    breached: bool | None = None
    if isinstance(event, sla_ev.SlaBreached):
        breached = True
    elif isinstance(event, sla_ev.SlaMet):
        breached = event.breached
    return TicketEvent(
        event_id=entry.event_id,
        kind=EventKind.SLA,
        version=entry.version,
        occurred_at=entry.occurred_at,
        ticket=None,
        sla=SlaOutcome(target, due, breached),
    )


def entry_of(envelope: envelope_pb2.EventEnvelope, raw: bytes, now: datetime) -> LedgerEntry:
    return LedgerEntry(
        event_id=envelope.event_id,
        event_type=envelope.event_type,
        aggregate_type=envelope.aggregate_type,
        aggregate_id=envelope.aggregate_id,
        version=envelope.aggregate_version,
        occurred_at=datetime_of(envelope, "occurred_time") or now,
        recorded_at=now,
        envelope=raw,
    )


def ticket_event_of(entry: LedgerEntry) -> TicketEvent | None:
    """The ticket event a ledger entry holds; None for anything else (identity's events, kinds
    newer than this code)."""
    if entry.event_type in _SLA_BY_NAME:
        return _sla_event_of(entry)
    payload_type = _BY_NAME.get(entry.event_type)
    if payload_type is None:
        return None
    envelope = envelope_pb2.EventEnvelope.FromString(entry.envelope)
    event = payload_type()
    if not envelope.payload.Unpack(event):
        return None
    provider_reply = (
        isinstance(event, ev.TicketCommented)
        and event.comment.visibility != tickets_pb2.COMMENT_VISIBILITY_INTERNAL
        and event.comment.author.kind in _PROVIDER_SIDE
    )
    return TicketEvent(
        event_id=entry.event_id,
        kind=_KINDS[payload_type],
        version=entry.version,
        occurred_at=entry.occurred_at,
        ticket=ticket_state(event.ticket, entry.occurred_at),  # type: ignore[attr-defined]
        provider_reply=provider_reply,
    )


def ticket_state(ticket: tickets_pb2.Ticket, occurred_at: datetime) -> TicketState:
    rating = ticket.rating
    return TicketState(
        ticket_id=ticket.ticket_id,
        number=ticket.number,
        title=ticket.title,
        enterprise_id=ticket.enterprise_id,
        requester_id=ticket.requester_user_id,
        provider_id=ticket.provider_id,
        engineer_id=ticket.engineer_id,
        service_type_id=ticket.service_type_id,
        service_type_path=tuple(ticket.service_type_path) or (ticket.service_type_id,),
        service_level_id=ticket.service_level_id,
        priority=PRIORITY.get(ticket.priority, ""),
        channel=CHANNEL.get(ticket.channel, ""),
        status=_status(ticket.status),
        created_at=datetime_of(ticket.stamps, "create_time") or occurred_at,
        updated_at=datetime_of(ticket.stamps, "update_time"),
        resolved_at=datetime_of(ticket, "resolve_time"),
        closed_at=datetime_of(ticket, "close_time"),
        rating_score=rating.score,
        rating_comment=rating.comment,
        response_due_at=datetime_of(ticket, "response_due_time"),
        resolution_due_at=datetime_of(ticket, "resolution_due_time"),
        first_response_at=datetime_of(ticket, "first_response_time"),
    )


def _status(number: int) -> Status:
    found = STATUS.get(int(number))
    if found is None:
        raise ValueError(f"ticket status {number} is not one reporting knows")
    return found


def filter_of(f: pb.ReportFilter) -> Filter:
    if f.priority and f.priority not in PRIORITY:
        raise invalid_argument(
            "PRIORITY_UNKNOWN", [FieldViolation("filter.priority", "is not a priority")]
        )
    return Filter(
        start=datetime_of(f, "start_time"),
        end=datetime_of(f, "end_time"),
        enterprise_id=f.enterprise_id,
        provider_id=f.provider_id,
        service_type_id=f.service_type_id,
        engineer_id=f.engineer_id,
        service_level_id=f.service_level_id,
        priority=PRIORITY.get(f.priority, ""),
        time_zone=f.time_zone,
        as_of=datetime_of(f, "as_of_time"),
    )


def enum_of(table: Mapping[int, T], value: int, field: str) -> T:
    """The domain value of a request's enum field; a number the proto does not define is a 400
    naming the field."""
    found = table.get(value)
    if found is None:
        raise invalid_argument("VALUE_UNKNOWN", [FieldViolation(field, "is not a known value")])
    return found


def log_key_of(token: str) -> LogKey | None:
    if not token:
        return None
    moment, ticket_id = key_of_token(token, 2)
    try:
        finished = datetime.fromisoformat(moment)
    except ValueError:
        raise invalid_page_token() from None
    if finished.tzinfo is None:
        raise invalid_page_token()
    return LogKey(finished.astimezone(UTC), ticket_id)


def log_token(key: LogKey | None) -> str:
    return "" if key is None else key_token([key.finished_at.isoformat(), key.ticket_id])


def volume_pb(rows: list[VolumeRow]) -> pb.TicketVolumeReport:
    return pb.TicketVolumeReport(
        buckets=[
            pb.VolumeBucket(
                start_time=timestamp(r.start),
                created=r.created,
                resolved=r.resolved,
                closed=r.closed,
                cancelled=r.cancelled,
                backlog=r.backlog,
            )
            for r in rows
        ]
    )


def stats_pb(s: DurationStats) -> pb.DurationStats:
    return pb.DurationStats(
        count=s.count,
        average=duration(s.average),
        median=duration(s.median),
        p90=duration(s.p90),
        minimum=duration(s.minimum),
        maximum=duration(s.maximum),
    )


def durations_pb(d: Durations) -> pb.TicketDurationsReport:
    return pb.TicketDurationsReport(
        response=stats_pb(d.response),
        resolution=stats_pb(d.resolution),
        service=stats_pb(d.service),
        groups=[_group_pb(g) for g in d.groups],
    )


def _group_pb(g: DurationGroup) -> pb.DurationGroup:
    return pb.DurationGroup(
        id=g.id,
        display_name=g.name,
        response=stats_pb(g.response),
        resolution=stats_pb(g.resolution),
        service=stats_pb(g.service),
    )


def ranked_pb(r: Ranked) -> pb.RankedEntry:
    return pb.RankedEntry(
        id=r.id,
        display_name=r.name,
        count=r.count,
        average_service_duration=duration(r.average_service),
        average_score=r.average_score,
    )


def log_entry_pb(e: LogEntry) -> pb.ServiceLogEntry:
    f, t = e.fact, e.fact.ticket
    return pb.ServiceLogEntry(
        ticket_id=t.ticket_id,
        number=t.number,
        title=t.title,
        enterprise_id=t.enterprise_id,
        provider_id=t.provider_id,
        engineer_id=t.engineer_id,
        service_type_id=t.service_type_id,
        create_time=timestamp(t.created_at),
        resolve_time=timestamp(f.resolved_at),
        close_time=timestamp(f.closed_at),
        final_status=t.status.value,
        rating_score=t.rating_score,
        service_level_id=t.service_level_id,
        priority=PRIORITY_PB.get(t.priority, catalog_pb2.PRIORITY_UNSPECIFIED),
        rating_comment=t.rating_comment,
        enterprise_name=e.enterprise_name,
        provider_name=e.provider_name,
        engineer_name=e.engineer_name,
        service_type_name=e.service_type_name,
        service_level_name=e.service_level_name,
        first_response_time=timestamp(f.first_response_at),
        cancel_time=timestamp(f.cancelled_at),
        reopen_count=f.reopen_count,
    )


def name_of(envelope: envelope_pb2.EventEnvelope) -> tuple[str, str, str] | None:
    """(kind, id, display name) of an organisation or person an identity event describes, or
    of a service type or level a catalogue event describes. A deleted one keeps its name:
    reports of its old tickets still show it."""
    for payload_type, kind, attribute, key in (
        (identity_events.EnterpriseChanged, "enterprise", "enterprise", "enterprise_id"),
        (identity_events.ProviderChanged, "provider", "provider", "provider_id"),
        (identity_events.EngineerChanged, "engineer", "engineer", "engineer_id"),
        (identity_events.UserChanged, "user", "user", "user_id"),
        (catalog_events.ServiceTypeChanged, "service_type", "service_type", "service_type_id"),
        (catalog_events.ServiceLevelChanged, "service_level", "service_level", "service_level_id"),
    ):
        if envelope.payload.Is(payload_type.DESCRIPTOR):
            event = payload_type()
            envelope.payload.Unpack(event)
            subject = getattr(event, attribute)
            return kind, getattr(subject, key), subject.display_name
    return None


def satisfaction_pb(found: Satisfaction) -> pb.SatisfactionReport:
    return pb.SatisfactionReport(
        by_score={str(k): v for k, v in found.by_score.items()},
        average_score=found.average,
        count=found.count,
        trend=[
            pb.SatisfactionBucket(
                start_time=timestamp(row.start), count=row.count, average_score=row.average
            )
            for row in found.trend
        ],
        comments=[
            pb.RatedTicket(
                ticket_id=c.ticket_id,
                number=c.number,
                score=c.score,
                comment=c.comment,
                engineer_id=c.engineer_id,
                engineer_name=c.engineer_name,
                finish_time=timestamp(c.finished_at),
            )
            for c in found.comments
        ],
    )


def workload_pb(row: WorkloadRow, days: float) -> pb.WorkloadEntry:
    return pb.WorkloadEntry(
        engineer_id=row.engineer_id,
        display_name=row.name,
        open=row.open,
        handled=row.handled,
        handled_per_day=round(row.handled / days, 4) if days > 0 else 0.0,
        average_resolution=duration(row.average_resolution),
    )

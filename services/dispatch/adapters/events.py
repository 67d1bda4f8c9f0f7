"""The one place dispatch's typed events become protobuf: AssignmentDecided on
ticketing.dispatch.decision.v1; SLA warnings, breaches, escalations and met targets on
ticketing.dispatch.sla.v1; all keyed by ticket."""

from __future__ import annotations

from google.protobuf.message import Message
from ticketing.dispatch.v1 import sla_pb2
from ticketing.events.v1 import dispatch_events_pb2 as pb
from ticketing.events.v1 import envelope_pb2
from ticketing.tickets.v1 import catalog_pb2, tickets_pb2

from servicekit.events import new_envelope, topic_name
from servicekit.proto_values import duration, timestamp
from services.dispatch import mapping
from services.dispatch.domain.events import (
    AssignmentDecided,
    DispatchEvent,
    SlaAlertRaised,
    SlaTargetMet,
    SlaTicket,
)
from services.dispatch.domain.sla import Target

DECISION_TOPIC = topic_name("dispatch", "decision")
SLA_TOPIC = topic_name("dispatch", "sla")
TARGETS = {
    Target.RESPONSE: sla_pb2.SLA_TARGET_RESPONSE,
    Target.RESOLUTION: sla_pb2.SLA_TARGET_RESOLUTION,
}


def topic_of(event: DispatchEvent) -> str:
    return DECISION_TOPIC if isinstance(event, AssignmentDecided) else SLA_TOPIC


def envelope_of(event: DispatchEvent) -> envelope_pb2.EventEnvelope:
    if isinstance(event, AssignmentDecided):
        decision = event.decision
        return new_envelope(
            payload=pb.AssignmentDecided(
                decision=mapping.decision_pb(decision),
                ticket=_ticket(event.ticket) if event.ticket else None,
            ),
            aggregate_type="ticket",
            aggregate_id=decision.decision.ticket_id,
            occurred=decision.created_at,
        )
    payload: Message
    if isinstance(event, SlaTargetMet):
        met = event.met
        payload = pb.SlaMet(
            ticket_id=event.ticket_id,
            target=TARGETS[met.target],
            due_time=timestamp(met.due_at),
            met_time=timestamp(met.met_at),
            elapsed=duration(met.elapsed),
            breached=met.breached,
            ticket=_ticket(event.ticket),
        )
        occurred = met.met_at
    else:
        payload = _alert(event)
        occurred = event.occurred_at
    return new_envelope(
        payload=payload,
        aggregate_type="ticket",
        aggregate_id=event.ticket_id,
        tenant_id=event.ticket.enterprise_id,
        occurred=occurred,
    )


def _alert(event: SlaAlertRaised) -> Message:
    alert, ticket = event.alert, _ticket(event.ticket)
    ticket_id, target, due = event.ticket_id, TARGETS[alert.target], timestamp(event.deadline)
    if alert.key == "breach":
        return pb.SlaBreached(ticket_id=ticket_id, target=target, due_time=due, ticket=ticket)
    if alert.escalation is not None:
        return pb.SlaEscalated(
            ticket_id=ticket_id,
            target=target,
            due_time=due,
            ticket=ticket,
            level=event.level,
            role=alert.escalation.role,
        )
    return pb.SlaWarningRaised(
        ticket_id=ticket_id, target=target, due_time=due, ticket=ticket, fraction=event.fraction
    )


def _ticket(t: SlaTicket) -> pb.SlaTicket:
    return pb.SlaTicket(
        number=t.number,
        title=t.title,
        priority=catalog_pb2.Priority.Value(f"PRIORITY_{t.priority.upper()}")
        if t.priority
        else catalog_pb2.PRIORITY_UNSPECIFIED,
        status=tickets_pb2.TicketStatus.Value(f"TICKET_STATUS_{t.status.upper()}")
        if t.status
        else tickets_pb2.TICKET_STATUS_UNSPECIFIED,
        enterprise_id=t.enterprise_id,
        provider_id=t.provider_id,
        engineer_id=t.engineer_id,
        requester_user_id=t.requester_id,
    )

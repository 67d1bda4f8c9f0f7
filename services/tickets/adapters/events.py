"""The one place a ticket's typed domain events become protobuf: the envelope for the outbox
(topic ticketing.tickets.ticket.v1, keyed by ticket id); and the catalogue's changes (topic
ticketing.tickets.catalog.v1, keyed by service type or level id)."""

from __future__ import annotations

from google.protobuf.message import Message
from ticketing.events.v1 import catalog_events_pb2 as catalog_pb
from ticketing.events.v1 import envelope_pb2
from ticketing.events.v1 import identity_events_pb2 as identity_pb
from ticketing.events.v1 import ticket_events_pb2 as pb
from ticketing.tickets.v1 import tickets_pb2

from servicekit.events import new_envelope, topic_name
from services.tickets import mapping
from services.tickets.domain import events as ev
from services.tickets.domain.catalog import ServiceLevel, ServiceType
from services.tickets.domain.tickets import Ticket

TOPIC = topic_name("tickets", "ticket")
CATALOG_TOPIC = topic_name("tickets", "catalog")
_CHANGES = {
    "created": identity_pb.CHANGE_KIND_CREATED,
    "updated": identity_pb.CHANGE_KIND_UPDATED,
    "deleted": identity_pb.CHANGE_KIND_DELETED,
    "snapshot": identity_pb.CHANGE_KIND_SNAPSHOT,
}


def _payload(event: ev.TicketEvent, ticket: tickets_pb2.Ticket) -> Message:
    previous = event.changes.get("previous_engineer_id", "")
    match event:
        case ev.TicketCreated():
            return pb.TicketCreated(ticket=ticket)
        case ev.TicketUpdated():
            return pb.TicketUpdated(ticket=ticket, changes=event.changes)
        case ev.TicketApproved():
            return pb.TicketApproved(ticket=ticket, level=event.level, comment=event.note)
        case ev.TicketRejected():
            return pb.TicketRejected(ticket=ticket, reason=event.note)
        case ev.TicketAssigned():
            return pb.TicketAssigned(ticket=ticket, previous_engineer_id=previous)
        case ev.TicketClaimed():
            return pb.TicketClaimed(ticket=ticket)
        case ev.TicketTransferred():
            return pb.TicketTransferred(
                ticket=ticket, previous_engineer_id=previous, reason=event.note
            )
        case ev.TicketStarted():
            return pb.TicketStarted(ticket=ticket)
        case ev.TicketCommented(comment=comment):
            return pb.TicketCommented(
                ticket=ticket, comment=mapping.comment_pb(comment) if comment else None
            )
        case ev.TicketAttachmentAdded(attachment=attachment):
            return pb.TicketAttachmentAdded(
                ticket=ticket, attachment=mapping.attachment_pb(attachment) if attachment else None
            )
        case ev.TicketAttachmentRemoved(attachment=attachment):
            return pb.TicketAttachmentRemoved(
                ticket=ticket, attachment=mapping.attachment_pb(attachment) if attachment else None
            )
        case ev.TicketWaitingOnCustomer():
            return pb.TicketWaitingOnCustomer(ticket=ticket, reason=event.note)
        case ev.TicketResumed():
            return pb.TicketResumed(ticket=ticket)
        case ev.TicketResolved():
            return pb.TicketResolved(ticket=ticket)
        case ev.TicketReopened():
            return pb.TicketReopened(ticket=ticket, reason=event.note)
        case ev.TicketClosed():
            return pb.TicketClosed(
                ticket=ticket, auto_closed=isinstance(event, ev.TicketAutoClosed)
            )
        case ev.TicketCancelled():
            return pb.TicketCancelled(ticket=ticket, reason=event.note)
        case ev.TicketRated():
            return pb.TicketRated(ticket=ticket)
    raise TypeError(f"no event message for {type(event).__name__}")


def envelope_for(ticket: Ticket, event: ev.TicketEvent) -> envelope_pb2.EventEnvelope:
    return new_envelope(
        payload=_payload(event, mapping.ticket_pb(ticket)),
        aggregate_type="ticket",
        aggregate_id=ticket.id,
        tenant_id=ticket.enterprise_id,
        aggregate_version=ticket.version,
        actor=event.actor,
    )


def snapshot_envelope(ticket: Ticket) -> envelope_pb2.EventEnvelope:
    return new_envelope(
        payload=pb.TicketSnapshot(ticket=mapping.ticket_pb(ticket)),
        aggregate_type="ticket",
        aggregate_id=ticket.id,
        tenant_id=ticket.enterprise_id,
        aggregate_version=ticket.version,
    )


def catalog_envelope(change: str, item: ServiceType | ServiceLevel) -> envelope_pb2.EventEnvelope:
    """A service type's or level's change ("created", "updated", "deleted", "snapshot")."""
    kind = _CHANGES[change]
    if isinstance(item, ServiceType):
        payload: Message = catalog_pb.ServiceTypeChanged(
            change=kind, service_type=mapping.service_type_pb(item)
        )
        aggregate_type = "service_type"
    else:
        payload = catalog_pb.ServiceLevelChanged(
            change=kind, service_level=mapping.service_level_pb(item)
        )
        aggregate_type = "service_level"
    return new_envelope(payload=payload, aggregate_type=aggregate_type, aggregate_id=item.id)

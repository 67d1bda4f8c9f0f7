"""Publishing ticket events (through the outbox) together with the history entry."""

from __future__ import annotations

from collections.abc import Callable

from google.protobuf.message import Message
from ticketing.events.v1 import envelope_pb2
from ticketing.events.v1 import ticket_events_pb2 as events
from ticketing.tickets.v1 import tickets_pb2

from servicekit.events import new_envelope, topic_name
from services.tickets import mapping
from services.tickets.adapters.repositories.trail import Comment
from services.tickets.domain.attachments import Attachment
from services.tickets.domain.tickets import Step, Ticket
from services.tickets.service_layer.unit_of_work import TicketsUnitOfWork

TOPIC = topic_name("tickets", "ticket")


def _payload(
    step: Step, ticket: tickets_pb2.Ticket, comment: Comment | None, attachment: Attachment | None
) -> Message:
    changes = step.changes
    builders: dict[str, Callable[[], Message]] = {
        "created": lambda: events.TicketCreated(ticket=ticket),
        "updated": lambda: events.TicketUpdated(ticket=ticket, changes=changes),
        "approved": lambda: events.TicketApproved(
            ticket=ticket, level=int(changes["level"]), comment=step.note
        ),
        "rejected": lambda: events.TicketRejected(ticket=ticket, reason=step.note),
        "assigned": lambda: events.TicketAssigned(
            ticket=ticket, previous_engineer_id=changes.get("previous_engineer_id", "")
        ),
        "claimed": lambda: events.TicketClaimed(ticket=ticket),
        "transferred": lambda: events.TicketTransferred(
            ticket=ticket,
            previous_engineer_id=changes.get("previous_engineer_id", ""),
            reason=step.note,
        ),
        "started": lambda: events.TicketStarted(ticket=ticket),
        "commented": lambda: events.TicketCommented(
            ticket=ticket, comment=mapping.comment_pb(comment) if comment else None
        ),
        "attachment_added": lambda: events.TicketAttachmentAdded(
            ticket=ticket, attachment=mapping.attachment_pb(attachment) if attachment else None
        ),
        "attachment_removed": lambda: events.TicketAttachmentRemoved(
            ticket=ticket, attachment=mapping.attachment_pb(attachment) if attachment else None
        ),
        "resolved": lambda: events.TicketResolved(ticket=ticket),
        "reopened": lambda: events.TicketReopened(ticket=ticket, reason=step.note),
        "closed": lambda: events.TicketClosed(ticket=ticket, auto_closed=False),
        "auto_closed": lambda: events.TicketClosed(ticket=ticket, auto_closed=True),
        "cancelled": lambda: events.TicketCancelled(ticket=ticket, reason=step.note),
        "rated": lambda: events.TicketRated(ticket=ticket),
    }
    return builders[step.action]()


async def record_step(
    uow: TicketsUnitOfWork,
    ticket: Ticket,
    step: Step,
    *,
    comment: Comment | None = None,
    attachment: Attachment | None = None,
) -> None:
    """History entry and event for one step, in the step's transaction."""
    await uow.trail.record(ticket.id, step)
    await publish_step(uow, ticket, step, comment=comment, attachment=attachment)


async def publish_step(
    uow: TicketsUnitOfWork,
    ticket: Ticket,
    step: Step,
    *,
    comment: Comment | None = None,
    attachment: Attachment | None = None,
) -> None:
    """The step's event, through the outbox."""
    await uow.publish(TOPIC, envelope_for(ticket, step, comment=comment, attachment=attachment))


def envelope_for(
    ticket: Ticket,
    step: Step,
    *,
    comment: Comment | None = None,
    attachment: Attachment | None = None,
) -> envelope_pb2.EventEnvelope:
    return new_envelope(
        payload=_payload(step, mapping.ticket_pb(ticket), comment, attachment),
        aggregate_type="ticket",
        aggregate_id=ticket.id,
        tenant_id=ticket.enterprise_id,
        aggregate_version=ticket.version,
        actor=step.actor,
    )

"""The one place dispatch's typed events become protobuf: AssignmentDecided on
ticketing.dispatch.decision.v1, keyed by ticket."""

from __future__ import annotations

from ticketing.events.v1 import dispatch_events_pb2 as pb
from ticketing.events.v1 import envelope_pb2

from servicekit.events import new_envelope, topic_name
from services.dispatch import mapping
from services.dispatch.domain.events import AssignmentDecided

DECISION_TOPIC = topic_name("dispatch", "decision")


def envelope_of(event: AssignmentDecided) -> envelope_pb2.EventEnvelope:
    decision = event.decision
    return new_envelope(
        payload=pb.AssignmentDecided(decision=mapping.decision_pb(decision)),
        aggregate_type="ticket",
        aggregate_id=decision.decision.ticket_id,
        occurred=decision.created_at,
    )

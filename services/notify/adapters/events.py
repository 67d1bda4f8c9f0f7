"""The one place notify's events become protobuf: DeliveryAttempted on
ticketing.notify.delivery.v1, keyed by recipient (implements `ports.DeliveryEvents`)."""

from __future__ import annotations

from ticketing.events.v1 import notify_events_pb2 as pb

from servicekit.events import new_envelope, topic_name
from servicekit.uow import UnitOfWork
from services.notify import mapping
from services.notify.domain.deliveries import Attempt, Delivery

DELIVERY_TOPIC = topic_name("notify", "delivery")


class DeliveryEventWriter:
    def __init__(self, unit: UnitOfWork):
        self._unit = unit

    async def attempted(self, delivery: Delivery, attempt: Attempt) -> None:
        payload = pb.DeliveryAttempted(
            user_id=delivery.draft.user_id,
            message_id=delivery.message_id,
            channel=mapping.CHANNEL[delivery.draft.channel],
            succeeded=attempt.ok,
            error="" if attempt.ok else attempt.response,
            attempt=attempt.number,
            delivery_id=delivery.id,
            ticket_id=delivery.draft.ticket_id,
            state=mapping.DELIVERY_STATE[delivery.state],
            latency_ms=attempt.latency_ms,
        )
        envelope = new_envelope(
            payload=payload,
            aggregate_type="delivery",
            aggregate_id=delivery.id,
            aggregate_version=attempt.number,
            occurred=attempt.at,
        )
        await self._unit.publish(DELIVERY_TOPIC, envelope, key=delivery.draft.user_id)

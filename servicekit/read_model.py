"""Building a read model of another service's data from its events (DESIGN.md §4).

A service that needs another's data (tickets needs identity's people; dispatch, notify and
reporting need tickets' and identity's) keeps its own copy, fed by that service's events. The
reusable part lives here: routing each event's payload, by its type, to a typed function that
writes the service's own tables, inside the idempotent consumer's transaction (so the inbox row
and the effect commit together). The service writes only its tables and its mapping:

    routes = EventRoutes()
    routes.on(identity_events_pb2.UserChanged, apply_user_changed)
    consumer = read_model_consumer(name="tickets-identity-directory", topics=[...],
                                   bootstrap=..., engine=..., routes=routes)

Payload types nobody routes are skipped (a newer producer may publish kinds an older
consumer does not know; that is not poison).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from ticketing.common.v1 import common_pb2
from ticketing.events.v1 import envelope_pb2, identity_events_pb2

from servicekit.consumer import ConsumerOptions, IdempotentConsumer

log = logging.getLogger(__name__)

P = TypeVar("P", bound=Message)
Envelope = envelope_pb2.EventEnvelope
Apply = Callable[[AsyncConnection, P, Envelope], Awaitable[None]]


class EventRoutes:
    """Payload type → the function that applies it to the read model."""

    def __init__(self) -> None:
        self._routes: dict[str, tuple[type[Message], Apply[Any]]] = {}

    def on(self, payload_type: type[P], apply: Apply[P]) -> EventRoutes:
        self._routes[payload_type.DESCRIPTOR.full_name] = (payload_type, apply)
        return self

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self._routes)

    async def __call__(self, connection: AsyncConnection, envelope: Envelope) -> None:
        route = self._routes.get(envelope.payload.TypeName())
        if route is None:
            log.debug("event type not routed", extra={"event_type": envelope.event_type})
            return
        payload_type, apply = route
        payload = payload_type()
        envelope.payload.Unpack(payload)
        await apply(connection, payload, envelope)


def read_model_consumer(
    *,
    name: str,
    topics: Sequence[str],
    bootstrap: str,
    engine: AsyncEngine,
    routes: EventRoutes,
    options: ConsumerOptions | None = None,
) -> IdempotentConsumer:
    """An idempotent consumer (group and inbox named `name`) applying `routes`."""
    return IdempotentConsumer(
        name=name,
        topics=topics,
        bootstrap=bootstrap,
        engine=engine,
        handler=routes,
        options=options,
    )


_KIND_NAMES: dict[int, str] = {
    common_pb2.PRINCIPAL_KIND_PLATFORM: "platform",
    common_pb2.PRINCIPAL_KIND_ENTERPRISE: "enterprise",
    common_pb2.PRINCIPAL_KIND_PROVIDER: "provider",
    common_pb2.PRINCIPAL_KIND_ENGINEER: "engineer",
}


def kind_name(kind: int) -> str:
    """A principal kind as services name it (Principal.kind): "platform", "enterprise", …;
    "" when unset."""
    return _KIND_NAMES.get(kind, "")


_RETIRING = (identity_events_pb2.CHANGE_KIND_DELETED, identity_events_pb2.CHANGE_KIND_DISABLED)


def active_after(change: int, state: int, stamps: common_pb2.AuditStamps) -> bool:
    """Whether an identity entity is active after a `…Changed` event: not when the change
    retires it, nor when its state (a snapshot's) says it is disabled or deleted."""
    deleted = stamps.HasField("delete_time")
    return change not in _RETIRING and not deleted and state != common_pb2.ACTIVE_STATE_DISABLED

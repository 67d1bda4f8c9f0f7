"""Event routing for read models: each payload type reaches its typed function; types nobody
routes are skipped, not failed."""

from __future__ import annotations

from typing import Any

from google.protobuf import wrappers_pb2

from servicekit.events import new_envelope
from servicekit.read_model import EventRoutes


async def test_payload_reaches_the_function_routed_for_its_type_unpacked():
    seen: list[tuple[str, Any]] = []

    async def on_string(db, payload: wrappers_pb2.StringValue, envelope) -> None:
        seen.append(("string", payload.value, envelope.aggregate_id))

    async def on_int(db, payload: wrappers_pb2.Int64Value, envelope) -> None:
        seen.append(("int", payload.value, envelope.aggregate_id))

    routes = (
        EventRoutes().on(wrappers_pb2.StringValue, on_string).on(wrappers_pb2.Int64Value, on_int)
    )
    for payload, key in (
        (wrappers_pb2.StringValue(value="a"), "k1"),
        (wrappers_pb2.Int64Value(value=7), "k2"),
    ):
        await routes(None, new_envelope(payload=payload, aggregate_type="t", aggregate_id=key))  # type: ignore[arg-type]
    assert seen == [("string", "a", "k1"), ("int", 7, "k2")]
    assert routes.event_types == {"google.protobuf.StringValue", "google.protobuf.Int64Value"}


async def test_unrouted_payload_types_are_skipped():
    called: list[object] = []

    async def on_string(db, payload, envelope) -> None:
        called.append(payload)

    routes = EventRoutes().on(wrappers_pb2.StringValue, on_string)
    envelope = new_envelope(
        payload=wrappers_pb2.BoolValue(value=True), aggregate_type="t", aggregate_id="k"
    )
    assert await routes(None, envelope) is None  # type: ignore[arg-type, func-returns-value]
    assert called == []

"""The test-only EchoService: echoes what the gateway sent and fails on request."""

from __future__ import annotations

import asyncio
from collections import Counter

from google.protobuf import empty_pb2
from sqlalchemy.exc import OperationalError
from testing.echo.v1 import echo_pb2, echo_pb2_grpc

from servicekit.context import current_client, current_principal, request_id_var
from servicekit.errors import DomainError, ErrorCode, FieldViolation
from servicekit.rpc.server import ServiceBinding

FLAKY_FAILURES = 2


class EchoServicer(echo_pb2_grpc.EchoServiceServicer):
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    async def GetThing(self, request, context):
        self.calls[f"GetThing:{request.thing_id}"] += 1
        if request.thing_id == "slow":
            await asyncio.sleep(2)
        if (
            request.thing_id.startswith("flaky")
            and self.calls[f"GetThing:{request.thing_id}"] <= FLAKY_FAILURES
        ):
            raise DomainError("FLAKY", "try again", ErrorCode.UNAVAILABLE)
        echoed = {
            "verbose": str(request.verbose),
            "labels": ",".join(request.labels),
            "colour": echo_pb2.Colour.Name(request.colour),
        }
        return echo_pb2.Thing(shelf_id=request.shelf_id, thing_id=request.thing_id, echoed=echoed)

    async def ListThings(self, request, context):
        things = [echo_pb2.Thing(shelf_id=request.shelf_id, thing_id=str(i)) for i in range(3)]
        return echo_pb2.ListThingsResponse(
            things=things[: request.page_size or 3], next_page_token=""
        )

    async def CreateThing(self, request, context):
        self.calls["CreateThing"] += 1
        if not request.thing.display_name:
            raise DomainError(
                "THING_INVALID",
                "display_name is required",
                ErrorCode.INVALID_ARGUMENT,
                [FieldViolation("thing.display_name", "must not be empty")],
            )
        thing = echo_pb2.Thing()
        thing.CopyFrom(request.thing)
        thing.shelf_id = request.shelf_id
        thing.echoed["request_id"] = request.request_id
        return thing

    async def UpdateThing(self, request, context):
        thing = echo_pb2.Thing()
        thing.CopyFrom(request.thing)
        thing.echoed["update_mask"] = ",".join(request.update_mask.paths)
        return thing

    async def DeleteThing(self, request, context):
        self.calls[f"DeleteThing:{request.thing_id}"] += 1
        return empty_pb2.Empty()

    async def FailThing(self, request, context):
        self.calls[f"FailThing:{request.thing_id}"] += 1
        if request.code == "CRASH":
            raise RuntimeError("secret internal detail")
        if request.code == "DATABASE_DOWN":  # as psycopg reports a refused connection
            raise OperationalError("SELECT 1", {}, OSError("connection to 10.0.0.7 refused"))
        violations = [FieldViolation(request.field, "is wrong")] if request.field else []
        raise DomainError(
            request.reason, f"failing with {request.code}", ErrorCode[request.code], violations
        )

    async def WatchThings(self, request, context):
        if request.shelf_id == "denied":
            raise DomainError("SHELF_DENIED", "not your shelf", ErrorCode.PERMISSION_DENIED)
        await context.send_initial_metadata(())
        after = dict(context.invocation_metadata()).get("last-event-id", "0")
        start = int(after) + 1
        for n in range(start, start + request.count):
            await asyncio.sleep(request.pause_ms / 1000)
            thing = echo_pb2.Thing(shelf_id=request.shelf_id, thing_id=f"t{n}", display_name="x")
            yield echo_pb2.WatchThingsResponse(event_id=str(n), thing=thing)
            yield echo_pb2.WatchThingsResponse(total=n)

    async def WhoAmI(self, request, context):
        principal = current_principal()
        return echo_pb2.WhoAmIResponse(
            user_id=principal.user_id if principal else "",
            permissions=sorted(principal.permissions) if principal else [],
            request_id=request_id_var.get(),
            client_ip=current_client().ip_address,
        )


def echo_binding(servicer: EchoServicer) -> ServiceBinding:
    """Every method is public except WhoAmI, which needs a token."""
    service = echo_pb2.DESCRIPTOR.services_by_name["EchoService"]
    public = [f"/{service.full_name}/{m.name}" for m in service.methods if m.name != "WhoAmI"]
    return ServiceBinding(
        add_to_server=echo_pb2_grpc.add_EchoServiceServicer_to_server,
        servicer=servicer,
        full_name=service.full_name,
        public_methods=public,
    )

"""The server bootstrap: health, reflection, metrics, and client retries for idempotent calls
only."""

from __future__ import annotations

import grpc
import pytest
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client import REGISTRY
from testing.echo.v1 import echo_pb2, echo_pb2_grpc

from servicekit.rpc.client import create_channel, idempotent_methods
from tests.support.echo_service import FLAKY_FAILURES

ECHO = "testing.echo.v1.EchoService"


@pytest.fixture
async def channel(echo_server):
    service = echo_pb2.DESCRIPTOR.services_by_name["EchoService"]
    async with create_channel(
        f"127.0.0.1:{echo_server.port}", idempotent=idempotent_methods(service)
    ) as channel:
        yield channel


async def test_health_reports_serving(channel):
    stub = health_pb2_grpc.HealthStub(channel)
    for service in ("", ECHO):
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=service))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_lists_the_services(channel):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    async for reply in stub.ServerReflectionInfo(iter([request])):
        names = {s.name for s in reply.list_services_response.service}
        break
    assert {ECHO, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"} <= names


async def test_idempotent_call_is_retried_on_unavailable(channel, echo_servicer):
    stub = echo_pb2_grpc.EchoServiceStub(channel)
    reply = await stub.GetThing(echo_pb2.GetThingRequest(shelf_id="s", thing_id="flaky-1"))
    assert reply.thing_id == "flaky-1"
    assert echo_servicer.calls["GetThing:flaky-1"] == FLAKY_FAILURES + 1


async def test_non_idempotent_call_is_not_retried(channel, echo_servicer):
    stub = echo_pb2_grpc.EchoServiceStub(channel)
    with pytest.raises(aio.AioRpcError) as failure:
        await stub.FailThing(echo_pb2.FailThingRequest(thing_id="once", code="UNAVAILABLE"))
    assert failure.value.code() == grpc.StatusCode.UNAVAILABLE
    assert echo_servicer.calls["FailThing:once"] == 1


async def test_calls_have_a_default_deadline(echo_server, echo_servicer):
    async with create_channel(f"127.0.0.1:{echo_server.port}", timeout_seconds=0.2) as channel:
        stub = echo_pb2_grpc.EchoServiceStub(channel)
        with pytest.raises(aio.AioRpcError) as failure:
            await stub.GetThing(echo_pb2.GetThingRequest(thing_id="slow"))
    assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_metrics_count_calls_by_method_and_code(channel):
    labels = {"grpc_method": f"/{ECHO}/FailThing", "grpc_code": "NOT_FOUND"}
    before = REGISTRY.get_sample_value("grpc_server_handled_total", labels) or 0
    stub = echo_pb2_grpc.EchoServiceStub(channel)
    with pytest.raises(aio.AioRpcError):
        await stub.FailThing(echo_pb2.FailThingRequest(thing_id="m", code="NOT_FOUND", reason="X"))
    assert REGISTRY.get_sample_value("grpc_server_handled_total", labels) == before + 1


async def test_metrics_endpoint_serves_the_counters(channel):
    import httpx

    from servicekit.metrics import start_metrics_server

    port = start_metrics_server(0, host="127.0.0.1")
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/metrics")
    assert response.status_code == 200
    assert "grpc_server_handled_total" in response.text

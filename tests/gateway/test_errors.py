"""Every gRPC status the suite uses maps to its HTTP code, with the reason intact."""

from __future__ import annotations

import contextlib

import httpx
import pytest

from devstack.ports import free_port
from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.gateway.test_transcoding import _reason, _violations

CASES = [
    ("INVALID_ARGUMENT", 400),
    ("UNAUTHENTICATED", 401),
    ("PERMISSION_DENIED", 403),
    ("NOT_FOUND", 404),
    ("ALREADY_EXISTS", 409),
    ("ABORTED", 409),
    ("FAILED_PRECONDITION", 409),
    ("RESOURCE_EXHAUSTED", 429),
    ("UNAVAILABLE", 503),
]


@pytest.mark.parametrize(("code", "http_status"), CASES)
async def test_status_maps_to_http_with_reason(gateway, code, http_status):
    reason = f"THING_{code}"
    response = await gateway.post(
        "/v1/shelves/s/things/t:fail", json={"code": code, "reason": reason}
    )
    assert response.status_code == http_status
    body = response.json()
    assert body["message"] == f"failing with {code}"
    assert _reason(body) == reason
    assert body["code"] > 0


async def test_invalid_argument_carries_field_violations(gateway):
    response = await gateway.post(
        "/v1/shelves/s/things/t:fail",
        json={"code": "INVALID_ARGUMENT", "reason": "THING_BAD", "field": "thing.count"},
    )
    assert response.status_code == 400
    assert _violations(response.json()) == ["thing.count"]


async def test_servicer_validation_error_names_the_field(gateway):
    response = await gateway.post("/v1/shelves/s/things", json={"count": 1})
    assert response.status_code == 400
    assert _reason(response.json()) == "THING_INVALID"
    assert _violations(response.json()) == ["thing.displayName"]  # JSON names


async def test_unexpected_exception_is_internal_without_its_text(gateway):
    response = await gateway.post("/v1/shelves/s/things/t:fail", json={"code": "CRASH"})
    assert response.status_code == 500
    assert "secret" not in response.text
    assert _reason(response.json()) == "INTERNAL"


async def test_unavailable_database_is_503_with_retry_after_not_internal(gateway):
    response = await gateway.post("/v1/shelves/s/things/t:fail", json={"code": "DATABASE_DOWN"})
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert _reason(response.json()) == "SERVICE_UNAVAILABLE"
    assert "10.0.0.7" not in response.text and "SELECT" not in response.text


async def test_deadline_exceeded_gives_504(echo_server):
    async with _gateway_for(f"127.0.0.1:{echo_server.port}", timeout=0.2) as client:
        response = await client.get("/v1/shelves/s/things/slow")
    assert response.status_code == 504
    assert response.json()["code"] == 4  # DEADLINE_EXCEEDED


async def test_unreachable_upstream_gives_503_and_not_ready():
    async with _gateway_for(f"127.0.0.1:{free_port()}", timeout=2) as client:
        response = await client.get("/v1/shelves/s/things/t")
        ready = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert _reason(response.json()) == "SERVICE_UNAVAILABLE"
    assert "127.0.0.1" not in response.text  # no internal address in what clients read
    assert ready.status_code == 503
    assert ready.json()["upstreams"]["testing.echo.v1.EchoService"].startswith("UNREACHABLE")


@contextlib.asynccontextmanager
async def _gateway_for(target: str, *, timeout: float):
    settings = GatewaySettings(
        upstreams={"testing.echo.v1.EchoService": target},
        call_timeout_seconds=timeout,
        readiness_timeout_seconds=0.5,
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        yield client


async def test_every_answer_carries_the_safety_headers(gateway):
    answers = [
        await gateway.get("/v1/shelves/s/things/t"),
        await gateway.get("/no/such/route"),
        await gateway.get("/healthz"),
    ]
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-security-policy"].startswith("default-src 'none'")
        assert "server" not in answer.headers
    docs = await gateway.get("/docs")
    assert "script-src 'self' 'unsafe-inline'" in docs.headers["content-security-policy"]


async def test_cross_site_calls_only_from_the_configured_origins(echo_server):
    preflight = {
        "origin": "https://console.example.com",
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization",
    }
    upstream = {"testing.echo.v1.EchoService": f"127.0.0.1:{echo_server.port}"}
    for origins, allowed in (([], False), (["https://console.example.com"], True)):
        app = create_app(GatewaySettings(upstreams=upstream, cors_origins=origins))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            answer = await client.options("/v1/shelves/s/things/t", headers=preflight)
            other = await client.options(
                "/v1/shelves/s/things/t", headers=preflight | {"origin": "https://evil.example"}
            )
        assert ("access-control-allow-origin" in answer.headers) is allowed
        assert "access-control-allow-origin" not in other.headers

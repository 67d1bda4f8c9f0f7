"""Edge limits at the gateway: bodies past the limit are refused with 413 while they stream in
(never read whole into memory), uploads have their own limit, and 405 says what is allowed."""

from __future__ import annotations

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings

MB = 1024 * 1024


@pytest.fixture
def small_limits(echo_server):  # type: ignore[no-untyped-def]
    upstreams = {"testing.echo.v1.EchoService": f"127.0.0.1:{echo_server.port}"}
    app = create_app(
        GatewaySettings(upstreams=upstreams, max_body_bytes=64 * 1024, max_upload_bytes=2 * MB)
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


async def test_a_declared_oversize_body_is_refused_before_reading(small_limits):
    async with small_limits as client:
        response = await client.post(
            "/v1/shelves/s1/things", content=b"{" + b" " * (200 * 1024) + b"}",
            headers={"content-type": "application/json"},
        )  # fmt: skip
    assert response.status_code == 413
    assert response.json()["details"][0]["reason"] == "REQUEST_TOO_LARGE"


async def test_a_chunked_body_is_cut_off_once_past_the_limit(small_limits):
    pulled = 0

    async def endless():  # type: ignore[no-untyped-def]
        nonlocal pulled
        for _ in range(10_000):  # 10 GB if anyone read it all
            pulled += 1
            yield b" " * MB

    async with small_limits as client:
        response = await client.post(
            "/v1/shelves/s1/things", content=endless(),
            headers={"content-type": "application/json"},
        )  # fmt: skip
    assert response.status_code == 413
    assert pulled <= 3  # the gateway stopped reading at the first chunk past 64 KB


async def test_uploads_have_their_own_larger_limit(small_limits):
    async with small_limits as client:
        within = await client.post("/v1/shelves/s1/things", files={"thing": ("a.bin", b"x" * MB)})
        beyond = await client.post(
            "/v1/shelves/s1/things", files={"thing": ("a.bin", b"x" * (3 * MB))}
        )
    assert within.status_code != 413
    assert beyond.status_code == 413


async def test_405_names_every_method_the_path_serves(gateway):
    response = await gateway.delete("/v1/shelves/s1/things")
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert {"GET", "POST"} <= allowed and "DELETE" not in allowed


async def test_405_on_a_custom_method_names_that_resource_only(gateway):
    """`/things/t1:fail` is the `:fail` custom method (POST), not thing "t1:fail" of the
    GET/PATCH/DELETE resource whose template also matches it."""
    refused = await gateway.put("/v1/shelves/s1/things/t1:fail", json={})
    assert refused.status_code == 405
    assert refused.headers["allow"] == "POST"

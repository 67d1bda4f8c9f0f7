"""Rate limits at the gateway: per client address and per signed-in user, 429 with
Retry-After and a google.rpc.Status body; forged tokens cannot use up someone's allowance;
with the counters in Redis (a real redis-server) two gateway replicas share one limit; a
store that does not answer lets requests pass."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from devstack.ports import free_port, wait_for_port
from gateway.app import create_app
from gateway.ratelimit import subject
from gateway.settings import GatewaySettings
from servicekit.auth.principal import Principal

REDIS = shutil.which("redis-server")


def _client(echo_server, **settings) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    upstreams = {"testing.echo.v1.EchoService": f"127.0.0.1:{echo_server.port}"}
    app = create_app(GatewaySettings(upstreams=upstreams, **settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


def _token(sub: str) -> str:
    def part(data: dict) -> str:  # type: ignore[type-arg]
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"Bearer {part({'alg': 'none'})}.{part({'sub': sub})}.c2ln"


async def test_an_address_over_its_limit_gets_429_with_retry_after(echo_server):
    async with _client(echo_server, rate_limit_per_address="3/minute") as client:
        answers = [await client.get("/v1/shelves/s1/things/t1") for _ in range(4)]
        other = await client.get(
            "/v1/shelves/s1/things/t1", headers={"x-forwarded-for": "203.0.113.9"}
        )
        health = await client.get("/healthz")
    assert [a.status_code for a in answers[:3]] != [429] * 3
    assert answers[3].status_code == 429
    assert 1 <= int(answers[3].headers["retry-after"]) <= 60
    body = answers[3].json()
    assert body["code"] == 8 and body["details"][0]["reason"] == "RATE_LIMITED"
    assert other.status_code != 429  # another client behind the trusted proxy
    assert health.status_code == 200  # probes are never limited


async def test_a_user_is_limited_from_every_address(echo_server, signer):  # type: ignore[no-untyped-def]
    def bearer(user: str) -> str:
        return f"Bearer {signer.token(Principal(user, 'platform'))}"

    async with _client(echo_server, rate_limit_per_user="2/minute") as client:
        path = "/v1/shelves/s1/things/t1"
        for i in range(2):
            answer = await client.get(
                path, headers={"authorization": bearer("u1"), "x-forwarded-for": f"198.51.100.{i}"}
            )
            assert answer.status_code == 200
        over = await client.get(path, headers={"authorization": bearer("u1")})
        assert over.status_code == 429 and "user" in over.json()["message"]
        assert (await client.get(path, headers={"authorization": bearer("u2")})).status_code == 200


def test_the_subject_is_read_only_from_a_bearer_jwt():
    assert subject(_token("u1")) == "u1"
    for header in ("", "Basic abc", "Bearer x.y", "Bearer a.%%%.c", "Bearer " + "a." * 2 + "b"):
        assert subject(header) == ""


async def test_forged_tokens_cost_the_user_nothing(echo_server, signer):  # type: ignore[no-untyped-def]
    """The upstream answers 401 to a token it did not sign: those requests do not count."""
    real = {"authorization": f"Bearer {signer.token(Principal('u9', 'platform'))}"}
    forged = {"authorization": _token("u9")}
    async with _client(echo_server, rate_limit_per_user="3/minute") as client:
        path = "/v1/shelves/s1/things/t1"
        for _ in range(5):
            assert (await client.get(path, headers=forged)).status_code == 401
        for _ in range(3):
            assert (await client.get(path, headers=real)).status_code == 200
        assert (await client.get(path, headers=real)).status_code == 429


@pytest.fixture
def redis_url() -> Iterator[str]:
    if REDIS is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=10)
        yield f"redis://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


async def test_replicas_sharing_redis_share_the_limit(echo_server, redis_url):
    settings = {"rate_limit_per_address": "4/minute", "rate_limit_storage": redis_url}
    async with _client(echo_server, **settings) as one, _client(echo_server, **settings) as two:
        codes = []
        for i in range(5):
            client = one if i % 2 == 0 else two
            codes.append((await client.get("/v1/shelves/s1/things/t1")).status_code)
    assert codes[:4].count(429) == 0 and codes[4] == 429


async def test_a_store_that_does_not_answer_lets_requests_pass(echo_server):
    dead = f"redis://127.0.0.1:{free_port()}"
    async with _client(echo_server, rate_limit_per_address="1/minute",
                       rate_limit_storage=dead) as client:  # fmt: skip
        started = time.monotonic()
        codes = [(await client.get("/v1/shelves/s1/things/t1")).status_code for _ in range(3)]
    assert 429 not in codes and time.monotonic() - started < 30

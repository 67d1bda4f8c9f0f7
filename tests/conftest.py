"""Session-wide fixtures: the real PostgreSQL and broker (see tests/support/backends.py), a test
signing key, and the in-process EchoService used to prove the plumbing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
from servicekit.rpc.server import GrpcServer, create_server
from tests.support.echo_service import EchoServicer, echo_binding
from tests.support.keys import TestSigner

pytest_plugins = [
    "tests.support.backends",
    "tests.support.identity_stack",
    "tests.support.tickets_stack",
]


@pytest.fixture(scope="session")
def signer() -> TestSigner:
    return TestSigner()


@pytest.fixture(scope="session")
def echo_servicer() -> EchoServicer:
    return EchoServicer()


@pytest.fixture(scope="session")
async def echo_server(echo_servicer: EchoServicer, signer: TestSigner) -> AsyncIterator[GrpcServer]:
    server = create_server(
        bindings=[echo_binding(echo_servicer)], listen="127.0.0.1:0", verifier=signer.verifier()
    )
    await server.start()
    yield server
    await server.stop(0)


@pytest.fixture(scope="session")
async def gateway(echo_server: GrpcServer) -> AsyncIterator[httpx.AsyncClient]:
    settings = GatewaySettings(
        upstreams={"testing.echo.v1.EchoService": f"127.0.0.1:{echo_server.port}"}
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client

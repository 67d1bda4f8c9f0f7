"""Identity for the whole test session: a migrated database, the demo data, the gRPC server
in-process, and the gateway in front of it. Tests talk HTTP to `identity_gateway`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
from servicekit.migrations import upgrade
from services.identity.bootstrap import SERVICE_NAMES, build_deps, build_server
from services.identity.entrypoints.seed_demo import seed
from services.identity.service_layer.deps import Deps
from services.identity.service_layer.snapshot import publish_built_in_roles
from services.identity.settings import IdentitySettings
from tests.support.fake_wechat import FakeWechat

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "identity" / "migrations"


@dataclass
class IdentityStack:
    deps: Deps
    client: httpx.AsyncClient
    grpc_port: int
    wechat: FakeWechat

    async def login(self, login: str, password: str = "demo-2026") -> dict:  # type: ignore[type-arg]
        response = await self.client.post(
            "/v1/auth:login", json={"login": login, "password": password}
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def as_user(self, login: str, password: str = "demo-2026") -> dict[str, str]:
        tokens = await self.login(login, password)
        return {"authorization": f"Bearer {tokens['accessToken']}"}


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator[FakeWechat]:
    fake = FakeWechat()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def identity_database(create_database) -> str:
    url = create_database("identity")
    upgrade(MIGRATIONS, url)
    return url


@pytest.fixture(scope="session")
async def identity(identity_database: str, fake_wechat: FakeWechat) -> AsyncIterator[IdentityStack]:
    settings = IdentitySettings(
        environment="test",
        database_url=identity_database,
        wechat_api_base=fake_wechat.base_url,
    )
    deps = build_deps(settings)
    await seed(deps)
    await publish_built_in_roles(deps)  # as identity's grpc_main does at start
    server = build_server(deps, listen="127.0.0.1:0")
    await server.start()
    upstreams = {name: f"127.0.0.1:{server.port}" for name in SERVICE_NAMES}
    app = create_app(GatewaySettings(upstreams=upstreams))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield IdentityStack(deps=deps, client=client, grpc_port=server.port, wechat=fake_wechat)
    await server.stop(0)

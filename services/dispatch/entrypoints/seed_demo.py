"""`python -m services.dispatch.entrypoints.seed_demo`: the demo dispatch rules (development
only; does nothing when rules exist). The demo organisations' ids come from identity (asked as
the demo platform admin over gRPC), since dispatch's own copy fills only once its consumer
runs; the rules are stored as the platform's, version 1:

1. 华东制造有限公司's tickets → 快修网络服务, round robin among its engineers;
2. 星河零售集团's tickets → 蓝鲸IT运维, least loaded engineer;
3. any other ticket → 快修网络服务's pool (where designated), engineers claim it.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid

from ticketing.identity.v1 import (
    auth_pb2,
    auth_pb2_grpc,
    organizations_pb2,
    organizations_pb2_grpc,
)

from servicekit.logs import configure_logging
from servicekit.rpc.client import create_channel
from services.dispatch.bootstrap import Runtime, build_deps
from services.dispatch.domain.routing import Conditions, Rule, Strategy
from services.dispatch.settings import DispatchSettings

log = logging.getLogger(__name__)
ADMIN = ("admin", "admin-demo-2026")  # identity's demo platform admin


async def _organisation_ids(address: str) -> dict[str, str]:
    channel = create_channel(address)
    try:
        auth = auth_pb2_grpc.AuthServiceStub(channel)
        tokens = await auth.Login(auth_pb2.LoginRequest(login=ADMIN[0], password=ADMIN[1]))
        metadata = (("authorization", f"Bearer {tokens.access_token}"),)
        orgs = organizations_pb2_grpc.OrganizationServiceStub(channel)
        enterprises = await orgs.ListEnterprises(
            organizations_pb2.ListEnterprisesRequest(page_size=100), metadata=metadata
        )
        providers = await orgs.ListProviders(
            organizations_pb2.ListProvidersRequest(page_size=100), metadata=metadata
        )
    finally:
        await channel.close()
    found = {e.display_name: e.enterprise_id for e in enterprises.enterprises}
    return found | {p.display_name: p.provider_id for p in providers.providers}


def demo_rules(ids: dict[str, str]) -> list[Rule]:
    def rule(position: int, name: str, provider: str, strategy: Strategy, **c: object) -> Rule:
        conditions = Conditions(**c)  # type: ignore[arg-type]
        return Rule(uuid.uuid4().hex, 1, name, conditions, ids[provider], strategy,
                    position=position)  # fmt: skip

    return [
        rule(
            10,
            "华东制造 → 快修网络服务（轮询）",
            "快修网络服务",
            Strategy.ROUND_ROBIN,
            enterprise_ids=frozenset({ids["华东制造有限公司"]}),
        ),
        rule(
            20,
            "星河零售 → 蓝鲸IT运维（最少负载）",
            "蓝鲸IT运维",
            Strategy.LEAST_LOADED,
            enterprise_ids=frozenset({ids["星河零售集团"]}),
        ),
        rule(30, "其他工单 → 快修网络服务工单池", "快修网络服务", Strategy.POOL),
    ]


async def seed(deps: Runtime) -> bool:
    async with deps.uow() as uow:
        if await uow.rules.find(provider_id="", show_disabled=True, offset=0, limit=1):
            return False
    rules = demo_rules(await _organisation_ids(deps.settings.identity_address))
    async with deps.uow() as uow:
        for rule in rules:
            await uow.rules.add(rule, "demo-seed")
        await uow.commit()
    return True


async def main() -> None:
    settings = DispatchSettings()
    configure_logging(service="dispatch-seed", level=settings.log_level)
    if not settings.is_development:
        sys.exit("demo data is for development only (TICKETING_ENVIRONMENT=development)")
    deps = build_deps(settings)
    try:
        created = await seed(deps)
    finally:
        await deps.engine.dispose()
    log.info("demo dispatch rules %s", "created" if created else "already present")


if __name__ == "__main__":
    asyncio.run(main())

"""`python -m services.dispatch.entrypoints.seed_demo`: the demo dispatch rules (development
only; does nothing when rules exist). The demo organisations' ids come from identity (asked as
the demo platform admin over gRPC), since dispatch's own copy fills only once its consumer
runs; the rules are stored as the platform's, version 1:

1. 华东制造有限公司's tickets → 快修网络服务, round robin among its engineers;
2. 星河零售集团's tickets → 蓝鲸IT运维, least loaded engineer;
3. any other ticket → 快修网络服务's pool (where designated), engineers claim it.

and the demo SLA setup (when no calendar exists): a business calendar "工作日（中国法定节假日）"
(Monday to Friday 09:00–12:00 and 13:00–18:00 in Asia/Shanghai, closed on China's public
holidays, open on their make-up working days) and the policy "标准服务：工作时间" measuring the
service level 标准服务 on it, warning at 75 % and 90 % and telling the provider's admins an
hour (of business time) after a missed deadline. 加急服务 and 重大变更 keep the built-in
round-the-clock measure.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from datetime import timedelta

import grpc
from ticketing.identity.v1 import (
    auth_pb2,
    auth_pb2_grpc,
    organizations_pb2,
    organizations_pb2_grpc,
)
from ticketing.tickets.v1 import catalog_pb2, catalog_pb2_grpc

from servicekit.logs import configure_logging
from servicekit.rpc.client import create_channel
from services.dispatch.bootstrap import Runtime, build_deps
from services.dispatch.domain.routing import Conditions, Rule, Strategy
from services.dispatch.domain.sla_clock import parse_hours
from services.dispatch.domain.sla_config import CalendarSpec, PolicySpec, escalation
from services.dispatch.settings import DispatchSettings

log = logging.getLogger(__name__)
ADMIN = ("admin", "admin-demo-2026")  # identity's demo platform admin


async def _admin_metadata(address: str) -> tuple[tuple[str, str], ...]:
    channel = create_channel(address)
    try:
        auth = auth_pb2_grpc.AuthServiceStub(channel)
        tokens = await auth.Login(auth_pb2.LoginRequest(login=ADMIN[0], password=ADMIN[1]))
    finally:
        await channel.close()
    return (("authorization", f"Bearer {tokens.access_token}"),)


async def _service_level_ids(settings: DispatchSettings, attempts: int = 60) -> dict[str, str]:
    """Tickets' demo levels by name. Tickets has just started: it answers UNAVAILABLE until
    it can verify tokens, so this asks again for up to a minute."""
    metadata = await _admin_metadata(settings.identity_address)
    channel = create_channel(settings.tickets_address)
    try:
        catalog = catalog_pb2_grpc.CatalogServiceStub(channel)
        for attempt in range(attempts):
            try:
                levels = await catalog.ListServiceLevels(
                    catalog_pb2.ListServiceLevelsRequest(page_size=100), metadata=metadata
                )
                break
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE or attempt == attempts - 1:
                    raise
                await asyncio.sleep(1)
    finally:
        await channel.close()
    return {level.display_name: level.service_level_id for level in levels.service_levels}


async def _organisation_ids(address: str) -> dict[str, str]:
    metadata = await _admin_metadata(address)
    channel = create_channel(address)
    try:
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


def demo_sla(level_ids: dict[str, str]) -> tuple[CalendarSpec, PolicySpec]:
    office = parse_hours("09:00-12:00,13:00-18:00")
    calendar = CalendarSpec(
        id=uuid.uuid4().hex,
        name="工作日（中国法定节假日）",
        weekly=(office,) * 5 + ((), ()),
        holiday_country="CN",
        version=1,
    )
    standard = level_ids.get("标准服务")
    policy = PolicySpec(
        id=uuid.uuid4().hex,
        name="标准服务：工作时间",
        service_level_ids=frozenset({standard} if standard else ()),
        calendar_id=calendar.id,
        escalations=(escalation(timedelta(hours=1), "provider_admin"),),
        version=1,
    )
    return calendar, policy


async def seed(deps: Runtime) -> bool:
    created = False
    async with deps.uow() as uow:
        has_rules = bool(
            await uow.rules.find(provider_id="", show_disabled=True, offset=0, limit=1)
        )
        has_calendars = bool(await uow.sla.calendars(0, 1))
    if not has_rules:
        rules = demo_rules(await _organisation_ids(deps.settings.identity_address))
        async with deps.uow() as uow:
            for rule in rules:
                await uow.rules.add(rule, "demo-seed")
            await uow.commit()
        created = True
    if not has_calendars:
        calendar, policy = demo_sla(await _service_level_ids(deps.settings))
        async with deps.uow() as uow:
            await uow.sla.add_calendar(calendar)
            await uow.sla.add_policy(policy)
            await uow.commit()
        created = True
    return created


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
    log.info("demo dispatch rules and SLA %s", "created" if created else "already present")


if __name__ == "__main__":
    asyncio.run(main())

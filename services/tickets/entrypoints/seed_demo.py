"""`python -m services.tickets.entrypoints.seed_demo`: the demo service catalogue and levels.
Development only; does nothing when service levels already exist."""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import timedelta

from servicekit.auth.principal import Principal
from servicekit.logs import configure_logging
from services.tickets.bootstrap import build_deps
from services.tickets.domain.catalog import (
    ApprovalStep,
    ApproverSide,
    FieldType,
    FormField,
    Priority,
    ServiceLevel,
    ServiceType,
)
from services.tickets.service_layer import catalog
from services.tickets.service_layer.deps import Deps
from services.tickets.settings import TicketsSettings

log = logging.getLogger(__name__)
SEEDER = Principal(user_id="demo-seed", kind="platform", permissions=frozenset({"catalog.write"}))
LEVELS = (
    ("标准服务", Priority.NORMAL, 0),
    ("加急服务", Priority.HIGH, 1),
    ("重大变更", Priority.URGENT, 2),
)
STEPS = (
    ApprovalStep(1, "ticket.approve.l1", ApproverSide.ENTERPRISE),
    ApprovalStep(2, "ticket.approve.l2", ApproverSide.PLATFORM),
)
FLOOR = FormField("floor", "楼层", FieldType.NUMBER, required=True, min=1, max=100)
TREE = {
    "IT服务": {"网络": ["Wi-Fi", "有线网络"], "办公设备": ["打印机", "投影仪"]},
    "行政服务": {"维修": ["门禁", "空调"]},
}


async def seed(deps: Deps) -> bool:
    if await catalog.list_service_levels(deps):
        return False
    levels = [
        await catalog.create_service_level(
            deps,
            SEEDER,
            draft=ServiceLevel(
                id="",
                display_name=name,
                priority=priority,
                response_target=timedelta(hours=2),
                resolution_target=timedelta(hours=24),
                approval_steps=list(STEPS[:approvals]),
                auto_close_delay=timedelta(days=3),
            ),
        )
        for name, priority, approvals in LEVELS
    ]
    for top, groups in TREE.items():
        root = await catalog.create_service_type(
            deps, SEEDER, draft=ServiceType(id="", display_name=top)
        )
        for group, leaves in groups.items():
            middle = await catalog.create_service_type(
                deps, SEEDER, draft=ServiceType(id="", display_name=group, parent_id=root.id)
            )
            for leaf in leaves:
                await catalog.create_service_type(
                    deps,
                    SEEDER,
                    draft=ServiceType(
                        id="",
                        display_name=leaf,
                        parent_id=middle.id,
                        form_fields=[FLOOR],
                        default_service_level_id=levels[0].id,
                    ),
                )
    return True


async def main() -> None:
    settings = TicketsSettings()
    configure_logging(service="tickets-seed", level=settings.log_level)
    if not settings.is_development:
        sys.exit("demo data is for development only (TICKETING_ENVIRONMENT=development)")
    created = await seed(build_deps(settings))
    log.info("demo catalogue %s", "created" if created else "already present")


if __name__ == "__main__":
    asyncio.run(main())

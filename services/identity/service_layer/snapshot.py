"""Re-publishing identity's current state (DESIGN.md §4: snapshots for late joiners).

Every enterprise, provider, department, designation, user, engineer and role goes out as a
`…Changed` event of kind SNAPSHOT through the outbox, keyed like its live events, so on each
key it follows every earlier event and consumers take it as the latest state. Consumers are
idempotent by event id and apply state (not deltas), so publishing twice is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from google.protobuf.message import Message
from ticketing.events.v1 import identity_events_pb2 as events

from services.identity import mapping
from services.identity.adapters.repositories.organizations import OrganizationFilter
from services.identity.adapters.repositories.users import UserFilter
from services.identity.domain.organizations import Organization, OrgKind
from services.identity.domain.people import UserKind
from services.identity.service_layer.deps import Deps
from services.identity.service_layer.events import designation_key, publish
from services.identity.service_layer.organizations import RULES
from services.identity.service_layer.unit_of_work import IdentityUnitOfWork

log = logging.getLogger(__name__)
SNAPSHOT = events.CHANGE_KIND_SNAPSHOT
PAGE = 500
T = TypeVar("T")


async def publish_snapshot(deps: Deps) -> int:
    """Publishes the whole current state in one transaction; returns the number of events."""
    async with deps.uow() as uow:
        published = 0
        async for org in _pages(lambda o, n: _organizations(uow, o, n)):
            rules = RULES[org.kind]
            await publish(
                uow,
                rules.event(SNAPSHOT, org),
                aggregate=rules.name,
                aggregate_id=org.id,
                tenant_id=org.id,
            )
            published += 1
            if org.kind is OrgKind.ENTERPRISE:
                published += await _enterprise_parts(uow, org)
        async for user in _pages(lambda o, n: _users(uow, o, n)):
            engineer = user.kind is UserKind.ENGINEER
            payload: Message = (
                events.EngineerChanged(change=SNAPSHOT, engineer=mapping.engineer_pb(user))
                if engineer
                else events.UserChanged(change=SNAPSHOT, user=mapping.user_pb(user))
            )
            await publish(
                uow,
                payload,
                aggregate="engineer" if engineer else "user",
                aggregate_id=user.id,
                tenant_id=user.organization_id,
            )
            published += 1
        async for role in _pages(
            lambda o, n: uow.access.list_roles(organization_id=None, kinds=None, offset=o, limit=n)
        ):
            role_payload = events.RoleChanged(change=SNAPSHOT, role=mapping.role_pb(role))
            await publish(
                uow,
                role_payload,
                aggregate="role",
                aggregate_id=role.id,
                tenant_id=role.organization_id,
            )
            published += 1
        await uow.commit()
    log.info("identity snapshot published", extra={"events": published})
    return published


async def _enterprise_parts(uow: IdentityUnitOfWork, enterprise: Organization) -> int:
    published = 0
    for department in await uow.departments.find(enterprise.id):
        payload: Message = events.DepartmentChanged(
            change=SNAPSHOT, department=mapping.department_pb(department)
        )
        await _on_enterprise_topic(uow, enterprise, payload, key=department.id)
        published += 1
    for provider, designated_at in await uow.orgs.designations_of(enterprise.id):
        designation = mapping.designation_pb(enterprise.id, provider, designated_at)
        payload = events.DesignationChanged(change=SNAPSHOT, designation=designation)
        key = designation_key(enterprise.id, provider.id)
        await _on_enterprise_topic(uow, enterprise, payload, key=key)
        published += 1
    return published


async def _on_enterprise_topic(
    uow: IdentityUnitOfWork, enterprise: Organization, payload: Message, *, key: str
) -> None:
    """Departments and designations travel with their enterprise, each under its own key."""
    await publish(
        uow,
        payload,
        aggregate="enterprise",
        aggregate_id=enterprise.id,
        tenant_id=enterprise.id,
        key=key,
    )


async def _organizations(uow: IdentityUnitOfWork, offset: int, limit: int) -> list[Organization]:
    found: list[Organization] = []
    for kind in (OrgKind.ENTERPRISE, OrgKind.PROVIDER):
        page, _ = await uow.orgs.find(
            kind,
            visible=None,
            where=OrganizationFilter(show_deleted=True),
            offset=offset,
            limit=limit,
        )
        found.extend(page)
    return found


async def _users(uow: IdentityUnitOfWork, offset: int, limit: int):  # type: ignore[no-untyped-def]
    page, _ = await uow.users.find(
        orgs=None, where=UserFilter(show_deleted=True), offset=offset, limit=limit
    )
    return page


async def _pages(fetch: Callable[[int, int], Awaitable[list[T]]]) -> AsyncIterator[T]:
    offset = 0
    while True:
        page = await fetch(offset, PAGE)
        for item in page:
            yield item
        if not page:
            return
        offset += PAGE

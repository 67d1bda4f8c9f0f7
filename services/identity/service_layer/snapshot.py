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

from services.identity.domain.events import (
    Change,
    DepartmentChanged,
    DesignationChanged,
    OrganizationChanged,
    PersonChanged,
    RoleChanged,
)
from services.identity.domain.organizations import Organization, OrgKind
from services.identity.domain.people import User
from services.identity.service_layer.deps import Deps
from services.identity.service_layer.ports import IdentityUnit, OrganizationFilter, UserFilter

log = logging.getLogger(__name__)
SNAPSHOT = Change.SNAPSHOT
PAGE = 500
T = TypeVar("T")


async def publish_snapshot(deps: Deps) -> int:
    """Publishes the whole current state in one transaction; returns the number of events."""
    async with deps.uow() as uow:
        published = 0
        async for org in _pages(lambda o, n: _organizations(uow, o, n)):
            await uow.emit(OrganizationChanged(SNAPSHOT, org))
            published += 1
            if org.kind is OrgKind.ENTERPRISE:
                published += await _enterprise_parts(uow, org)
        async for user in _pages(lambda o, n: _users(uow, o, n)):
            await uow.emit(PersonChanged(SNAPSHOT, user))
            published += 1
        async for role in _pages(
            lambda o, n: uow.access.list_roles(organization_id=None, kinds=None, offset=o, limit=n)
        ):
            await uow.emit(RoleChanged(SNAPSHOT, role))
            published += 1
        await uow.commit()
    log.info("identity snapshot published", extra={"events": published})
    return published


async def publish_built_in_roles(deps: Deps) -> int:
    """Publishes the built-in roles (the migrations create them, so no command ever announced
    them): run at every start, so consumers that resolve permissions from roles (notify's
    approvers and provider admins) know them, and know them as this version defines them."""
    async with deps.uow() as uow:
        found = await uow.access.list_roles(organization_id=None, kinds=None, offset=0, limit=PAGE)
        built_in = [role for role in found if role.built_in]
        for role in built_in:
            await uow.emit(RoleChanged(SNAPSHOT, role))
        await uow.commit()
    return len(built_in)


async def _enterprise_parts(uow: IdentityUnit, enterprise: Organization) -> int:
    """Departments and designations travel with their enterprise, each under its own key."""
    published = 0
    for department in await uow.departments.find(enterprise.id):
        await uow.emit(DepartmentChanged(SNAPSHOT, department))
        published += 1
    for provider, designated_at in await uow.orgs.designations_of(enterprise.id):
        await uow.emit(DesignationChanged(SNAPSHOT, enterprise.id, provider, designated_at))
        published += 1
    return published


async def _organizations(uow: IdentityUnit, offset: int, limit: int) -> list[Organization]:
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


async def _users(uow: IdentityUnit, offset: int, limit: int) -> list[User]:
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

"""An enterprise's department tree, and its designated providers."""

from __future__ import annotations

import uuid
from datetime import datetime

from servicekit.authz import require_permission
from servicekit.errors import (
    DomainError,
    ErrorCode,
    FieldViolation,
    failed_precondition,
    not_found,
    permission_denied,
)
from servicekit.field_mask import copy_fields, fields_to_update
from services.identity.domain.departments import Department, check_move
from services.identity.domain.events import Change, DepartmentChanged, DesignationChanged
from services.identity.domain.organizations import Organization, OrgKind
from services.identity.domain.validation import Checks
from services.identity.domain.visibility import Viewer, manages_organization, visible_enterprises
from services.identity.service_layer.caller import Caller, viewer_of
from services.identity.service_layer.deps import Deps
from services.identity.service_layer.ports import IdentityUnit

EDITABLE = frozenset({"display_name", "parent_id", "sort_order"})
MASK_NAMES = {
    "display_name": "display_name",
    "parent_department_id": "parent_id",
    "sort_order": "sort_order",
}


async def create_department(deps: Deps, caller: Caller, *, draft: Department) -> Department:
    async with deps.uow() as uow:
        await _writable_enterprise(uow, caller, draft.enterprise_id)
        _validate(draft)
        parents = await uow.departments.parents(draft.enterprise_id, lock=True)
        draft.id = uuid.uuid4().hex
        check_move(draft.id, draft.parent_id, parents)
        await _require_unique_name(uow, draft)
        department = await uow.departments.add(draft)
        await _publish(uow, "created", department, caller)
        await uow.commit()
    return department


async def get_department(
    deps: Deps, caller: Caller, enterprise_id: str, department_id: str
) -> Department:
    async with deps.uow() as uow:
        await _readable_enterprise(uow, caller, enterprise_id)
        return await _get(uow, enterprise_id, department_id)


async def list_departments(deps: Deps, caller: Caller, enterprise_id: str) -> list[Department]:
    async with deps.uow() as uow:
        await _readable_enterprise(uow, caller, enterprise_id)
        departments = await uow.departments.find(enterprise_id)
    return _parents_first(departments)


async def update_department(
    deps: Deps, caller: Caller, *, draft: Department, mask: list[str]
) -> Department:
    names = {MASK_NAMES.get(n, n) for n in fields_to_update(mask, MASK_NAMES)}
    async with deps.uow() as uow:
        await _writable_enterprise(uow, caller, draft.enterprise_id)
        parents = await uow.departments.parents(draft.enterprise_id, lock=True)
        department = await _get(uow, draft.enterprise_id, draft.id)
        copy_fields(department, draft, names & EDITABLE)
        _validate(department)
        check_move(department.id, department.parent_id, parents)
        await _require_unique_name(uow, department)
        department = await uow.departments.save(department)
        await _publish(uow, "updated", department, caller)
        await uow.commit()
    return department


async def delete_department(
    deps: Deps, caller: Caller, enterprise_id: str, department_id: str
) -> None:
    async with deps.uow() as uow:
        await _writable_enterprise(uow, caller, enterprise_id)
        await uow.departments.parents(enterprise_id, lock=True)
        department = await _get(uow, enterprise_id, department_id)
        if await uow.departments.has_children(department_id):
            raise failed_precondition(
                "DEPARTMENT_HAS_CHILDREN", "move or delete its sub-departments first"
            )
        if await uow.departments.has_users(department_id):
            raise failed_precondition(
                "DEPARTMENT_HAS_USERS", "move its users to another department first"
            )
        await uow.departments.remove(department_id)
        await _publish(uow, "delete", department, caller)
        await uow.commit()


async def list_designations(
    deps: Deps, caller: Caller, enterprise_id: str
) -> list[tuple[Organization, datetime]]:
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        await _enterprise(uow, viewer, enterprise_id)
        found = await uow.orgs.designations_of(enterprise_id)
        if viewer.kind in ("provider", "engineer"):  # never the enterprise's other providers
            found = [(org, at) for org, at in found if org.id == viewer.org_id]
        return found


async def designate(
    deps: Deps, caller: Caller, enterprise_id: str, provider_id: str, *, remove: bool
) -> tuple[Organization, datetime]:
    """Adds (idempotently) or removes a designation; returns the provider and when it was
    designated."""
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        require_permission(caller.principal, "org.designation.write")
        if not viewer.is_platform:
            raise permission_denied("PLATFORM_ONLY", "only platform staff designate providers")
        await _enterprise(uow, viewer, enterprise_id)
        provider = await uow.orgs.get(OrgKind.PROVIDER, provider_id, visible=None)
        if provider is None or provider.is_deleted:
            raise DomainError(
                "PROVIDER_NOT_FOUND",
                f"no provider {provider_id!r}",
                ErrorCode.INVALID_ARGUMENT,
                [FieldViolation("designation.provider_id", "is not a live provider")],
            )
        changed = (
            await uow.orgs.undesignate(enterprise_id, provider_id)
            if remove
            else await uow.orgs.designate(enterprise_id, provider_id)
        )
        if not changed and remove:
            raise not_found("DESIGNATION_NOT_FOUND", "this provider is not designated")
        designated_at = deps.clock()
        if not changed and not remove:  # already designated: report the original time
            designated_at = next(
                at for p, at in await uow.orgs.designations_of(enterprise_id) if p.id == provider_id
            )
        if changed:
            change = Change.DELETED if remove else Change.CREATED
            await uow.emit(
                DesignationChanged(change, enterprise_id, provider, designated_at, caller.principal)
            )
        await uow.commit()
    return provider, designated_at


async def _enterprise(uow: IdentityUnit, viewer: Viewer, enterprise_id: str) -> Organization:
    org = await uow.orgs.get(OrgKind.ENTERPRISE, enterprise_id, visible=visible_enterprises(viewer))
    if org is None or (org.is_deleted and not viewer.is_platform):
        raise not_found("ENTERPRISE_NOT_FOUND", f"no enterprise {enterprise_id!r}")
    return org


async def _readable_enterprise(uow: IdentityUnit, caller: Caller, enterprise_id: str) -> Viewer:
    """Departments are visible to the enterprise's own users and to platform staff."""
    viewer = await viewer_of(uow, caller)
    if not (viewer.is_platform or viewer.org_id == enterprise_id):
        raise not_found("ENTERPRISE_NOT_FOUND", f"no enterprise {enterprise_id!r}")
    await _enterprise(uow, viewer, enterprise_id)
    return viewer


async def _writable_enterprise(uow: IdentityUnit, caller: Caller, enterprise_id: str) -> None:
    viewer = await _readable_enterprise(uow, caller, enterprise_id)
    require_permission(caller.principal, "org.department.write")
    if not manages_organization(viewer, enterprise_id):
        raise permission_denied("NOT_YOUR_ORGANIZATION", "you do not manage this enterprise")


async def _get(uow: IdentityUnit, enterprise_id: str, department_id: str) -> Department:
    department = await uow.departments.get(enterprise_id, department_id)
    if department is None:
        raise not_found("DEPARTMENT_NOT_FOUND", f"no department {department_id!r}")
    return department


def _validate(department: Department) -> None:
    checks = Checks("department")
    checks.required("display_name", department.display_name, max_length=50)
    checks.raise_if_any("DEPARTMENT_INVALID")


async def _require_unique_name(uow: IdentityUnit, department: Department) -> None:
    siblings = await uow.departments.find(department.enterprise_id)
    if any(
        d.display_name == department.display_name
        and d.parent_id == department.parent_id
        and d.id != department.id
        for d in siblings
    ):
        raise DomainError(
            "DEPARTMENT_NAME_TAKEN",
            "a sibling department has this name",
            ErrorCode.ALREADY_EXISTS,
            [FieldViolation("department.display_name", "is already used here")],
        )


def _parents_first(departments: list[Department]) -> list[Department]:
    by_parent: dict[str, list[Department]] = {}
    for department in departments:
        by_parent.setdefault(department.parent_id, []).append(department)
    ordered, stack = [], list(reversed(by_parent.get("", [])))
    while stack:
        current = stack.pop()
        ordered.append(current)
        stack.extend(reversed(by_parent.get(current.id, [])))
    return ordered


async def _publish(uow: IdentityUnit, change: str, department: Department, caller: Caller) -> None:
    await uow.emit(DepartmentChanged(Change(change), department, caller.principal))

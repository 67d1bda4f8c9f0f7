"""Roles, the permission catalogue, and the security log."""

from __future__ import annotations

import uuid

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
from servicekit.paging import page_of
from services.identity.domain.access import ALL_CODES, Permission, Role
from services.identity.domain.events import Change, RoleChanged
from services.identity.domain.people import UserKind
from services.identity.domain.security import SecurityEvent, SecurityEventKind
from services.identity.domain.validation import Checks, one_field_error
from services.identity.domain.visibility import Viewer
from services.identity.service_layer.audit import record
from services.identity.service_layer.caller import Caller, viewer_of
from services.identity.service_layer.deps import Deps
from services.identity.service_layer.ports import IdentityUnit, SecurityLogFilter

ROLE_EDITABLE = frozenset({"display_name", "permission_codes", "data_scope"})
PERMISSION_EDITABLE = frozenset({"display_name", "enabled", "sort_order"})
_ORG_KINDS = {
    "enterprise": {UserKind.ENTERPRISE},
    "provider": {UserKind.PROVIDER, UserKind.ENGINEER},
}


async def create_role(deps: Deps, caller: Caller, *, draft: Role) -> Role:
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        require_permission(caller.principal, "role.write")
        if not viewer.is_platform:
            draft.organization_id = viewer.org_id
        _validate(viewer, draft)
        await _require_unique_name(uow, draft)
        draft.id = uuid.uuid4().hex
        role = await uow.access.add_role(draft)
        await _changed(uow, caller, "created", role)
        await uow.commit()
    return role


async def get_role(deps: Deps, caller: Caller, role_id: str) -> Role:
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        require_permission(caller.principal, "role.read")
        return await _get(uow, viewer, role_id)


async def list_roles(
    deps: Deps, caller: Caller, *, organization_id: str, page_size: int, page_token: str
) -> tuple[list[Role], str]:
    """Platform staff: every role, or one organisation's; others: their organisation's roles
    and the built-in roles for their kinds of user."""
    page = page_of(page_size, page_token)
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        require_permission(caller.principal, "role.read")
        if viewer.is_platform:
            org, kinds = organization_id or None, None
        else:
            org, kinds = viewer.org_id, _kinds_of(viewer)
        roles = await uow.access.list_roles(
            organization_id=org, kinds=kinds, offset=page.offset, limit=page.limit
        )
    return roles, page.next_token(len(roles))


async def update_role(deps: Deps, caller: Caller, *, draft: Role, mask: list[str]) -> Role:
    names = fields_to_update(mask, ROLE_EDITABLE)
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        require_permission(caller.principal, "role.write")
        role = await _get(uow, viewer, draft.id)
        _require_editable(viewer, role)
        before = sorted(role.permission_codes), role.data_scope.value
        copy_fields(role, draft, names)
        _validate(viewer, role)
        await _require_unique_name(uow, role)
        role = await uow.access.save_role(role)
        if before != (sorted(role.permission_codes), role.data_scope.value):
            await record(
                uow,
                SecurityEventKind.PERMISSION_CHANGED,
                caller.client,
                actor_user_id=caller.user_id,
                organization_id=role.organization_id,
                role_id=role.id,
                codes_before=",".join(before[0]),
                codes_after=",".join(sorted(role.permission_codes)),
                scope_before=before[1],
                scope_after=role.data_scope.value,
            )
        await _changed(uow, caller, "updated", role)
        await uow.commit()
    return role


async def delete_role(deps: Deps, caller: Caller, role_id: str) -> None:
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        require_permission(caller.principal, "role.write")
        role = await _get(uow, viewer, role_id)
        _require_editable(viewer, role)
        if await uow.access.role_in_use(role_id):
            raise failed_precondition("ROLE_IN_USE", "users still hold this role")
        await uow.access.remove_role(role_id)
        await _changed(uow, caller, "delete", role)
        await uow.commit()


async def list_permissions(deps: Deps, caller: Caller, *, show_disabled: bool) -> list[Permission]:
    async with deps.uow() as uow:
        await viewer_of(uow, caller)
        if not (caller.principal.has("permission.read") or caller.principal.has("role.read")):
            raise permission_denied(
                "PERMISSION_MISSING", "permission 'permission.read' is required"
            )
        return await uow.access.permissions(show_disabled=show_disabled)


async def update_permission(
    deps: Deps, caller: Caller, *, draft: Permission, mask: list[str]
) -> Permission:
    names = fields_to_update(mask, PERMISSION_EDITABLE)
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        require_permission(caller.principal, "permission.write")
        if not viewer.is_platform:
            raise permission_denied("PLATFORM_ONLY", "only platform staff change the catalogue")
        permission = await uow.access.permission(draft.code)
        if permission is None:
            raise not_found("PERMISSION_NOT_FOUND", f"no permission {draft.code!r}")
        was_enabled = permission.enabled
        copy_fields(permission, draft, names)
        Checks("permission").raise_if_any("PERMISSION_INVALID")
        permission = await uow.access.save_permission(permission)
        if was_enabled != permission.enabled:
            await record(
                uow,
                SecurityEventKind.PERMISSION_CHANGED,
                caller.client,
                actor_user_id=caller.user_id,
                permission=permission.code,
                enabled=str(permission.enabled).lower(),
            )
        await uow.commit()
    return permission


async def list_security_logs(
    deps: Deps, caller: Caller, *, where: SecurityLogFilter, page_size: int, page_token: str
) -> tuple[list[SecurityEvent], str]:
    page = page_of(page_size, page_token)
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        require_permission(caller.principal, "security_log.read")
        orgs = None if viewer.is_platform else frozenset({viewer.org_id})
        entries = await uow.security_log.find(
            orgs=orgs, where=where, offset=page.offset, limit=page.limit
        )
    return entries, page.next_token(len(entries))


def _kinds_of(viewer: Viewer) -> set[UserKind]:
    return _ORG_KINDS.get("provider" if viewer.kind == "engineer" else viewer.kind, set())


def _validate(viewer: Viewer, role: Role) -> None:
    checks = Checks("role")
    checks.required("display_name", role.display_name, max_length=50)
    unknown = sorted(set(role.permission_codes) - ALL_CODES)
    if unknown:
        checks.fail("permission_codes", f"unknown codes: {', '.join(unknown)}")
    checks.raise_if_any("ROLE_INVALID")
    if not viewer.is_platform:
        if role.kind not in _kinds_of(viewer):
            raise one_field_error(
                "ROLE_INVALID", "role.kind", "is not a kind of user your organisation has"
            )
        if not set(role.permission_codes) <= viewer.principal.permissions:
            raise permission_denied(
                "ROLE_EXCEEDS_CALLER", "a role cannot grant codes you do not hold"
            )
        if role.data_scope.value == "all":
            raise one_field_error(
                "ROLE_INVALID", "role.data_scope", "only platform roles see all data"
            )


async def _get(uow: IdentityUnit, viewer: Viewer, role_id: str) -> Role:
    role = await uow.access.role(
        role_id, organization_id=None if viewer.is_platform else viewer.org_id
    )
    foreign_built_in = role is not None and role.built_in and role.kind not in _kinds_of(viewer)
    if role is None or (not viewer.is_platform and foreign_built_in):
        raise not_found("ROLE_NOT_FOUND", f"no role {role_id!r}")
    return role


def _require_editable(viewer: Viewer, role: Role) -> None:
    if role.built_in:
        raise failed_precondition(
            "ROLE_BUILT_IN", "built-in roles cannot be changed; create a role instead"
        )
    if not viewer.is_platform and role.organization_id != viewer.org_id:
        raise permission_denied("NOT_YOUR_ORGANIZATION", "you do not manage this role")


async def _require_unique_name(uow: IdentityUnit, role: Role) -> None:
    if await uow.access.role_name_taken(role.organization_id, role.display_name, excluding=role.id):
        raise DomainError(
            "ROLE_NAME_TAKEN",
            "a role with this name exists",
            ErrorCode.ALREADY_EXISTS,
            [FieldViolation("role.display_name", "is already used")],
        )


async def _changed(uow: IdentityUnit, caller: Caller, change: str, role: Role) -> None:
    await uow.emit(RoleChanged(Change(change), role, caller.principal))

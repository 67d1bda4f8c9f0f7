"""The service catalogue and service levels: anyone signed in reads; catalog.write edits. Every
change is published (outbox, ticketing.tickets.catalog.v1) in its transaction: reporting names
service types and levels from it."""

from __future__ import annotations

import uuid

from servicekit.auth.principal import Principal
from servicekit.authz import require_permission
from servicekit.errors import (
    DomainError,
    ErrorCode,
    FieldViolation,
    failed_precondition,
    invalid_argument,
    not_found,
)
from servicekit.field_mask import copy_fields, fields_to_update
from services.tickets.domain.catalog import MAX_DEPTH, ServiceLevel, ServiceType, form_violations
from services.tickets.service_layer.deps import Deps
from services.tickets.service_layer.ports import TicketsUnit

TYPE_MASK = {
    "display_name": "display_name",
    "parent_service_type_id": "parent_id",
    "sort_order": "sort_order",
    "disabled": "enabled",
    "form_fields": "form_fields",
    "default_service_level_id": "default_service_level_id",
    "skills": "skills",
    "description": "description",
}
LEVEL_MASK = {
    "display_name",
    "priority",
    "response_target",
    "resolution_target",
    "approval_steps",
    "auto_close_delay",
}


async def create_service_type(
    deps: Deps, principal: Principal, *, draft: ServiceType
) -> ServiceType:
    require_permission(principal, "catalog.write")
    async with deps.uow() as uow:
        draft.id = uuid.uuid4().hex
        await _validate_type(uow, draft)
        created = await uow.catalog.add_type(draft)
        await uow.publish_catalog("created", created)
        await uow.commit()
    deps.catalog_cache.invalidate()
    return created


async def get_service_type(deps: Deps, type_id: str) -> ServiceType:
    async with deps.uow() as uow:
        return await _type(uow, type_id)


async def list_service_types(
    deps: Deps, *, parent_id: str, show_disabled: bool
) -> list[ServiceType]:
    async with deps.uow() as uow:
        return await uow.catalog.list_types(parent_id=parent_id, show_disabled=show_disabled)


async def update_service_type(
    deps: Deps, principal: Principal, *, draft: ServiceType, mask: list[str]
) -> ServiceType:
    require_permission(principal, "catalog.write")
    names = {TYPE_MASK[n] for n in fields_to_update(mask, TYPE_MASK)}
    async with deps.uow() as uow:
        current = await _type(uow, draft.id)
        copy_fields(current, draft, names)
        await _validate_type(uow, current)
        saved = await uow.catalog.save_type(current)
        await uow.publish_catalog("updated", saved)
        await uow.commit()
    deps.catalog_cache.invalidate()
    return saved


async def delete_service_type(deps: Deps, principal: Principal, type_id: str) -> None:
    require_permission(principal, "catalog.write")
    async with deps.uow() as uow:
        removed = await _type(uow, type_id)
        if await uow.catalog.type_in_use(type_id):
            raise failed_precondition(
                "SERVICE_TYPE_IN_USE", "it has sub-types or tickets; disable it instead"
            )
        await uow.catalog.remove_type(type_id)
        await uow.publish_catalog("deleted", removed)
        await uow.commit()
    deps.catalog_cache.invalidate()


async def create_service_level(
    deps: Deps, principal: Principal, *, draft: ServiceLevel
) -> ServiceLevel:
    require_permission(principal, "catalog.write")
    async with deps.uow() as uow:
        draft.id = uuid.uuid4().hex
        await _validate_level(uow, draft)
        created = await uow.catalog.add_level(draft)
        await uow.publish_catalog("created", created)
        await uow.commit()
    deps.catalog_cache.invalidate()
    return created


async def get_service_level(deps: Deps, level_id: str) -> ServiceLevel:
    async with deps.uow() as uow:
        return await _level(uow, level_id)


async def list_service_levels(deps: Deps) -> list[ServiceLevel]:
    async with deps.uow() as uow:
        return await uow.catalog.list_levels()


async def update_service_level(
    deps: Deps, principal: Principal, *, draft: ServiceLevel, mask: list[str]
) -> ServiceLevel:
    require_permission(principal, "catalog.write")
    names = fields_to_update(mask, LEVEL_MASK)
    async with deps.uow() as uow:
        current = await _level(uow, draft.id)
        copy_fields(current, draft, names)
        await _validate_level(uow, current)
        saved = await uow.catalog.save_level(current)
        await uow.publish_catalog("updated", saved)
        await uow.commit()
    deps.catalog_cache.invalidate()
    return saved


async def delete_service_level(deps: Deps, principal: Principal, level_id: str) -> None:
    require_permission(principal, "catalog.write")
    async with deps.uow() as uow:
        removed = await _level(uow, level_id)
        if await uow.catalog.level_in_use(level_id):
            raise failed_precondition(
                "SERVICE_LEVEL_IN_USE", "service types or open tickets use it"
            )
        await uow.catalog.remove_level(level_id)
        await uow.publish_catalog("deleted", removed)
        await uow.commit()
    deps.catalog_cache.invalidate()


async def _type(uow: TicketsUnit, type_id: str) -> ServiceType:
    found = await uow.catalog.get_type(type_id)
    if found is None:
        raise not_found("SERVICE_TYPE_NOT_FOUND", f"no service type {type_id!r}")
    return found


async def _level(uow: TicketsUnit, level_id: str) -> ServiceLevel:
    found = await uow.catalog.get_level(level_id)
    if found is None:
        raise not_found("SERVICE_LEVEL_NOT_FOUND", f"no service level {level_id!r}")
    return found


async def _validate_type(uow: TicketsUnit, item: ServiceType) -> None:
    violations = form_violations(item.form_fields)
    if not item.display_name.strip():
        violations.insert(0, FieldViolation("service_type.display_name", "is required"))
    item.level = 1
    if item.parent_id:
        parent = await uow.catalog.get_type(item.parent_id)
        ancestors = await _ancestors(uow, item.parent_id)
        if parent is None or item.id in ancestors:
            violations.append(
                FieldViolation("service_type.parent_service_type_id", "is not a possible parent")
            )
        else:
            item.level = parent.level + 1
            if item.level > MAX_DEPTH:
                violations.append(
                    FieldViolation(
                        "service_type.parent_service_type_id", "the catalogue has 3 levels"
                    )
                )
    if (
        item.default_service_level_id
        and await uow.catalog.get_level(item.default_service_level_id) is None
    ):
        violations.append(
            FieldViolation("service_type.default_service_level_id", "is not a service level")
        )
    if violations:
        raise invalid_argument("SERVICE_TYPE_INVALID", violations)
    if await uow.catalog.type_name_taken(item.parent_id, item.display_name, excluding=item.id):
        raise DomainError(
            "SERVICE_TYPE_NAME_TAKEN",
            "a sibling type has this name",
            ErrorCode.ALREADY_EXISTS,
            [FieldViolation("service_type.display_name", "is already used here")],
        )


async def _ancestors(uow: TicketsUnit, type_id: str) -> set[str]:
    found: set[str] = set()
    while type_id and type_id not in found:
        found.add(type_id)
        parent = await uow.catalog.get_type(type_id)
        type_id = parent.parent_id if parent else ""
    return found


async def _validate_level(uow: TicketsUnit, item: ServiceLevel) -> None:
    violations = []
    if not item.display_name.strip():
        violations.append(FieldViolation("service_level.display_name", "is required"))
    if len(item.approval_steps) > 2:
        violations.append(
            FieldViolation("service_level.approval_steps", "at most two approval levels")
        )
    for i, step in enumerate(item.approval_steps):
        if not step.permission_code:
            violations.append(
                FieldViolation(f"service_level.approval_steps[{i}].permission_code", "is required")
            )
    for name in ("response_target", "resolution_target", "auto_close_delay"):
        value = getattr(item, name)
        if value is not None and value.total_seconds() <= 0:
            violations.append(FieldViolation(f"service_level.{name}", "must be positive"))
    if violations:
        raise invalid_argument("SERVICE_LEVEL_INVALID", violations)
    if await uow.catalog.level_name_taken(item.display_name, excluding=item.id):
        raise DomainError(
            "SERVICE_LEVEL_NAME_TAKEN",
            "a level has this name",
            ErrorCode.ALREADY_EXISTS,
            [FieldViolation("service_level.display_name", "is already used")],
        )

"""Enterprises and providers: one set of use cases, parametrised by kind."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from servicekit.authz import require_permission
from servicekit.errors import DomainError, ErrorCode, FieldViolation, not_found, permission_denied
from servicekit.field_mask import copy_fields, fields_to_update
from servicekit.idempotency import RequestKey, caller_scope
from servicekit.paging import page_of
from services.identity.domain.events import AccessRevoked, Change, OrganizationChanged
from services.identity.domain.organizations import Organization, OrgKind
from services.identity.domain.security import SecurityEventKind
from services.identity.domain.validation import Checks
from services.identity.domain.visibility import (
    Viewer,
    manages_organization,
    visible_enterprises,
    visible_providers,
)
from services.identity.service_layer.audit import record
from services.identity.service_layer.caller import Caller, viewer_of
from services.identity.service_layer.deps import Deps
from services.identity.service_layer.ports import IdentityUnit, OrganizationFilter


@dataclass(frozen=True)
class OrgRules:
    kind: OrgKind
    read_code: str
    write_code: str
    editable: frozenset[str]
    visible: Callable[[Viewer], frozenset[str] | None]

    @property
    def name(self) -> str:
        return self.kind.value

    @property
    def reason(self) -> str:
        return self.kind.value.upper()


_COMMON = {"display_name", "contact_name", "contact_phone", "address"}
RULES = {
    OrgKind.ENTERPRISE: OrgRules(
        OrgKind.ENTERPRISE,
        "org.enterprise.read",
        "org.enterprise.write",
        frozenset(_COMMON | {"industry", "logo_url"}),
        visible_enterprises,
    ),
    OrgKind.PROVIDER: OrgRules(
        OrgKind.PROVIDER,
        "org.provider.read",
        "org.provider.write",
        frozenset(_COMMON | {"tags"}),
        visible_providers,
    ),
}


def validate(org: Organization) -> None:
    checks = Checks(org.kind.value)
    checks.required("display_name", org.display_name, max_length=100)
    checks.optional_text("contact_name", org.contact_name, max_length=50)
    checks.phone("contact_phone", org.contact_phone)
    checks.optional_text("address", org.address)
    checks.optional_text("industry", org.industry, max_length=50)
    checks.https_url("logo_url", org.logo_url)
    checks.raise_if_any(f"{org.kind.value.upper()}_INVALID")


async def create_organization(
    deps: Deps, caller: Caller, *, draft: Organization, request_id: str, fingerprint: str = ""
) -> Organization:
    rules = RULES[draft.kind]
    scope = caller_scope(caller.principal.organization_id, caller.principal.user_id)
    key = RequestKey(scope, f"create-{rules.name}", request_id, fingerprint)
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        _require_platform_writer(viewer, rules)
        if existing := await uow.requests.remembered(key):
            return await _get(uow, rules, existing, visible=None)
        validate(draft)
        await _require_unique_name(uow, rules, draft)
        draft.id = uuid.uuid4().hex
        org = await uow.orgs.add(draft)
        if not await uow.requests.remember(key, resource_id=org.id):
            raise DomainError(
                "REQUEST_ID_IN_FLIGHT", "retry: the same request is running", ErrorCode.ABORTED
            )
        await _publish(uow, "created", org, caller)
        await uow.commit()
    return org


async def get_organization(deps: Deps, caller: Caller, kind: OrgKind, org_id: str) -> Organization:
    rules = RULES[kind]
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        org = await _get(uow, rules, org_id, visible=rules.visible(viewer))
        if org.is_deleted and not viewer.is_platform:
            raise _not_found(rules, org_id)
        return org


async def list_organizations(
    deps: Deps,
    caller: Caller,
    kind: OrgKind,
    *,
    where: OrganizationFilter,
    page_size: int,
    page_token: str,
) -> tuple[list[Organization], str, int]:
    rules = RULES[kind]
    page = page_of(page_size, page_token)
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        require_permission(caller.principal, rules.read_code)
        if where.show_deleted and not viewer.is_platform:
            raise permission_denied("PERMISSION_MISSING", "only platform staff see deleted records")
        items, total = await uow.orgs.find(
            kind, visible=rules.visible(viewer), where=where, offset=page.offset, limit=page.limit
        )
    return items, page.next_token(len(items), total), total


async def update_organization(
    deps: Deps, caller: Caller, *, draft: Organization, mask: list[str]
) -> Organization:
    rules = RULES[draft.kind]
    names = fields_to_update(mask, rules.editable)
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        org = await _get(uow, rules, draft.id, visible=rules.visible(viewer), lock=True)
        _require_manager(viewer, rules, org)
        copy_fields(org, draft, names)
        validate(org)
        await _require_unique_name(uow, rules, org)
        org = await uow.orgs.save(org)
        await _publish(uow, "updated", org, caller)
        await uow.commit()
    return org


async def change_organization_state(
    deps: Deps, caller: Caller, kind: OrgKind, org_id: str, *, action: str, reason: str = ""
) -> Organization:
    """disable | enable | delete | undelete; platform staff only."""
    rules = RULES[kind]
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        _require_platform_writer(viewer, rules)
        org = await _get(uow, rules, org_id, visible=None, lock=True)
        if action == "delete":
            org.delete(deps.clock())
        elif action == "undelete":
            org.undelete()
            await _require_unique_name(uow, rules, org)
        else:
            getattr(org, action)()
        org = await uow.orgs.save(org)
        if action in ("disable", "delete"):
            revoked = AccessRevoked(
                deps.clock(), action, organization_id=org.id, actor=caller.principal
            )
            await uow.emit(revoked)
            await record(
                uow,
                SecurityEventKind.ORGANIZATION_DISABLED,
                caller.client,
                actor_user_id=caller.user_id,
                organization_id=org.id,
                action=action,
                reason=reason,
            )
        await _publish(uow, action, org, caller)
        await uow.commit()
    return org


async def _get(
    uow: IdentityUnit,
    rules: OrgRules,
    org_id: str,
    *,
    visible: frozenset[str] | None,
    lock: bool = False,
) -> Organization:
    org = await uow.orgs.get(rules.kind, org_id, visible=visible, lock=lock)
    if org is None:
        raise _not_found(rules, org_id)
    return org


def _not_found(rules: OrgRules, org_id: str) -> DomainError:
    return not_found(f"{rules.reason}_NOT_FOUND", f"no {rules.name} {org_id!r}")


def _require_platform_writer(viewer: Viewer, rules: OrgRules) -> None:
    require_permission(viewer.principal, rules.write_code)
    if not viewer.is_platform:
        raise permission_denied(
            "PLATFORM_ONLY", f"only platform staff create or retire a {rules.name}"
        )


def _require_manager(viewer: Viewer, rules: OrgRules, org: Organization) -> None:
    require_permission(viewer.principal, rules.write_code)
    if not manages_organization(viewer, org.id):
        raise permission_denied("NOT_YOUR_ORGANIZATION", f"you do not manage this {rules.name}")


async def _require_unique_name(uow: IdentityUnit, rules: OrgRules, org: Organization) -> None:
    if await uow.orgs.name_taken(rules.kind, org.display_name, excluding=org.id):
        raise DomainError(
            f"{rules.reason}_NAME_TAKEN",
            f"a {rules.name} named {org.display_name!r} exists",
            ErrorCode.ALREADY_EXISTS,
            [FieldViolation(f"{rules.name}.display_name", "is already used")],
        )


async def _publish(uow: IdentityUnit, change: str, org: Organization, caller: Caller) -> None:
    await uow.emit(OrganizationChanged(Change(change), org, caller.principal))

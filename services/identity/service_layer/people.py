"""Users and engineers (an engineer is a user of kind engineer): create, read, update,
disable/enable, soft delete/undelete, and the signed-in user's own profile."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

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
from servicekit.idempotency import RequestKey, caller_scope
from servicekit.paging import page_of
from services.identity.domain.access import DEFAULT_ROLE
from services.identity.domain.departments import subtree
from services.identity.domain.events import AccessRevoked, Change, PersonChanged
from services.identity.domain.organizations import OrgKind
from services.identity.domain.people import User, UserKind
from services.identity.domain.security import SecurityEventKind
from services.identity.domain.validation import Checks, one_field_error
from services.identity.domain.visibility import Viewer
from services.identity.service_layer.audit import record
from services.identity.service_layer.caller import Caller, viewer_of
from services.identity.service_layer.deps import Deps
from services.identity.service_layer.ports import IdentityUnit, UserFilter


@dataclass(frozen=True)
class PersonRules:
    """How the users and engineers endpoints differ."""

    noun: str  # "user" or "engineer": field prefix, reason prefix, aggregate
    read_code: str
    write_code: str
    editable: frozenset[str]


USERS = PersonRules(
    "user",
    "user.read",
    "user.write",
    frozenset(
        {
            "display_name",
            "username",
            "phone",
            "email",
            "department_id",
            "role_ids",
            "nickname",
            "avatar_url",
            "password",
            "locale",
            "time_zone",
        }
    ),
)
ENGINEERS = PersonRules(
    "engineer",
    "engineer.read",
    "engineer.write",
    frozenset(
        {
            "display_name",
            "phone",
            "wechat_openid",
            "skills",
            "password",
            "employee_number",
            "locale",
            "time_zone",
        }
    ),
)
SELF_EDITABLE = frozenset(
    {
        "display_name",
        "nickname",
        "avatar_url",
        "phone",
        "nickname_authorized",
        "avatar_authorized",
        "phone_authorized",
        "locale",
        "time_zone",
    }
)
_KINDS_BY_ORG = {
    "enterprise": {UserKind.ENTERPRISE},
    "provider": {UserKind.PROVIDER, UserKind.ENGINEER},
}


async def create_person(
    deps: Deps,
    caller: Caller,
    rules: PersonRules,
    *,
    draft: User,
    password: str,
    request_id: str,
    fingerprint: str = "",
) -> User:
    scope = caller_scope(caller.principal.organization_id, caller.principal.user_id)
    key = RequestKey(scope, f"create-{rules.noun}", request_id, fingerprint)
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        require_permission(caller.principal, rules.write_code)
        if existing := await uow.requests.remembered(key):
            return await _get(uow, rules, viewer, existing)
        if not viewer.is_platform and not draft.organization_id:
            draft.organization_id = viewer.org_id
        _require_manager(viewer, draft)
        draft.role_ids = draft.role_ids or [DEFAULT_ROLE[draft.kind]]
        await _validate(uow, viewer, rules, draft, password, creating=True)
        draft.id = uuid.uuid4().hex
        draft.password_hash = await deps.passwords.hash(password) if password else ""
        user = await uow.users.add(draft)
        if not await uow.requests.remember(key, resource_id=user.id):
            raise DomainError(
                "REQUEST_ID_IN_FLIGHT", "retry: the same request is running", ErrorCode.ABORTED
            )
        await _publish(uow, "created", user, caller)
        await uow.commit()
    return user


async def get_person(
    deps: Deps, caller: Caller, rules: PersonRules, user_id: str, *, org: str = ""
) -> User:
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        user = await _get(uow, rules, viewer, user_id)
        if org and user.organization_id != org:
            raise _not_found(rules, user_id)
        return user


async def list_people(
    deps: Deps,
    caller: Caller,
    rules: PersonRules,
    *,
    where: UserFilter,
    page_size: int,
    page_token: str,
) -> tuple[list[User], str, int]:
    page = page_of(page_size, page_token)
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        require_permission(caller.principal, rules.read_code)
        if where.show_deleted and not viewer.is_platform:
            raise permission_denied("PERMISSION_MISSING", "only platform staff see deleted records")
        orgs, where = await _scoped(uow, viewer, where)
        items, total = await uow.users.find(
            orgs=orgs, where=where, offset=page.offset, limit=page.limit
        )
    return items, page.next_token(len(items), total), total


async def update_person(
    deps: Deps, caller: Caller, rules: PersonRules, *, draft: User, password: str, mask: list[str]
) -> User:
    names = fields_to_update(mask, rules.editable)
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        require_permission(caller.principal, rules.write_code)
        user = await _get(uow, rules, viewer, draft.id, lock=True)
        if draft.organization_id and draft.organization_id != user.organization_id:
            raise _not_found(rules, draft.id)
        _require_manager(viewer, user)
        roles_before = list(user.role_ids)
        copy_fields(user, draft, names - {"password"})
        new_password = password if "password" in names else ""
        await _validate(uow, viewer, rules, user, new_password, creating=False)
        if new_password:
            user.password_hash = await deps.passwords.hash(new_password)
        user = await uow.users.save(user)
        if sorted(roles_before) != sorted(user.role_ids):
            await record(
                uow,
                SecurityEventKind.PERMISSION_CHANGED,
                caller.client,
                user_id=user.id,
                actor_user_id=caller.user_id,
                organization_id=user.organization_id,
                roles_before=",".join(sorted(roles_before)),
                roles_after=",".join(sorted(user.role_ids)),
            )
        await _publish(uow, "updated", user, caller)
        await uow.commit()
    return user


async def change_person_state(
    deps: Deps,
    caller: Caller,
    rules: PersonRules,
    user_id: str,
    *,
    action: str,
    org: str = "",
    reason: str = "",
) -> User:
    """disable | enable | delete | undelete."""
    async with deps.uow() as uow:
        viewer = await viewer_of(uow, caller)
        require_permission(caller.principal, rules.write_code)
        user = await _get(uow, rules, viewer, user_id, lock=True, include_deleted=True)
        if org and user.organization_id != org:
            raise _not_found(rules, user_id)
        _require_manager(viewer, user)
        if user.id == caller.user_id and action in ("disable", "delete"):
            raise failed_precondition("CANNOT_RETIRE_SELF", "you cannot disable or delete yourself")
        now = deps.clock()
        user.delete(now) if action == "delete" else getattr(user, action)()
        user = await uow.users.save(user)
        if action in ("disable", "delete"):
            await uow.refresh_tokens.revoke_user(user.id, now)
            await uow.emit(AccessRevoked(now, action, user_id=user.id, actor=caller.principal))
            await record(
                uow,
                SecurityEventKind.USER_DISABLED,
                caller.client,
                user_id=user.id,
                actor_user_id=caller.user_id,
                organization_id=user.organization_id,
                action=action,
                reason=reason,
            )
        await _publish(uow, action, user, caller)
        await uow.commit()
    return user


async def get_me(deps: Deps, caller: Caller) -> User:
    async with deps.uow() as uow:
        await viewer_of(uow, caller)
        user = await uow.users.get(caller.user_id, orgs=None)
        assert user is not None
        return user


async def update_me(deps: Deps, caller: Caller, *, draft: User, mask: list[str]) -> User:
    names = fields_to_update(mask, SELF_EDITABLE)
    async with deps.uow() as uow:
        await viewer_of(uow, caller)
        user = await uow.users.get(caller.user_id, orgs=None, lock=True)
        assert user is not None
        copy_fields(user, draft, names)
        checks = Checks("user")
        checks.required("display_name", user.display_name, max_length=50)
        checks.optional_text("nickname", user.nickname, max_length=50)
        checks.https_url("avatar_url", user.avatar_url)
        checks.phone("phone", user.phone)
        checks.locale("locale", user.locale)
        checks.time_zone("time_zone", user.time_zone)
        checks.raise_if_any("USER_INVALID")
        await _require_unique(uow, USERS, user)
        user = await uow.users.save(user)
        await _publish(uow, "updated", user, caller)
        await uow.commit()
    return user


async def _get(
    uow: IdentityUnit,
    rules: PersonRules,
    viewer: Viewer,
    user_id: str,
    *,
    lock: bool = False,
    include_deleted: bool = False,
) -> User:
    orgs, where = await _scoped(uow, viewer, UserFilter())
    user = await uow.users.get(user_id, orgs=orgs, lock=lock)
    visible = user is not None and (user.id == viewer.principal.user_id or _in_scope(user, where))
    if not visible or (user.is_deleted and not (include_deleted or viewer.is_platform)):  # type: ignore[union-attr]
        raise _not_found(rules, user_id)
    if (rules is ENGINEERS) != (user.kind is UserKind.ENGINEER):  # type: ignore[union-attr]
        raise _not_found(rules, user_id)
    return user  # type: ignore[return-value]


def _in_scope(user: User, where: UserFilter) -> bool:
    if where.only_user_id:
        return user.id == where.only_user_id
    return where.department_ids is None or user.department_id in where.department_ids


async def _scoped(uow: IdentityUnit, viewer: Viewer, where: UserFilter):  # type: ignore[no-untyped-def]
    """The organisations and the narrowing the caller's data scope allows."""
    principal = viewer.principal
    if viewer.is_platform:
        return None, where
    orgs = frozenset({viewer.org_id})
    if principal.data_scope == "self":
        return orgs, UserFilter(**{**where.__dict__, "only_user_id": principal.user_id})
    if principal.data_scope == "department" and principal.department_id:
        parents = await uow.departments.parents(viewer.org_id)
        departments = frozenset(subtree(principal.department_id, parents))
        return orgs, UserFilter(**{**where.__dict__, "department_ids": departments})
    return orgs, where


def _require_manager(viewer: Viewer, user: User) -> None:
    if viewer.is_platform:
        return
    allowed = _KINDS_BY_ORG.get(viewer.kind if viewer.kind != "engineer" else "", set())
    if user.organization_id != viewer.org_id or user.kind not in allowed:
        raise permission_denied("NOT_YOUR_ORGANIZATION", "you do not manage this person")


async def _validate(
    uow: IdentityUnit,
    viewer: Viewer,
    rules: PersonRules,
    user: User,
    password: str,
    *,
    creating: bool,
) -> None:
    checks = Checks(rules.noun)
    checks.required("display_name", user.display_name, max_length=50)
    checks.username("username", user.username)
    checks.phone("phone", user.phone, required=rules is ENGINEERS)
    checks.email("email", user.email)
    checks.code("employee_number", user.employee_number, max_length=32)
    checks.locale("locale", user.locale)
    checks.time_zone("time_zone", user.time_zone)
    checks.password("password", password, required=False)
    if creating and rules is USERS and not (user.username or user.phone):
        checks.fail("username", "a username or a phone number is required")
    checks.raise_if_any(f"{rules.noun.upper()}_INVALID")
    await _check_organization(uow, rules, user)
    await _check_roles(uow, viewer, rules, user)
    await _require_unique(uow, rules, user)


async def _check_organization(uow: IdentityUnit, rules: PersonRules, user: User) -> None:
    field = f"{rules.noun}.organization_id" if rules is USERS else "provider_id"
    kind = user.kind.organization_kind
    if not kind:
        if user.organization_id:
            raise one_field_error("USER_INVALID", field, "platform staff belong to no organisation")
        return
    org = await uow.orgs.get(OrgKind(kind), user.organization_id, visible=None)
    if org is None or org.is_deleted:
        raise one_field_error("USER_INVALID", field, f"is not a live {kind}")
    if user.department_id:
        department = await uow.departments.get(user.organization_id, user.department_id)
        if department is None:
            raise one_field_error(
                "USER_INVALID", "user.department_id", "is not a department of this enterprise"
            )


async def _check_roles(uow: IdentityUnit, viewer: Viewer, rules: PersonRules, user: User) -> None:
    roles = {r.id: r for r in await uow.access.roles(user.role_ids)}
    field = f"{rules.noun}.role_ids"
    for role_id in user.role_ids:
        role = roles.get(role_id)
        if (
            role is None
            or role.kind is not user.kind
            or role.organization_id not in ("", user.organization_id)
        ):
            raise one_field_error("ROLE_UNKNOWN", field, f"{role_id!r} is not a role for this user")
        if (
            not viewer.is_platform
            and not set(role.permission_codes) <= viewer.principal.permissions
        ):
            raise permission_denied(
                "ROLE_EXCEEDS_CALLER", f"role {role_id!r} grants more than you hold"
            )


async def _require_unique(uow: IdentityUnit, rules: PersonRules, user: User) -> None:
    for column in ("username", "phone", "wechat_openid"):
        value = getattr(user, column)
        if value and await uow.users.taken(column, value, excluding=user.id):
            raise DomainError(
                f"{column.upper()}_TAKEN",
                f"{column} {value!r} is already used",
                ErrorCode.ALREADY_EXISTS,
                [FieldViolation(f"{rules.noun}.{column}", "is already used")],
            )


def _not_found(rules: PersonRules, user_id: str) -> DomainError:
    return not_found(f"{rules.noun.upper()}_NOT_FOUND", f"no {rules.noun} {user_id!r}")


async def _publish(uow: IdentityUnit, change: str, user: User, caller: Caller) -> None:
    await uow.emit(PersonChanged(Change(change), user, caller.principal))

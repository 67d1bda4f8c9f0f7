"""Users, engineers, roles, permissions and the security log through their use cases."""

from __future__ import annotations

from dataclasses import replace

import pytest

from servicekit.errors import DomainError, ErrorCode
from services.identity.domain.access import DataScope, Role
from services.identity.domain.people import User, UserKind, UserState
from services.identity.domain.security import SecurityEventKind
from services.identity.service_layer import access, people
from services.identity.service_layer.ports import SecurityLogFilter, UserFilter
from tests.unit.identity.conftest import caller, emitted
from tests.unit.identity.fakes import World


def _user(name: str, **fields: object) -> User:
    return User("", UserKind.ENTERPRISE, name, **fields)  # type: ignore[arg-type]


async def test_enterprise_admin_adds_a_member_with_the_default_role(w: World):
    boss = await caller(w, "boss")
    made = await people.create_person(
        w.deps,
        boss,
        people.USERS,
        draft=_user("Ann", username="ann", phone="13900000001"),
        password="s3cret-pass",
        request_id="r",
        fingerprint="f",
    )
    assert (made.organization_id, made.role_ids) == ("ent", ["enterprise-member"])
    assert made.password_hash == "hashed:s3cret-pass"
    again = await people.create_person(
        w.deps,
        boss,
        people.USERS,
        draft=_user("Ann", username="ann", phone="13900000001"),
        password="s3cret-pass",
        request_id="r",
        fingerprint="f",
    )
    assert again.id == made.id
    assert emitted(w) == [("PersonChanged", "created")]


async def test_create_refuses_taken_usernames_and_other_enterprises(w: World):
    boss = await caller(w, "boss")
    with pytest.raises(DomainError) as taken:
        await people.create_person(
            w.deps,
            boss,
            people.USERS,
            draft=_user("Dup", username="member"),
            password="",
            request_id="",
        )
    assert taken.value.violations[0].field == "user.username"
    with pytest.raises(DomainError) as foreign:
        await people.create_person(
            w.deps,
            boss,
            people.USERS,
            draft=_user("Spy", username="spy", organization_id="ent-2"),
            password="",
            request_id="",
        )
    assert foreign.value.code in (ErrorCode.PERMISSION_DENIED, ErrorCode.NOT_FOUND)
    assert not w.state.events


async def test_provider_admin_registers_an_engineer(w: World):
    padmin = await caller(w, "padmin")
    eng = await people.create_person(
        w.deps,
        padmin,
        people.ENGINEERS,
        draft=User("", UserKind.ENGINEER, "Bob", phone="13900000002", skills=["printer"]),
        password="",
        request_id="",
    )
    assert (eng.organization_id, eng.role_ids) == ("prov", ["engineer"])
    found, _, total = await people.list_people(
        w.deps,
        padmin,
        people.ENGINEERS,
        where=UserFilter(skill="printer"),
        page_size=10,
        page_token="",
    )
    assert [u.id for u in found] == [eng.id] and total == 1


async def test_get_and_list_people_follow_visibility(w: World):
    boss, other = await caller(w, "boss"), await caller(w, "other-boss")
    assert (await people.get_person(w.deps, boss, people.USERS, "member")).id == "member"
    with pytest.raises(DomainError) as hidden:
        await people.get_person(w.deps, other, people.USERS, "member")
    assert hidden.value.code is ErrorCode.NOT_FOUND
    mine, _, _ = await people.list_people(
        w.deps, boss, people.USERS, where=UserFilter(), page_size=10, page_token=""
    )
    assert {u.id for u in mine} == {"boss", "member"}


async def test_update_person_and_password(w: World):
    boss = await caller(w, "boss")
    current = w.state.users["member"]
    saved = await people.update_person(
        w.deps,
        boss,
        people.USERS,
        draft=replace(current, display_name="Member One"),
        password="new-password-1",
        mask=["display_name", "password"],
    )
    assert saved.display_name == "Member One"
    assert w.state.users["member"].password_hash == "hashed:new-password-1"


async def test_disable_revokes_sessions_and_logs_it(w: World):
    boss = await caller(w, "boss")
    user = await people.change_person_state(
        w.deps, boss, people.USERS, "member", action="disable", reason="left"
    )
    assert user.state is UserState.DISABLED
    assert w.state.security_log[-1].kind is SecurityEventKind.USER_DISABLED
    with pytest.raises(DomainError) as self_retire:
        await people.change_person_state(w.deps, boss, people.USERS, "boss", action="disable")
    assert self_retire.value.reason == "CANNOT_RETIRE_SELF"
    back = await people.change_person_state(w.deps, boss, people.USERS, "member", action="enable")
    assert back.state is UserState.ENABLED


async def test_me(w: World):
    member = await caller(w, "member")
    assert (await people.get_me(w.deps, member)).id == "member"
    saved = await people.update_me(
        w.deps, member, draft=replace(w.state.users["member"], nickname="mm"), mask=["nickname"]
    )
    assert saved.nickname == "mm"
    with pytest.raises(DomainError) as refused:
        await people.update_me(
            w.deps, member, draft=replace(saved, avatar_url="http://x"), mask=["avatar_url"]
        )
    assert refused.value.violations[0].field == "user.avatar_url"
    w.state.users["member"].state = UserState.DISABLED
    with pytest.raises(DomainError) as gone:
        await people.get_me(w.deps, member)
    assert gone.value.reason == "USER_DISABLED"


async def test_roles_are_scoped_to_their_organization(w: World):
    boss = await caller(w, "boss")
    role = await access.create_role(
        w.deps,
        boss,
        draft=Role("", "Approvers", UserKind.ENTERPRISE, ["ticket.read"], DataScope.ORGANIZATION),
    )
    assert role.organization_id == "ent"
    assert (await access.get_role(w.deps, boss, role.id)).id == role.id
    with pytest.raises(DomainError) as hidden:
        await access.get_role(w.deps, await caller(w, "other-boss"), role.id)
    assert hidden.value.code is ErrorCode.NOT_FOUND
    listed, _ = await access.list_roles(
        w.deps, boss, organization_id="", page_size=50, page_token=""
    )
    assert role.id in {r.id for r in listed} and "engineer" not in {r.id for r in listed}
    updated = await access.update_role(
        w.deps,
        boss,
        draft=replace(role, permission_codes=["ticket.read", "ticket.create"]),
        mask=["permission_codes"],
    )
    assert sorted(updated.permission_codes) == ["ticket.create", "ticket.read"]
    assert w.state.security_log[-1].kind is SecurityEventKind.PERMISSION_CHANGED
    await access.delete_role(w.deps, boss, role.id)
    assert [c for name, c in emitted(w) if name == "RoleChanged"] == [
        "created",
        "updated",
        "delete",
    ]


async def test_built_in_roles_are_not_edited_and_used_roles_not_deleted(w: World):
    admin = await caller(w, "admin")
    with pytest.raises(DomainError):
        await access.update_role(
            w.deps,
            admin,
            draft=replace(w.state.roles["engineer"], display_name="x"),
            mask=["display_name"],
        )
    with pytest.raises(DomainError):
        await access.delete_role(w.deps, admin, "engineer")


async def test_permissions_are_listed_and_toggled_by_the_platform(w: World):
    admin = await caller(w, "admin")
    everything = await access.list_permissions(w.deps, admin, show_disabled=True)
    target = next(p for p in everything if p.code == "knowledge.write")
    off = await access.update_permission(
        w.deps, admin, draft=replace(target, enabled=False), mask=["enabled"]
    )
    assert not off.enabled
    enabled = await access.list_permissions(w.deps, admin, show_disabled=False)
    assert "knowledge.write" not in {p.code for p in enabled}
    with pytest.raises(DomainError) as refused:
        await access.update_permission(
            w.deps, await caller(w, "boss"), draft=replace(target, enabled=True), mask=["enabled"]
        )
    assert refused.value.code is ErrorCode.PERMISSION_DENIED


async def test_security_log_is_read_by_those_allowed(w: World):
    boss = await caller(w, "boss")
    await people.change_person_state(w.deps, boss, people.USERS, "member", action="disable")
    entries, _ = await access.list_security_logs(
        w.deps,
        await caller(w, "admin"),
        where=SecurityLogFilter(user_id="member"),
        page_size=10,
        page_token="",
    )
    assert [e.kind for e in entries] == [SecurityEventKind.USER_DISABLED]
    with pytest.raises(DomainError) as refused:
        await access.list_security_logs(
            w.deps, boss, where=SecurityLogFilter(), page_size=10, page_token=""
        )
    assert refused.value.code is ErrorCode.PERMISSION_DENIED

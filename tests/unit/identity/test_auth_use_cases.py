"""Signing in (password and WeChat), refresh-token rotation and reuse, sign-out, throttling."""

from __future__ import annotations

import pytest

from servicekit.errors import DomainError, ErrorCode
from services.identity.domain.organizations import OrgState
from services.identity.domain.security import ClientInfo, SecurityEventKind
from services.identity.service_layer import auth, snapshot
from tests.unit.identity.conftest import PASSWORD
from tests.unit.identity.fakes import World

CLIENT = ClientInfo("203.0.113.9", "pytest")


async def test_login_issues_tokens_with_the_roles_permissions(w: World):
    tokens = await auth.login(w.deps, login="member", password=PASSWORD, client=CLIENT)
    claims = await w.deps.keys.verified(
        tokens.access_token,
        issuer=w.deps.settings.jwt_issuer,
        audience=w.deps.settings.jwt_audience,
    )
    assert claims["sub"] == "member" and "ticket.create" in claims["perms"]
    assert w.state.users["member"].last_login_at == w.clock()
    assert w.state.security_log[-1].kind is SecurityEventKind.LOGIN_SUCCEEDED


async def test_wrong_password_is_refused_and_logged(w: World):
    with pytest.raises(DomainError) as refused:
        await auth.login(w.deps, login="member", password="nope", client=CLIENT)
    assert refused.value.code is ErrorCode.UNAUTHENTICATED
    with pytest.raises(DomainError):
        await auth.login(w.deps, login="nobody", password="nope", client=CLIENT)
    assert [e.kind for e in w.state.security_log] == [SecurityEventKind.LOGIN_FAILED] * 2


async def test_repeated_failures_are_throttled(w: World):
    reasons = []
    for _ in range(12):
        try:
            await auth.login(w.deps, login="member", password="wrong", client=CLIENT)
        except DomainError as error:
            reasons.append(error.reason)
    assert reasons[-1] == "SIGN_IN_THROTTLED"
    with pytest.raises(DomainError) as still:  # even the right password waits
        await auth.login(w.deps, login="member", password=PASSWORD, client=CLIENT)
    assert still.value.reason == "SIGN_IN_THROTTLED"


async def test_users_of_a_disabled_organization_cannot_sign_in(w: World):
    w.state.orgs["ent"].state = OrgState.DISABLED
    with pytest.raises(DomainError) as refused:
        await auth.login(w.deps, login="member", password=PASSWORD, client=CLIENT)
    assert refused.value.reason == "ORGANIZATION_DISABLED"


async def test_refresh_rotates_and_a_reused_token_signs_the_family_out(w: World):
    first = await auth.login(w.deps, login="member", password=PASSWORD, client=CLIENT)
    second = await auth.refresh(w.deps, refresh_token=first.refresh_token, client=CLIENT)
    assert second.refresh_token != first.refresh_token
    with pytest.raises(DomainError) as reused:
        await auth.refresh(w.deps, refresh_token=first.refresh_token, client=CLIENT)
    assert reused.value.reason == "REFRESH_TOKEN_REUSED"
    with pytest.raises(DomainError):  # the whole family is revoked
        await auth.refresh(w.deps, refresh_token=second.refresh_token, client=CLIENT)


async def test_logout_revokes_the_family(w: World):
    tokens = await auth.login(w.deps, login="member", password=PASSWORD, client=CLIENT)
    await auth.logout(w.deps, refresh_token=tokens.refresh_token, client=CLIENT)
    with pytest.raises(DomainError):
        await auth.refresh(w.deps, refresh_token=tokens.refresh_token, client=CLIENT)
    await auth.logout(w.deps, refresh_token="unknown", client=CLIENT)  # quietly nothing


async def test_wechat_login_binds_by_phone_then_signs_in_directly(w: World):
    w.wechat.openids["code-1"] = "openid-1"
    w.wechat.phones["phone-code"] = w.state.users["member"].phone
    first = await auth.wechat_login(w.deps, code="code-1", client=CLIENT)
    assert first.binding_token and not first.access_token
    bound = await auth.bind_wechat_phone(
        w.deps, binding_token=first.binding_token, phone_code="phone-code", client=CLIENT
    )
    assert bound.user_id == "member" and bound.access_token
    assert w.state.users["member"].wechat_openid == "openid-1"
    w.wechat.openids["code-2"] = "openid-1"
    again = await auth.wechat_login(w.deps, code="code-2", client=CLIENT)
    assert again.user_id == "member" and again.access_token


async def test_binding_needs_a_valid_token_and_a_known_phone(w: World):
    with pytest.raises(DomainError) as invalid:
        await auth.bind_wechat_phone(w.deps, binding_token="forged", phone_code="x", client=CLIENT)
    assert invalid.value.reason == "BINDING_TOKEN_INVALID"
    w.wechat.openids["c"] = "openid-9"
    w.wechat.phones["p"] = "13999999999"
    token = (await auth.wechat_login(w.deps, code="c", client=CLIENT)).binding_token
    with pytest.raises(DomainError) as unknown:
        await auth.bind_wechat_phone(w.deps, binding_token=token, phone_code="p", client=CLIENT)
    assert unknown.value.reason == "USER_NOT_REGISTERED"
    with pytest.raises(DomainError) as empty:
        await auth.wechat_login(w.deps, code=" ", client=CLIENT)
    assert empty.value.violations[0].field == "code"


async def test_snapshot_restates_everything(w: World):
    published = await snapshot.publish_snapshot(w.deps)
    kinds = [type(e).__name__ for e in w.state.events]
    assert published == len(kinds)
    assert kinds.count("OrganizationChanged") == 4
    assert kinds.count("PersonChanged") == len(w.state.users)
    assert kinds.count("DepartmentChanged") == 1 and kinds.count("DesignationChanged") == 1
    assert {e.change.value for e in w.state.events} == {"snapshot"}


async def test_the_built_in_roles_are_announced_at_start(w: World):
    custom = [r for r in w.state.roles.values() if not r.built_in]
    published = await snapshot.publish_built_in_roles(w.deps)
    announced = [e.role for e in w.state.events if type(e).__name__ == "RoleChanged"]
    assert published == len(announced) > 0
    assert all(role.built_in for role in announced)
    assert {r.id for r in announced}.isdisjoint({r.id for r in custom})
    assert "enterprise-admin" in {r.id for r in announced}


async def test_service_accounts_are_kept_in_step_and_sign_in_with_their_secret(w: World):
    from services.identity.service_layer.service_accounts import ensure_service_accounts

    assert await ensure_service_accounts(w.deps, {"dispatch": "s3cret"}) == ["svc-dispatch"]
    assert await ensure_service_accounts(w.deps, {"dispatch": "s3cret"}) == []  # unchanged
    tokens = await auth.login(w.deps, login="svc-dispatch", password="s3cret", client=CLIENT)
    claims = await w.deps.keys.verified(
        tokens.access_token,
        issuer=w.deps.settings.jwt_issuer,
        audience=w.deps.settings.jwt_audience,
    )
    assert claims["kind"] == "platform"
    assert set(claims["perms"]) == {"ticket.read", "ticket.assign", "catalog.read"}
    assert await ensure_service_accounts(w.deps, {"dispatch": "rotated"}) == ["svc-dispatch"]
    with pytest.raises(DomainError):
        await auth.login(w.deps, login="svc-dispatch", password="s3cret", client=CLIENT)
    with pytest.raises(ValueError):
        await ensure_service_accounts(w.deps, {"unknown": "x"})

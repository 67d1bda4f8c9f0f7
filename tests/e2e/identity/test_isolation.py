"""Tenant isolation through the gateway, for every identity resource: a user of another
enterprise or provider gets 404 (or 403 where the resource is known to exist), and a user
without the permission code gets 403."""

from __future__ import annotations

import pytest

from tests.e2e.identity.helpers import (
    admin,
    enterprise_with_admin,
    new_engineer,
    new_enterprise,
    new_provider,
    new_user,
    ok,
    provider_with_admin,
    reason,
)


@pytest.fixture
async def two_enterprises(identity):
    mine, my_admin = await enterprise_with_admin(identity)
    theirs, _ = await enterprise_with_admin(identity)
    return mine, my_admin, theirs


async def test_enterprise_admin_cannot_see_or_change_another_enterprise(identity, two_enterprises):
    _, headers, theirs = two_enterprises
    path = f"/v1/enterprises/{theirs['enterpriseId']}"
    assert (await identity.client.get(path, headers=headers)).status_code == 404
    patched = await identity.client.patch(path, json={"displayName": "x"}, headers=headers)
    assert patched.status_code == 404
    listed = await ok(await identity.client.get("/v1/enterprises", headers=headers))
    assert theirs["enterpriseId"] not in {e["enterpriseId"] for e in listed["enterprises"]}
    assert listed["totalSize"] == 1


async def test_enterprise_admin_cannot_touch_another_enterprises_departments(
    identity, two_enterprises
):
    _, headers, theirs = two_enterprises
    path = f"/v1/enterprises/{theirs['enterpriseId']}/departments"
    assert (await identity.client.get(path, headers=headers)).status_code == 404
    created = await identity.client.post(path, json={"displayName": "入侵部"}, headers=headers)
    assert created.status_code == 404


async def test_enterprise_admin_cannot_see_or_manage_another_enterprises_users(
    identity, two_enterprises
):
    _, headers, theirs = two_enterprises
    victim = await new_user(identity, theirs["enterpriseId"])
    path = f"/v1/users/{victim['userId']}"
    assert (await identity.client.get(path, headers=headers)).status_code == 404
    assert (
        await identity.client.post(f"{path}:disable", json={}, headers=headers)
    ).status_code == 404
    listed = await ok(
        await identity.client.get("/v1/users", params={"pageSize": 200}, headers=headers)
    )
    assert victim["userId"] not in {u["userId"] for u in listed["users"]}
    planted = await identity.client.post(
        "/v1/users",
        json={
            "displayName": "x",
            "username": "planted-x1",
            "organizationId": theirs["enterpriseId"],
        },
        headers=headers,
    )
    assert planted.status_code == 403


async def test_provider_admin_sees_only_designated_enterprises(identity):
    provider, headers = await provider_with_admin(identity)
    designated, other = await new_enterprise(identity), await new_enterprise(identity)
    await ok(
        await identity.client.post(
            f"/v1/enterprises/{designated['enterpriseId']}/designations",
            json={"providerId": provider["providerId"]},
            headers=await admin(identity),
        )
    )
    seen = await identity.client.get(
        f"/v1/enterprises/{designated['enterpriseId']}", headers=headers
    )
    assert seen.status_code == 200
    assert (
        await identity.client.get(f"/v1/enterprises/{other['enterpriseId']}", headers=headers)
    ).status_code == 404
    listed = await ok(await identity.client.get("/v1/enterprises", headers=headers))
    assert [e["enterpriseId"] for e in listed["enterprises"]] == [designated["enterpriseId"]]
    departments = await identity.client.get(
        f"/v1/enterprises/{designated['enterpriseId']}/departments", headers=headers
    )
    assert departments.status_code == 404  # basic data only: not the department tree
    rival = await new_provider(identity)
    await ok(
        await identity.client.post(
            f"/v1/enterprises/{designated['enterpriseId']}/designations",
            json={"providerId": rival["providerId"]},
            headers=await admin(identity),
        )
    )
    designations = await ok(
        await identity.client.get(
            f"/v1/enterprises/{designated['enterpriseId']}/designations", headers=headers
        )
    )  # the enterprise's other providers stay unseen
    assert [d["providerId"] for d in designations["designations"]] == [provider["providerId"]]


async def test_provider_admin_cannot_touch_another_providers_engineers(identity):
    _, headers = await provider_with_admin(identity)
    theirs, _ = await provider_with_admin(identity)
    engineer = await new_engineer(identity, theirs["providerId"])
    path = f"/v1/providers/{theirs['providerId']}/engineers/{engineer['engineerId']}"
    assert (await identity.client.get(path, headers=headers)).status_code == 404
    assert (
        await identity.client.post(f"{path}:disable", json={}, headers=headers)
    ).status_code == 404
    assert (
        await identity.client.get(f"/v1/providers/{theirs['providerId']}", headers=headers)
    ).status_code == 404
    created = await identity.client.post(
        f"/v1/providers/{theirs['providerId']}/engineers",
        json={"displayName": "x", "phone": "13911112222"},
        headers=headers,
    )
    assert created.status_code == 403


async def test_roles_of_another_organisation_are_invisible(identity, two_enterprises):
    _, headers, _ = two_enterprises
    _, their_admin = await enterprise_with_admin(identity)
    role = await ok(
        await identity.client.post(
            "/v1/roles",
            json={
                "displayName": "审批员",
                "kind": "PRINCIPAL_KIND_ENTERPRISE",
                "permissionCodes": ["ticket.read"],
                "dataScope": "DATA_SCOPE_SELF",
            },
            headers=their_admin,
        )
    )
    assert (
        await identity.client.get(f"/v1/roles/{role['roleId']}", headers=headers)
    ).status_code == 404
    listed = await ok(await identity.client.get("/v1/roles", headers=headers))
    assert role["roleId"] not in {r["roleId"] for r in listed["roles"]}


async def test_member_without_permission_codes_gets_403(identity):
    enterprise = await new_enterprise(identity)
    member = await new_user(identity, enterprise["enterpriseId"])
    headers = await identity.as_user(member["username"])
    for method, path in [
        ("GET", "/v1/users"),
        ("GET", "/v1/enterprises"),
        ("GET", "/v1/roles"),
        ("GET", "/v1/security-logs"),
        ("POST", "/v1/providers"),
    ]:
        response = await identity.client.request(
            method, path, headers=headers, json={} if method == "POST" else None
        )
        assert response.status_code == 403, path
        assert reason(response.json()) in ("PERMISSION_MISSING", "PLATFORM_ONLY")
    own = await identity.client.get(
        f"/v1/enterprises/{enterprise['enterpriseId']}", headers=headers
    )
    assert own.status_code == 200  # 个人中心 shows the member's own enterprise


async def test_security_log_is_limited_to_platform_staff(identity, two_enterprises):
    _, headers, _ = two_enterprises
    assert (await identity.client.get("/v1/security-logs", headers=headers)).status_code == 403


async def test_disabled_users_token_stops_working_at_identity_and_cannot_refresh(identity):
    enterprise = await new_enterprise(identity)
    user = await new_user(identity, enterprise["enterpriseId"])
    tokens = await identity.login(user["username"])
    headers = {"authorization": f"Bearer {tokens['accessToken']}"}
    assert (await identity.client.get("/v1/users/me", headers=headers)).status_code == 200
    await ok(
        await identity.client.post(
            f"/v1/users/{user['userId']}:disable", json={}, headers=await admin(identity)
        )
    )
    me = await identity.client.get("/v1/users/me", headers=headers)
    assert me.status_code == 401
    assert reason(me.json()) == "USER_DISABLED"
    refreshed = await identity.client.post(
        "/v1/auth:refresh", json={"refreshToken": tokens["refreshToken"]}
    )
    assert refreshed.status_code == 401


async def test_designations_of_another_enterprise_are_invisible(identity, two_enterprises):
    _, headers, theirs = two_enterprises
    path = f"/v1/enterprises/{theirs['enterpriseId']}/designations"
    assert (await identity.client.get(path, headers=headers)).status_code == 404
    assert (
        await identity.client.post(path, json={"providerId": "x"}, headers=headers)
    ).status_code == 403


async def test_security_log_filters_by_time_range_and_user(identity):
    from datetime import UTC, datetime, timedelta

    enterprise = await new_enterprise(identity)
    user = await new_user(identity, enterprise["enterpriseId"])
    await identity.login(user["username"])
    now = datetime.now(UTC)
    params = {
        "userId": user["userId"],
        "startTime": (now - timedelta(minutes=5)).isoformat(),
        "endTime": (now + timedelta(minutes=5)).isoformat(),
    }
    found = await ok(
        await identity.client.get("/v1/security-logs", params=params, headers=await admin(identity))
    )
    assert [e["kind"] for e in found["securityLogs"]] == ["SECURITY_EVENT_KIND_LOGIN_SUCCEEDED"]
    params["endTime"] = (now - timedelta(minutes=4)).isoformat()
    empty = await ok(
        await identity.client.get("/v1/security-logs", params=params, headers=await admin(identity))
    )
    assert empty["securityLogs"] == []

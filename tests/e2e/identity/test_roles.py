"""Roles and the permission catalogue: codes are checked, nobody grants more than they hold,
changes are security-logged, built-in and in-use roles are protected."""

from __future__ import annotations

from tests.e2e.identity.helpers import (
    admin,
    enterprise_with_admin,
    new_user,
    ok,
    reason,
    unique,
    violations,
)


def _role(name: str, codes: list[str], scope: str = "DATA_SCOPE_SELF") -> dict:
    return {
        "displayName": name,
        "kind": "PRINCIPAL_KIND_ENTERPRISE",
        "permissionCodes": codes,
        "dataScope": scope,
    }


async def test_enterprise_admin_creates_a_role_and_its_holder_gets_the_codes(identity):
    enterprise, headers = await enterprise_with_admin(identity)
    role = await ok(
        await identity.client.post(
            "/v1/roles", json=_role("审批员", ["ticket.read", "ticket.approve.l1"]), headers=headers
        )
    )
    assert role["organizationId"] == enterprise["enterpriseId"]
    user = await new_user(identity, enterprise["enterpriseId"], roles=[role["roleId"]])
    me = await ok(
        await identity.client.get("/v1/users/me", headers=await identity.as_user(user["username"]))
    )
    assert set(me["permissions"]) == {"ticket.read", "ticket.approve.l1"}


async def test_unknown_code_is_refused_naming_the_field(identity):
    _, headers = await enterprise_with_admin(identity)
    response = await identity.client.post(
        "/v1/roles", json=_role("坏角色", ["no.such.code"]), headers=headers
    )
    assert response.status_code == 400
    assert violations(response.json()) == ["role.permissionCodes"]


async def test_nobody_grants_codes_they_do_not_hold(identity):
    _, headers = await enterprise_with_admin(identity)
    response = await identity.client.post(
        "/v1/roles", json=_role("越权", ["org.provider.write"]), headers=headers
    )
    assert response.status_code == 403
    assert reason(response.json()) == "ROLE_EXCEEDS_CALLER"


async def test_role_change_is_security_logged_and_in_use_role_cannot_be_deleted(identity):
    enterprise, headers = await enterprise_with_admin(identity)
    role = await ok(
        await identity.client.post(
            "/v1/roles", json=_role(unique("r"), ["ticket.read"]), headers=headers
        )
    )
    await new_user(identity, enterprise["enterpriseId"], roles=[role["roleId"]])
    await ok(
        await identity.client.patch(
            f"/v1/roles/{role['roleId']}",
            params={"updateMask": "permissionCodes"},
            json={"permissionCodes": ["ticket.read", "ticket.create"]},
            headers=headers,
        )
    )
    logs = await ok(
        await identity.client.get(
            "/v1/security-logs",
            params={"kind": "SECURITY_EVENT_KIND_PERMISSION_CHANGED", "pageSize": 200},
            headers=await admin(identity),
        )
    )
    assert any(e["details"].get("role_id") == role["roleId"] for e in logs["securityLogs"])
    in_use = await identity.client.delete(f"/v1/roles/{role['roleId']}", headers=headers)
    assert (in_use.status_code, reason(in_use.json())) == (409, "ROLE_IN_USE")


async def test_built_in_roles_are_protected(identity):
    response = await identity.client.delete(
        "/v1/roles/enterprise-member", headers=await admin(identity)
    )
    assert (response.status_code, reason(response.json())) == (409, "ROLE_BUILT_IN")


async def test_disabling_a_permission_removes_it_from_new_tokens(identity):
    headers = await admin(identity)
    catalogue = await ok(await identity.client.get("/v1/permissions", headers=headers))
    codes = [p["code"] for p in catalogue["permissions"]]
    assert codes.index("org") < codes.index("org.enterprise.read")
    await ok(
        await identity.client.patch(
            "/v1/permissions/knowledge.read",
            params={"updateMask": "enabled"},
            json={"enabled": False},
            headers=headers,
        )
    )
    try:
        me = await ok(
            await identity.client.get("/v1/users/me", headers=await identity.as_user("acme-user"))
        )
        assert "knowledge.read" not in me["permissions"]
    finally:
        await ok(
            await identity.client.patch(
                "/v1/permissions/knowledge.read",
                params={"updateMask": "enabled"},
                json={"enabled": True},
                headers=headers,
            )
        )

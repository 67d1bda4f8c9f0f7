"""Users and engineers over HTTP: create with department and roles, validation naming the
field, uniqueness, soft delete, self-service profile."""

from __future__ import annotations

from tests.e2e.identity.helpers import (
    PASSWORD,
    admin,
    new_engineer,
    new_enterprise,
    new_provider,
    new_user,
    ok,
    phone,
    unique,
    violations,
)


async def test_user_with_department_and_role_gets_the_roles_codes(identity):
    enterprise = await new_enterprise(identity)
    headers = await admin(identity)
    department = await ok(
        await identity.client.post(
            f"/v1/enterprises/{enterprise['enterpriseId']}/departments",
            json={"displayName": "IT部"},
            headers=headers,
        )
    )
    user = await new_user(
        identity,
        enterprise["enterpriseId"],
        roles=["enterprise-admin"],
        departmentId=department["departmentId"],
    )
    assert user["departmentId"] == department["departmentId"]
    assert user["roleIds"] == ["enterprise-admin"]
    me = await ok(
        await identity.client.get("/v1/users/me", headers=await identity.as_user(user["username"]))
    )
    assert "user.write" in me["permissions"]


async def test_bad_user_input_names_each_field_and_writes_nothing(identity):
    enterprise = await new_enterprise(identity)
    headers = await admin(identity)
    body = {
        "displayName": "",
        "username": "x",
        "phone": "555",
        "email": "not-mail",
        "password": "short",
        "organizationId": enterprise["enterpriseId"],
    }
    response = await identity.client.post("/v1/users", json=body, headers=headers)
    assert response.status_code == 400
    assert violations(response.json()) == [
        "user.displayName",
        "user.username",
        "user.phone",
        "user.email",
        "user.password",
    ]
    unknown_role = await identity.client.post(
        "/v1/users",
        json={
            "displayName": "x",
            "username": unique("u"),
            "organizationId": enterprise["enterpriseId"],
            "roleIds": ["no-such-role"],
        },
        headers=headers,
    )
    assert unknown_role.status_code == 400
    assert violations(unknown_role.json()) == ["user.roleIds"]
    wrong_kind_role = await identity.client.post(
        "/v1/users",
        json={
            "displayName": "x",
            "username": unique("u"),
            "organizationId": enterprise["enterpriseId"],
            "roleIds": ["platform-admin"],
        },
        headers=headers,
    )
    assert wrong_kind_role.status_code == 400
    listed = await ok(
        await identity.client.get(
            "/v1/users", params={"organizationId": enterprise["enterpriseId"]}, headers=headers
        )
    )
    assert listed["users"] == []


async def test_phone_is_unique_on_the_platform(identity):
    enterprise, provider = await new_enterprise(identity), await new_provider(identity)
    number = phone()
    await new_user(identity, enterprise["enterpriseId"], phone=number)
    clash = await identity.client.post(
        f"/v1/providers/{provider['providerId']}/engineers",
        json={"displayName": "工程师", "phone": number},
        headers=await admin(identity),
    )
    assert clash.status_code == 409
    assert violations(clash.json()) == ["engineer.phone"]


async def test_soft_deleted_user_is_hidden_kept_and_restorable(identity):
    enterprise = await new_enterprise(identity)
    user = await new_user(identity, enterprise["enterpriseId"])
    headers = await admin(identity)
    await ok(await identity.client.delete(f"/v1/users/{user['userId']}", headers=headers))
    params = {"organizationId": enterprise["enterpriseId"]}
    assert (await ok(await identity.client.get("/v1/users", params=params, headers=headers)))[
        "users"
    ] == []
    kept = await ok(
        await identity.client.get(
            "/v1/users", params={**params, "showDeleted": "true"}, headers=headers
        )
    )
    assert [u["userId"] for u in kept["users"]] == [user["userId"]]
    refused = await identity.client.post(
        "/v1/auth:login", json={"login": user["username"], "password": PASSWORD}
    )
    assert refused.status_code == 401
    await ok(
        await identity.client.post(f"/v1/users/{user['userId']}:undelete", json={}, headers=headers)
    )
    assert (await identity.login(user["username"]))["accessToken"]


async def test_engineer_registers_signs_in_by_phone_and_is_disabled(identity):
    provider = await new_provider(identity)
    engineer = await new_engineer(identity, provider["providerId"], skills=["printer", "network"])
    assert engineer["skills"] == ["printer", "network"]
    tokens = await identity.login(engineer["phone"])
    assert tokens["userId"] == engineer["engineerId"]
    headers = await admin(identity)
    path = f"/v1/providers/{provider['providerId']}/engineers/{engineer['engineerId']}"
    updated = await ok(
        await identity.client.patch(
            path, params={"updateMask": "skills"}, json={"skills": ["server"]}, headers=headers
        )
    )
    assert updated["skills"] == ["server"]
    numbered = await ok(
        await identity.client.patch(path, json={"employeeNumber": "E-0042"}, headers=headers)
    )
    assert (numbered["employeeNumber"], numbered["skills"]) == ("E-0042", ["server"])
    bad = await identity.client.patch(path, json={"employeeNumber": " E\n42"}, headers=headers)
    assert (bad.status_code, violations(bad.json())) == (400, ["engineer.employeeNumber"])
    listed = await ok(
        await identity.client.get(
            f"/v1/providers/{provider['providerId']}/engineers",
            params={"skill": "server"},
            headers=headers,
        )
    )
    assert [e["engineerId"] for e in listed["engineers"]] == [engineer["engineerId"]]
    await ok(await identity.client.post(f"{path}:disable", json={}, headers=headers))
    refused = await identity.client.post(
        "/v1/auth:login", json={"login": engineer["phone"], "password": PASSWORD}
    )
    assert refused.status_code == 401


async def test_engineer_needs_a_valid_phone(identity):
    provider = await new_provider(identity)
    response = await identity.client.post(
        f"/v1/providers/{provider['providerId']}/engineers",
        json={"displayName": "x"},
        headers=await admin(identity),
    )
    assert response.status_code == 400
    assert violations(response.json()) == ["engineer.phone"]


async def test_profile_self_service_with_authorisation_flags(identity):
    enterprise = await new_enterprise(identity)
    user = await new_user(identity, enterprise["enterpriseId"])
    headers = await identity.as_user(user["username"])
    updated = await ok(
        await identity.client.patch(
            "/v1/users/me",
            params={"updateMask": "nickname,avatarUrl,nicknameAuthorized,avatarAuthorized"},
            json={
                "nickname": "小张",
                "avatarUrl": "https://img.example/a.png",
                "nicknameAuthorized": True,
                "avatarAuthorized": True,
            },
            headers=headers,
        )
    )
    assert (updated["nickname"], updated["nicknameAuthorized"], updated["phoneAuthorized"]) == (
        "小张",
        True,
        False,
    )
    refused = await identity.client.patch(
        "/v1/users/me",
        params={"updateMask": "roleIds"},
        json={"roleIds": ["platform-admin"]},
        headers=headers,
    )
    assert refused.status_code == 400
    assert violations(refused.json()) == ["updateMask"]


async def test_an_avatar_or_logo_address_must_be_https(identity):
    enterprise = await new_enterprise(identity)
    user = await new_user(identity, enterprise["enterpriseId"])
    refused = await identity.client.patch(
        "/v1/users/me",
        params={"updateMask": "avatarUrl"},
        json={"avatarUrl": "javascript:alert(document.cookie)"},
        headers=await identity.as_user(user["username"]),
    )
    assert (refused.status_code, violations(refused.json())) == (400, ["user.avatarUrl"])
    logo = await identity.client.post(
        "/v1/enterprises",
        json={
            "displayName": f"企业-{enterprise['enterpriseId'][:6]}-b",
            "logoUrl": "http://x.example/l.png",
        },
        headers=await identity.as_user("admin", "admin-demo-2026"),
    )
    assert (logo.status_code, violations(logo.json())) == (400, ["enterprise.logoUrl"])

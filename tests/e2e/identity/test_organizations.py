"""Enterprises and providers over HTTP: create (idempotent), read, list with filters and
paging, update, disable/enable, soft delete/undelete; bad input names the field and writes
nothing."""

from __future__ import annotations

from tests.e2e.identity.helpers import (
    admin,
    new_enterprise,
    new_provider,
    new_user,
    ok,
    reason,
    unique,
    violations,
)


async def test_create_is_idempotent_by_request_id(identity):
    headers = await admin(identity)
    body = {"displayName": unique("企业"), "industry": "物流"}
    first = await ok(
        await identity.client.post("/v1/enterprises?requestId=r-1x", json=body, headers=headers)
    )
    again = await ok(
        await identity.client.post("/v1/enterprises?requestId=r-1x", json=body, headers=headers)
    )
    assert again["enterpriseId"] == first["enterpriseId"]
    assert first["state"] == "ACTIVE_STATE_ENABLED"
    assert first["stamps"]["createTime"]


async def test_list_filters_by_name_and_industry_and_pages(identity):
    headers = await admin(identity)
    tag = unique("筛选")
    for industry in ("教育", "教育", "医疗"):
        await new_enterprise(identity, displayName=f"{tag}-{unique('e')}", industry=industry)
    page = await ok(
        await identity.client.get(
            "/v1/enterprises",
            params={"displayName": tag, "industry": "教育", "pageSize": 1},
            headers=headers,
        )
    )
    assert page["totalSize"] == 2
    assert len(page["enterprises"]) == 1
    rest = await ok(
        await identity.client.get(
            "/v1/enterprises",
            params={
                "displayName": tag,
                "industry": "教育",
                "pageSize": 1,
                "pageToken": page["nextPageToken"],
            },
            headers=headers,
        )
    )
    assert rest["nextPageToken"] == ""
    assert {
        page["enterprises"][0]["enterpriseId"],
        rest["enterprises"][0]["enterpriseId"],
    }.__len__() == 2


async def test_update_changes_only_masked_fields(identity):
    enterprise = await new_enterprise(identity, address="旧地址")
    response = await identity.client.patch(
        f"/v1/enterprises/{enterprise['enterpriseId']}",
        params={"updateMask": "contactName"},
        json={"contactName": "王经理", "address": "不会被写入"},
        headers=await admin(identity),
    )
    updated = await ok(response)
    assert updated["contactName"] == "王经理"
    assert updated["address"] == "旧地址"


async def test_bad_input_names_the_field_and_writes_nothing(identity):
    headers = await admin(identity)
    before = (await ok(await identity.client.get("/v1/enterprises", headers=headers)))["totalSize"]
    missing = await identity.client.post("/v1/enterprises", json={"industry": "x"}, headers=headers)
    assert missing.status_code == 400
    assert violations(missing.json()) == ["enterprise.displayName"]
    bad_phone = await identity.client.post(
        "/v1/enterprises",
        json={"displayName": unique("e"), "contactPhone": "12345"},
        headers=headers,
    )
    assert bad_phone.status_code == 400
    assert violations(bad_phone.json()) == ["enterprise.contactPhone"]
    after = (await ok(await identity.client.get("/v1/enterprises", headers=headers)))["totalSize"]
    assert after == before


async def test_duplicate_name_is_a_conflict_naming_the_field(identity):
    enterprise = await new_enterprise(identity)
    again = await identity.client.post(
        "/v1/enterprises",
        json={"displayName": enterprise["displayName"]},
        headers=await admin(identity),
    )
    assert again.status_code == 409
    assert violations(again.json()) == ["enterprise.displayName"]


async def test_disabled_enterprise_users_cannot_sign_in_until_enabled(identity):
    enterprise = await new_enterprise(identity)
    user = await new_user(identity, enterprise["enterpriseId"])
    headers = await admin(identity)
    path = f"/v1/enterprises/{enterprise['enterpriseId']}"
    disabled = await ok(
        await identity.client.post(f"{path}:disable", json={"reason": "欠费"}, headers=headers)
    )
    assert disabled["state"] == "ACTIVE_STATE_DISABLED"
    refused = await identity.client.post(
        "/v1/auth:login", json={"login": user["username"], "password": "demo-2026"}
    )
    assert refused.status_code == 401
    assert reason(refused.json()) == "ORGANIZATION_DISABLED"
    again = await identity.client.post(f"{path}:disable", json={}, headers=headers)
    assert again.status_code == 409
    await ok(await identity.client.post(f"{path}:enable", json={}, headers=headers))
    assert (await identity.login(user["username"]))["accessToken"]


async def test_soft_delete_hides_keeps_and_restores(identity):
    enterprise = await new_enterprise(identity)
    headers = await admin(identity)
    path = f"/v1/enterprises/{enterprise['enterpriseId']}"
    deleted = await ok(await identity.client.delete(path, headers=headers))
    assert deleted["stamps"]["deleteTime"]
    listed = await ok(
        await identity.client.get(
            "/v1/enterprises", params={"displayName": enterprise["displayName"]}, headers=headers
        )
    )
    assert listed["enterprises"] == []
    kept = await ok(
        await identity.client.get(
            "/v1/enterprises",
            params={"displayName": enterprise["displayName"], "showDeleted": "true"},
            headers=headers,
        )
    )
    assert [e["enterpriseId"] for e in kept["enterprises"]] == [enterprise["enterpriseId"]]
    restored = await ok(await identity.client.post(f"{path}:undelete", json={}, headers=headers))
    assert "deleteTime" not in restored["stamps"]
    listed = await ok(
        await identity.client.get(
            "/v1/enterprises", params={"displayName": enterprise["displayName"]}, headers=headers
        )
    )
    assert len(listed["enterprises"]) == 1


async def test_providers_share_the_lifecycle(identity):
    provider = await new_provider(identity, tags=["网络", "打印机"])
    headers = await admin(identity)
    path = f"/v1/providers/{provider['providerId']}"
    assert (await ok(await identity.client.get(path, headers=headers)))["tags"] == [
        "网络",
        "打印机",
    ]
    await ok(await identity.client.post(f"{path}:disable", json={}, headers=headers))
    await ok(await identity.client.post(f"{path}:enable", json={}, headers=headers))
    await ok(await identity.client.delete(path, headers=headers))
    await ok(await identity.client.post(f"{path}:undelete", json={}, headers=headers))


async def test_designations_are_listed_added_and_removed(identity):
    enterprise, provider = await new_enterprise(identity), await new_provider(identity)
    headers = await admin(identity)
    path = f"/v1/enterprises/{enterprise['enterpriseId']}/designations"
    created = await ok(
        await identity.client.post(
            path, json={"providerId": provider["providerId"]}, headers=headers
        )
    )
    assert created["providerDisplayName"] == provider["displayName"]
    listed = await ok(await identity.client.get(path, headers=headers))
    assert [d["providerId"] for d in listed["designations"]] == [provider["providerId"]]
    await ok(await identity.client.delete(f"{path}/{provider['providerId']}", headers=headers))
    assert (await ok(await identity.client.get(path, headers=headers)))["designations"] == []
    unknown = await identity.client.post(path, json={"providerId": "nope"}, headers=headers)
    assert unknown.status_code == 400
    assert violations(unknown.json()) == ["designation.providerId"]

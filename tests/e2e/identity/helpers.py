"""Helpers for identity's gateway tests: each test makes its own organisations and people
(unique names), so tests never depend on each other's changes."""

from __future__ import annotations

import uuid

from tests.gateway.test_transcoding import _reason, _violations

ADMIN = ("admin", "admin-demo-2026")
PASSWORD = "demo-2026"

reason = _reason
violations = _violations


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def phone() -> str:
    return "139" + str(uuid.uuid4().int)[:8]


async def admin(identity) -> dict[str, str]:
    return await identity.as_user(*ADMIN)


async def ok(response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


async def new_enterprise(identity, **fields) -> dict:
    body = {"displayName": unique("企业"), "industry": "制造业", **fields}
    return await ok(
        await identity.client.post("/v1/enterprises", json=body, headers=await admin(identity))
    )


async def new_provider(identity, **fields) -> dict:
    body = {"displayName": unique("服务商"), **fields}
    return await ok(
        await identity.client.post("/v1/providers", json=body, headers=await admin(identity))
    )


async def new_user(
    identity, org_id: str, *, kind: str = "PRINCIPAL_KIND_ENTERPRISE", roles=(), **fields
) -> dict:
    body = {
        "displayName": "测试用户",
        "username": unique("user"),
        "password": PASSWORD,
        "kind": kind,
        "organizationId": org_id,
        "roleIds": list(roles),
        **fields,
    }
    return await ok(
        await identity.client.post("/v1/users", json=body, headers=await admin(identity))
    )


async def new_engineer(identity, provider_id: str, **fields) -> dict:
    body = {
        "displayName": "工程师",
        "phone": phone(),
        "password": PASSWORD,
        "skills": ["network"],
        **fields,
    }
    return await ok(
        await identity.client.post(
            f"/v1/providers/{provider_id}/engineers", json=body, headers=await admin(identity)
        )
    )


async def enterprise_with_admin(identity) -> tuple[dict, dict[str, str]]:
    """A new enterprise and the headers of its new enterprise admin."""
    enterprise = await new_enterprise(identity)
    user = await new_user(identity, enterprise["enterpriseId"], roles=["enterprise-admin"])
    return enterprise, await identity.as_user(user["username"])


async def provider_with_admin(identity) -> tuple[dict, dict[str, str]]:
    provider = await new_provider(identity)
    user = await new_user(
        identity, provider["providerId"], kind="PRINCIPAL_KIND_PROVIDER", roles=["provider-admin"]
    )
    return provider, await identity.as_user(user["username"])

"""Integration access (API 拓展接入) through the gateway: an enterprise's admin gives another
system a key holding some of his codes; the key reads the enterprise's tickets with
`Authorization: ApiKey <secret>`; it is shown once, logged when made, used and revoked, and
refused everywhere within seconds of its revocation. Other organisations' admins get 404,
people without `integration` 403."""

from __future__ import annotations

import asyncio
import time

from tests.e2e.tickets.helpers import catalogue, new_ticket, ok, reason, violations


async def _org_of(tickets, login: str) -> str:
    me = await ok(await tickets.client.get("/v1/users/me", headers=await tickets.as_user(login)))
    return me["organizationId"]


async def test_a_key_reads_its_enterprises_tickets_until_it_is_revoked(tickets):
    acme = await _org_of(tickets, "acme-admin")
    admin = await tickets.as_user("acme-admin")
    keys = f"/v1/organizations/{acme}/api-keys"
    made = await ok(
        await tickets.client.post(
            keys, json={"displayName": "ERP 集成", "permissionCodes": ["ticket.read"]},
            headers=admin,
        )
    )  # fmt: skip
    secret = made["secret"]
    assert secret.startswith("tk_") and made["prefix"] == secret[:8]
    listed = await ok(await tickets.client.get(keys, headers=admin))
    mine = next(k for k in listed["apiKeys"] if k["apiKeyId"] == made["apiKeyId"])
    assert mine["secret"] == "" and mine["permissionCodes"] == ["ticket.read"]

    type_id, _ = await catalogue(tickets, approvals=0)
    raised = await new_ticket(tickets, type_id)
    integration = {"authorization": f"ApiKey {secret}"}
    seen = await ok(await tickets.client.get("/v1/tickets", headers=integration))
    assert raised["ticketId"] in {t["ticketId"] for t in seen["tickets"]}
    refused = await tickets.client.post(
        "/v1/tickets", json={"title": "x", "serviceTypeId": type_id}, headers=integration
    )
    assert refused.status_code == 403  # it holds ticket.read only
    used = await ok(await tickets.client.get(keys, headers=admin))
    assert next(k for k in used["apiKeys"] if k["apiKeyId"] == made["apiKeyId"])["lastUsedTime"]

    await ok(await tickets.client.post(f"{keys}/{made['apiKeyId']}:revoke", json={}, headers=admin))
    deadline = time.monotonic() + 10
    while (
        answer := await tickets.client.get("/v1/tickets", headers=integration)
    ).status_code != 401:
        assert answer.status_code == 200, answer.text
        assert time.monotonic() < deadline, "a revoked key still works"
        await asyncio.sleep(0.2)
    staff = await tickets.as_user("admin", "admin-demo-2026")
    logged = await ok(
        await tickets.client.get(
            "/v1/security-logs", params={"organizationId": acme}, headers=staff
        )
    )
    kinds = {e["kind"] for e in logged["securityLogs"]}
    assert {
        "SECURITY_EVENT_KIND_API_KEY_CREATED",
        "SECURITY_EVENT_KIND_API_KEY_USED",
        "SECURITY_EVENT_KIND_API_KEY_REVOKED",
    } <= kinds


async def test_keys_hold_only_what_their_creator_holds_and_stay_in_their_organisation(tickets):
    acme = await _org_of(tickets, "acme-admin")
    keys = f"/v1/organizations/{acme}/api-keys"
    admin = await tickets.as_user("acme-admin")
    too_much = await tickets.client.post(
        keys, json={"displayName": "x", "permissionCodes": ["ticket.approve.l2"]}, headers=admin
    )
    assert (too_much.status_code, violations(too_much.json())) == (
        400,
        ["apiKey.permissionCodes"],
    )
    made = await ok(
        await tickets.client.post(
            keys, json={"displayName": "BI", "permissionCodes": ["report.read"]}, headers=admin
        )
    )
    for login in ("galaxy-admin", "fastfix-admin"):
        other = await tickets.as_user(login)
        listed = await tickets.client.get(keys, headers=other)
        revoke = await tickets.client.post(
            f"{keys}/{made['apiKeyId']}:revoke", json={}, headers=other
        )
        assert (listed.status_code, revoke.status_code) == (404, 404), login
    member = await tickets.client.get(keys, headers=await tickets.as_user("acme-user"))
    assert (member.status_code, reason(member.json())) == (403, "PERMISSION_MISSING")
    unknown = await tickets.client.get(
        "/v1/tickets", headers={"authorization": "ApiKey tk_not-a-key"}
    )
    assert (unknown.status_code, reason(unknown.json())) == (401, "API_KEY_INVALID")

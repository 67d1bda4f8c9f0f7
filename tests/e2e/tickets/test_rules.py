"""Illegal transitions change nothing (409 with a reason), bad input names the field, the
auto-close timer survives a restart, numbering holds under concurrency, and creates are
idempotent by request id."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest

from tests.e2e.tickets.helpers import cast_of, catalogue, new_ticket, ok, reason, violations


async def _post(tickets, login: str, ticket_id: str, verb: str, **body):
    headers = await tickets.as_user(*((login, "admin-demo-2026") if login == "admin" else (login,)))
    return await tickets.client.post(f"/v1/tickets/{ticket_id}:{verb}", json=body, headers=headers)


async def _assigned_to_wang(tickets) -> dict:
    cast = await cast_of(tickets)
    type_id, _ = await catalogue(tickets, approvals=0)
    ticket = await new_ticket(tickets, type_id)
    return await ok(
        await _post(
            tickets,
            "admin",
            ticket["ticketId"],
            "assign",
            providerId=cast.provider_id,
            engineerId=cast.wang,
        )
    )


async def _unchanged(tickets, ticket: dict) -> None:
    now = await ok(
        await tickets.client.get(
            f"/v1/tickets/{ticket['ticketId']}",
            headers=await tickets.as_user("admin", "admin-demo-2026"),
        )
    )
    assert (now["status"], now["engineerId"], now["stamps"]["updateTime"]) == (
        ticket["status"],
        ticket["engineerId"],
        ticket["stamps"]["updateTime"],
    )


async def test_rate_before_resolve_is_409_and_changes_nothing(tickets):
    ticket = await _assigned_to_wang(tickets)
    response = await _post(tickets, "acme-user", ticket["ticketId"], "rate", score=5)
    assert (response.status_code, reason(response.json())) == (409, "TICKET_INVALID_TRANSITION")
    await _unchanged(tickets, ticket)


async def test_transfer_to_another_providers_engineer_is_409_and_changes_nothing(tickets):
    cast = await cast_of(tickets)
    ticket = await _assigned_to_wang(tickets)
    response = await _post(
        tickets, "engineer-wang", ticket["ticketId"], "transfer", engineerId=cast.zhao, reason="x"
    )
    assert (response.status_code, reason(response.json())) == (
        409,
        "TICKET_TRANSFER_OUTSIDE_PROVIDER",
    )
    await _unchanged(tickets, ticket)


async def test_resolve_a_cancelled_ticket_is_409(tickets):
    ticket = await _assigned_to_wang(tickets)
    cancelled = await ok(
        await _post(tickets, "acme-user", ticket["ticketId"], "cancel", reason="不需要了")
    )
    assert cancelled["status"] == "TICKET_STATUS_CANCELLED"
    response = await _post(tickets, "engineer-wang", ticket["ticketId"], "resolve", resolution="x")
    assert (response.status_code, reason(response.json())) == (409, "TICKET_INVALID_TRANSITION")
    await _unchanged(tickets, cancelled)


@pytest.mark.parametrize(
    ("login", "verb", "body"),
    [
        ("engineer-wang", "approve", {}),
        ("acme-user", "start", {}),
        ("engineer-li", "resolve", {"resolution": "x"}),
    ],
)
async def test_wrong_actor_is_refused_and_changes_nothing(tickets, login, verb, body):
    ticket = await _assigned_to_wang(tickets)
    response = await _post(tickets, login, ticket["ticketId"], verb, **body)
    assert response.status_code in (403, 404, 409)  # 404: not even in their view
    await _unchanged(tickets, ticket)


async def test_bad_input_names_each_field_and_writes_nothing(tickets):
    type_id, _ = await catalogue(tickets, approvals=0)
    headers = await tickets.as_user("acme-user")
    before = (
        await ok(await tickets.client.get("/v1/tickets", params={"mine": "true"}, headers=headers))
    )["totalSize"]
    response = await tickets.client.post(
        "/v1/tickets",
        headers=headers,
        json={
            "title": "",
            "serviceTypeId": type_id,
            "contactPhone": "123",
            "customFields": {"floor": 0, "building": "C", "color": "red"},
        },
    )
    assert response.status_code == 400
    assert sorted(violations(response.json())) == [
        "ticket.contactPhone",
        "ticket.customFields.building",
        "ticket.customFields.color",
        "ticket.customFields.floor",
        "ticket.title",
    ]
    missing = await tickets.client.post(
        "/v1/tickets", headers=headers, json={"title": "x", "serviceTypeId": type_id}
    )
    assert violations(missing.json()) == ["ticket.customFields.floor"]
    unknown_type = await tickets.client.post(
        "/v1/tickets", headers=headers, json={"title": "x", "serviceTypeId": "no"}
    )
    assert violations(unknown_type.json()) == ["ticket.serviceTypeId"]
    after = (
        await ok(await tickets.client.get("/v1/tickets", params={"mine": "true"}, headers=headers))
    )["totalSize"]
    assert after == before


async def test_auto_close_survives_a_restart(tickets):
    cast = await cast_of(tickets)
    type_id, _ = await catalogue(tickets, approvals=0, auto_close="1.5s")
    ticket = await new_ticket(tickets, type_id)
    await ok(
        await _post(
            tickets,
            "admin",
            ticket["ticketId"],
            "assign",
            providerId=cast.provider_id,
            engineerId=cast.wang,
        )
    )
    await ok(await _post(tickets, "engineer-wang", ticket["ticketId"], "start"))
    resolved = await ok(
        await _post(tickets, "engineer-wang", ticket["ticketId"], "resolve", resolution="ok")
    )
    assert resolved["autoCloseTime"]
    await tickets.restart(down_for=2.0)  # the deadline passes while the service is down
    headers = await tickets.as_user("acme-user")
    for _ in range(50):
        current = await ok(
            await tickets.client.get(f"/v1/tickets/{ticket['ticketId']}", headers=headers)
        )
        if current["status"] == "TICKET_STATUS_CLOSED":
            break
        await asyncio.sleep(0.2)
    assert current["status"] == "TICKET_STATUS_CLOSED"
    history = await ok(
        await tickets.client.get(f"/v1/tickets/{ticket['ticketId']}/history", headers=headers)
    )
    assert history["entries"][-1]["action"] == "auto_closed"


async def test_parallel_creates_get_distinct_gap_free_numbers_and_request_id_dedupes(tickets):
    type_id, _ = await catalogue(tickets, approvals=0)
    headers = await tickets.as_user("galaxy-user")
    body = {"title": "打印机卡纸", "serviceTypeId": type_id, "customFields": {"floor": 2}}

    async def create(i: int) -> dict:
        response = await tickets.client.post(
            "/v1/tickets", json=body, params={"requestId": f"par-{i}"}, headers=headers
        )
        return await ok(response)

    created = await asyncio.gather(*(create(i) for i in range(200)))
    numbers = sorted(t["number"] for t in created)
    assert len(set(numbers)) == 200
    sequence = [int(re.fullmatch(r"T\d{8}-(\d{6})", n).group(1)) for n in numbers]
    assert sequence == list(range(sequence[0], sequence[0] + 200))
    again = await create(7)
    assert again["ticketId"] == next(
        t["ticketId"] for t in created if t["number"] == again["number"]
    )


async def test_request_ids_are_scoped_to_the_caller(tickets):
    type_id, _ = await catalogue(tickets, approvals=0)
    body = {
        "title": f"幕布卡住-{uuid.uuid4().hex[:6]}",
        "serviceTypeId": type_id,
        "customFields": {"floor": 4},
    }
    key = {"requestId": "shared-key-1"}
    acme, galaxy = await tickets.as_user("acme-user"), await tickets.as_user("galaxy-user")
    first = await ok(await tickets.client.post("/v1/tickets", json=body, params=key, headers=acme))
    other = await tickets.client.post("/v1/tickets", json=body, params=key, headers=galaxy)
    assert other.status_code == 200, other.text  # another tenant's key: no collision, no leak
    assert other.json()["ticketId"] != first["ticketId"]
    assert first["ticketId"] not in other.text
    again = await ok(await tickets.client.post("/v1/tickets", json=body, params=key, headers=acme))
    assert again["ticketId"] == first["ticketId"]


async def test_same_request_id_with_a_different_request_is_a_conflict(tickets):
    type_id, _ = await catalogue(tickets, approvals=0)
    headers = await tickets.as_user("acme-user")
    title = f"门禁失灵-{uuid.uuid4().hex[:6]}"
    body = {"title": title, "serviceTypeId": type_id, "customFields": {"floor": 5}}
    key = {"requestId": f"changed-{uuid.uuid4().hex}"}
    await ok(await tickets.client.post("/v1/tickets", json=body, params=key, headers=headers))
    changed = await tickets.client.post(
        "/v1/tickets", json=body | {"title": title + "还是"}, params=key, headers=headers
    )
    assert changed.status_code == 409
    assert reason(changed.json()) == "REQUEST_ID_REUSED"


async def test_the_service_level_sets_a_requesters_priority_and_staff_may_choose(tickets):
    type_id, _ = await catalogue(tickets, approvals=0)  # its level is PRIORITY_HIGH
    requester = await tickets.as_user("acme-user")
    body = {"title": f"优先级-{uuid.uuid4().hex[:6]}", "serviceTypeId": type_id}
    body |= {"customFields": {"floor": 2}}

    async def create(headers, **fields):  # type: ignore[no-untyped-def]
        return await tickets.client.post("/v1/tickets", json=body | fields, headers=headers)

    raised = await create(requester, priority="PRIORITY_URGENT")
    assert (raised.status_code, reason(raised.json())) == (403, "PRIORITY_NOT_YOURS")
    unknown = await create(requester, priority=99)
    assert (unknown.status_code, violations(unknown.json())) == (400, ["ticket.priority"])
    staff_channel = await create(requester, channel="CHANNEL_STAFF")
    assert (staff_channel.status_code, violations(staff_channel.json())) == (
        400,
        ["ticket.channel"],
    )
    same = await create(requester, priority="PRIORITY_HIGH")
    assert same.status_code == 200, same.text
    me = await ok(await tickets.client.get("/v1/users/me", headers=requester))
    await tickets.known(me["userId"])
    admin = await tickets.as_user("admin", "admin-demo-2026")
    on_behalf = await create(admin, priority="PRIORITY_URGENT", requesterUserId=me["userId"])
    assert on_behalf.status_code == 200, on_behalf.text
    assert on_behalf.json()["priority"] == "PRIORITY_URGENT"


async def test_tickets_are_raised_on_a_leaf_service_type_only(tickets):
    wifi, _ = await catalogue(tickets, approvals=0)
    headers = await tickets.as_user("acme-user")
    network = (await ok(await tickets.client.get(f"/v1/service-types/{wifi}", headers=headers)))[
        "parentServiceTypeId"
    ]
    it = (await ok(await tickets.client.get(f"/v1/service-types/{network}", headers=headers)))[
        "parentServiceTypeId"
    ]
    for category in (network, it):
        body = {"title": "分类不能报修", "serviceTypeId": category, "customFields": {"floor": 1}}
        refused = await tickets.client.post("/v1/tickets", json=body, headers=headers)
        assert refused.status_code == 400, refused.text
        assert violations(refused.json()) == ["ticket.serviceTypeId"]
        assert "category" in refused.text


async def test_patch_changes_only_the_fields_in_the_body(tickets):
    """AIP-134: without updateMask, a PATCH changes what its body names and nothing else;
    `*` replaces every editable field."""
    type_id, _ = await catalogue(tickets, approvals=0)
    ticket = await new_ticket(tickets, type_id, location="三楼 301")
    headers = await tickets.as_user("acme-user")
    path = f"/v1/tickets/{ticket['ticketId']}"
    changed = await ok(
        await tickets.client.patch(path, json={"title": "打印机卡纸"}, headers=headers)
    )
    assert (changed["title"], changed["description"], changed["location"]) == (
        "打印机卡纸",
        ticket["description"],
        "三楼 301",
    )
    nothing = await tickets.client.patch(
        path, json={"status": "TICKET_STATUS_CLOSED"}, headers=headers
    )
    assert (nothing.status_code, violations(nothing.json())) == (400, ["updateMask"])
    replaced = await ok(
        await tickets.client.patch(
            path,
            params={"updateMask": "*"},
            json={
                "title": "打印机卡纸",
                "description": "纸盒卡住",
                "customFields": ticket["customFields"],
            },
            headers=headers,
        )
    )
    assert (replaced["description"], replaced["location"]) == ("纸盒卡住", "")


async def test_the_handler_changes_the_priority_the_requester_cannot(tickets):
    """001 修改工单优先级: the engineer handling a ticket sets its priority, either way, with a
    history entry; the requester gets 403, another provider's engineer 404."""
    ticket = await _assigned_to_wang(tickets)
    path = f"/v1/tickets/{ticket['ticketId']}:setPriority"
    wang = await tickets.as_user("engineer-wang")
    lowered = await ok(
        await tickets.client.post(
            path, json={"priority": "PRIORITY_LOW", "reason": "备用打印机可用"}, headers=wang
        )
    )
    assert lowered["priority"] == "PRIORITY_LOW"
    history = await ok(
        await tickets.client.get(f"/v1/tickets/{ticket['ticketId']}/history", headers=wang)
    )
    last = history["entries"][-1]
    assert (last["action"], last["changes"]["priority"], last["note"]) == (
        "updated",
        "low",
        "备用打印机可用",
    )
    requester = await tickets.client.post(
        path, json={"priority": "PRIORITY_URGENT"}, headers=await tickets.as_user("acme-user")
    )
    assert (requester.status_code, reason(requester.json())) == (403, "TICKET_NOT_YOURS")
    zhao = await tickets.client.post(
        path, json={"priority": "PRIORITY_URGENT"}, headers=await tickets.as_user("engineer-zhao")
    )
    assert zhao.status_code == 404
    same = await tickets.client.post(path, json={"priority": "PRIORITY_LOW"}, headers=wang)
    assert (same.status_code, violations(same.json())) == (400, ["priority"])

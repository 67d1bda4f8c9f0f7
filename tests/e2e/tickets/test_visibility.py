"""Who sees which tickets: requesters of another enterprise, engineers of another provider and
users without the permission get 403/404 for tickets, comments and history; internal notes
never reach requesters. Lists by audience, filters, and the 个人中心 statistics."""

from __future__ import annotations

from tests.e2e.tickets.helpers import cast_of, catalogue, new_ticket, ok, reason


async def _assigned(tickets) -> tuple[dict, object]:
    cast = await cast_of(tickets)
    type_id, _ = await catalogue(tickets, approvals=0)
    ticket = await new_ticket(tickets, type_id)
    admin = await tickets.as_user("admin", "admin-demo-2026")
    ticket = await ok(
        await tickets.client.post(
            f"/v1/tickets/{ticket['ticketId']}:assign",
            headers=admin,
            json={"providerId": cast.provider_id, "engineerId": cast.wang},
        )
    )
    return ticket, cast


async def test_other_enterprise_and_other_provider_get_404_everywhere(tickets):
    ticket, _ = await _assigned(tickets)
    tid = ticket["ticketId"]
    for login in ("galaxy-user", "galaxy-admin", "engineer-zhao", "bluewhale-admin"):
        headers = await tickets.as_user(login)
        for path in (
            f"/v1/tickets/{tid}",
            f"/v1/tickets/{tid}/comments",
            f"/v1/tickets/{tid}/history",
        ):
            response = await tickets.client.get(path, headers=headers)
            assert response.status_code == 404, (login, path)
        posted = await tickets.client.post(
            f"/v1/tickets/{tid}/comments", json={"body": "hi"}, headers=headers
        )
        assert posted.status_code == 404
        listed = await ok(
            await tickets.client.get("/v1/tickets", params={"pageSize": 100}, headers=headers)
        )
        assert tid not in {t["ticketId"] for t in listed["tickets"]}


async def test_users_without_the_permission_get_403(tickets):
    type_id, _ = await catalogue(tickets, approvals=0)
    engineer = await tickets.as_user("engineer-wang")
    create = await tickets.client.post(
        "/v1/tickets", headers=engineer, json={"title": "x", "serviceTypeId": type_id}
    )
    assert (create.status_code, reason(create.json())) == (403, "PERMISSION_MISSING")
    member = await tickets.as_user("acme-user")
    level = await tickets.client.post(
        "/v1/service-levels", headers=member, json={"displayName": "x"}
    )
    assert level.status_code == 403
    ticket = await new_ticket(tickets, type_id)
    assign = await tickets.client.post(
        f"/v1/tickets/{ticket['ticketId']}:assign", headers=member, json={"providerId": "p"}
    )
    assert assign.status_code == 403


async def test_internal_notes_never_reach_requesters(tickets):
    ticket, _ = await _assigned(tickets)
    tid = ticket["ticketId"]
    engineer = await tickets.as_user("engineer-wang")
    await ok(
        await tickets.client.post(
            f"/v1/tickets/{tid}/comments",
            headers=engineer,
            json={"body": "客户设备老旧，内部备注", "visibility": "COMMENT_VISIBILITY_INTERNAL"},
        )
    )
    await ok(
        await tickets.client.post(
            f"/v1/tickets/{tid}/comments", headers=engineer, json={"body": "马上到"}
        )
    )
    requester = await tickets.as_user("acme-user")
    comments = await ok(await tickets.client.get(f"/v1/tickets/{tid}/comments", headers=requester))
    assert [c["body"] for c in comments["comments"]] == ["马上到"]
    history = await ok(await tickets.client.get(f"/v1/tickets/{tid}/history", headers=requester))
    assert "客户设备老旧，内部备注" not in str(history)
    provider_view = await ok(
        await tickets.client.get(f"/v1/tickets/{tid}/comments", headers=engineer)
    )
    assert len(provider_view["comments"]) == 2
    refused = await tickets.client.post(
        f"/v1/tickets/{tid}/comments",
        headers=requester,
        json={"body": "x", "visibility": "COMMENT_VISIBILITY_INTERNAL"},
    )
    assert refused.status_code == 403


async def test_lists_by_audience_filters_and_stats(tickets):
    cast = await cast_of(tickets)
    type_id, _ = await catalogue(tickets, approvals=0)
    admin = await tickets.as_user("admin", "admin-demo-2026")
    pooled = await new_ticket(tickets, type_id, title="投影仪无信号")
    await ok(
        await tickets.client.post(
            f"/v1/tickets/{pooled['ticketId']}:assign",
            headers=admin,
            json={"providerId": cast.provider_id},
        )
    )
    mine, _ = await _assigned(tickets)
    li = await tickets.as_user("engineer-li")
    pool = await ok(
        await tickets.client.get(
            "/v1/tickets", params={"pool": "true", "pageSize": 100}, headers=li
        )
    )
    assert pooled["ticketId"] in {t["ticketId"] for t in pool["tickets"]}
    wang = await tickets.as_user("engineer-wang")
    assigned = await ok(
        await tickets.client.get(
            "/v1/tickets", params={"assignedToMe": "true", "pageSize": 100}, headers=wang
        )
    )
    assert mine["ticketId"] in {t["ticketId"] for t in assigned["tickets"]}
    assert all(t["engineerId"] == cast.wang for t in assigned["tickets"])
    requester = await tickets.as_user("acme-user")
    found = await ok(
        await tickets.client.get(
            "/v1/tickets",
            headers=requester,
            params={"query": "投影仪", "statusGroup": "STATUS_GROUP_PENDING"},
        )
    )
    assert [t["ticketId"] for t in found["tickets"]] == [pooled["ticketId"]]
    in_progress = await ok(
        await tickets.client.get(
            "/v1/tickets",
            headers=requester,
            params={"statusGroup": "STATUS_GROUP_IN_PROGRESS", "pageSize": 100},
        )
    )
    assert all(t["statusGroup"] == "STATUS_GROUP_IN_PROGRESS" for t in in_progress["tickets"])
    stats = await ok(
        await tickets.client.get("/v1/tickets:stats", params={"months": 3}, headers=requester)
    )
    assert stats["total"] == sum(stats["byStatusGroup"].values()) >= 2
    assert len(stats["byMonth"]) == 3 and stats["byMonth"][-1]["count"] >= 2


async def test_staff_create_on_behalf_of_a_customer(tickets):
    type_id, _ = await catalogue(tickets, approvals=0)
    admin = await tickets.as_user("admin", "admin-demo-2026")
    me = await ok(
        await tickets.client.get("/v1/users/me", headers=await tickets.as_user("acme-user"))
    )
    await tickets.known(me["userId"])
    ticket = await ok(
        await tickets.client.post(
            "/v1/tickets",
            headers=admin,
            json={
                "title": "电话报修：门禁坏了",
                "serviceTypeId": type_id,
                "requesterUserId": me["userId"],
                "customFields": {"floor": 1},
            },
        )
    )
    assert (ticket["channel"], ticket["requesterUserId"], ticket["enterpriseId"]) == (
        "CHANNEL_STAFF",
        me["userId"],
        me["organizationId"],
    )
    assert ticket["createdByUserId"] != me["userId"]
    seen = await tickets.client.get(
        f"/v1/tickets/{ticket['ticketId']}", headers=await tickets.as_user("acme-user")
    )
    assert seen.status_code == 200


async def test_a_lost_race_to_claim_is_a_conflict_not_a_missing_ticket(tickets):
    cast = await cast_of(tickets)
    type_id, _ = await catalogue(tickets, approvals=0)
    admin = await tickets.as_user("admin", "admin-demo-2026")
    pooled = await new_ticket(tickets, type_id)
    path = f"/v1/tickets/{pooled['ticketId']}"
    await ok(
        await tickets.client.post(
            f"{path}:assign", headers=admin, json={"providerId": cast.provider_id}
        )
    )
    wang, li = await tickets.as_user("engineer-wang"), await tickets.as_user("engineer-li")
    won = await tickets.client.post(f"{path}:claim", headers=wang, json={})
    lost = await tickets.client.post(f"{path}:claim", headers=li, json={})
    assert won.status_code == 200, won.text
    assert (lost.status_code, reason(lost.json())) == (409, "TICKET_ALREADY_CLAIMED")
    assert (await tickets.client.get(path, headers=li)).status_code == 404  # still not his
    zhao = await tickets.as_user("engineer-zhao")  # another provider's engineer
    assert (await tickets.client.post(f"{path}:claim", headers=zhao, json={})).status_code == 404


async def test_statistics_are_organisation_wide_for_admins_and_isolated(tickets):
    type_id, _ = await catalogue(tickets, approvals=0)
    logins = {
        "admin": await tickets.as_user("admin", "admin-demo-2026"),
        "acme-admin": await tickets.as_user("acme-admin"),
        "acme-user": await tickets.as_user("acme-user"),
        "galaxy-admin": await tickets.as_user("galaxy-admin"),
        "engineer-wang": await tickets.as_user("engineer-wang"),
    }

    async def totals() -> dict[str, int]:
        figures = {}
        for login, headers in logins.items():
            stats = await ok(await tickets.client.get("/v1/tickets:stats", headers=headers))
            figures[login] = stats["total"]
        return figures

    before = await totals()
    await new_ticket(tickets, type_id)  # raised by acme-user
    after = await totals()
    grown = {login: after[login] - before[login] for login in logins}
    # the platform and acme's admin see it counted; another enterprise and an engineer it was
    # never assigned to do not
    assert grown == {
        "admin": 1,
        "acme-admin": 1,
        "acme-user": 1,
        "galaxy-admin": 0,
        "engineer-wang": 0,
    }
    assert after["admin"] >= after["acme-admin"] + after["galaxy-admin"]


async def test_list_pages_are_signed_keyset_tokens(tickets):
    type_id, _ = await catalogue(tickets, approvals=0)
    for _ in range(3):
        await new_ticket(tickets, type_id)
    requester = await tickets.as_user("acme-user")
    seen: list[str] = []
    params: dict[str, object] = {"pageSize": 2, "orderBy": "TICKET_ORDER_PRIORITY_DESC"}
    while True:
        page = await ok(await tickets.client.get("/v1/tickets", params=params, headers=requester))
        assert page["totalSize"] >= 3 and not page.get("totalSizeCapped", False)
        seen += [t["ticketId"] for t in page["tickets"]]
        if not page.get("nextPageToken"):
            break
        params["pageToken"] = page["nextPageToken"]
    assert len(seen) == len(set(seen)) == page["totalSize"]
    token = str(params["pageToken"])
    for forged, extra in (
        (token[:-1] + ("A" if token[-1] != "A" else "B"), {}),
        (token, {"query": "打印机"}),  # a token of another list
        ("%00", {}),
    ):
        answer = await tickets.client.get(
            "/v1/tickets",
            params={**params, "pageToken": forged, **extra},
            headers=requester,
        )
        assert answer.status_code == 400, answer.text
        fields = [
            v["field"] for d in answer.json()["details"] for v in d.get("fieldViolations", [])
        ]
        assert fields == ["pageToken"]


async def test_a_ticket_names_who_handles_it_and_who_acted(tickets):
    """The requester sees the provider's name and the engineer's name and number (负责工程师),
    never the engineer's contact details; authors, approvers and history actors carry names."""
    cast = await cast_of(tickets)
    type_id, _ = await catalogue(tickets, approvals=1)
    ticket = await new_ticket(tickets, type_id)
    path = f"/v1/tickets/{ticket['ticketId']}"
    assert "handler" not in ticket or ticket["handler"] is None
    await ok(
        await tickets.client.post(
            f"{path}:approve", json={}, headers=await tickets.as_user("acme-admin")
        )
    )
    admin = await tickets.as_user("admin", "admin-demo-2026")
    await ok(
        await tickets.client.post(
            f"{path}:assign",
            json={"providerId": cast.provider_id, "engineerId": cast.wang},
            headers=admin,
        )
    )
    wang = await tickets.as_user("engineer-wang")
    await ok(
        await tickets.client.post(
            f"{path}/comments",
            json={"body": "马上到", "visibility": "COMMENT_VISIBILITY_PUBLIC"},
            headers=wang,
        )
    )
    requester = await tickets.as_user("acme-user")
    seen = await tickets.client.get(path, headers=requester)
    body = await ok(seen)
    assert body["handler"] == {
        "providerDisplayName": "快修网络服务",
        "engineerDisplayName": "王工",
        "engineerNumber": "E001",
    }
    assert "13900000001" not in seen.text
    approver = body["approvals"][0]["approver"]
    assert (approver["kind"], approver["organizationId"], bool(approver["displayName"])) == (
        "PRINCIPAL_KIND_ENTERPRISE",
        cast.enterprise_id,
        True,
    )
    comments = await ok(await tickets.client.get(f"{path}/comments", headers=requester))
    assert comments["comments"][0]["author"]["displayName"] == "王工"
    history = await ok(await tickets.client.get(f"{path}/history", headers=requester))
    actors = {e["action"]: e["actor"] for e in history["entries"]}
    assert actors["created"]["displayName"] == "张伟"
    assert actors["created"]["kind"] == "PRINCIPAL_KIND_ENTERPRISE"
    assert actors["assigned"]["displayName"] == "平台管理员"

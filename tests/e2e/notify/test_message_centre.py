"""The message centre through the gateway: one ticket's whole life (approval, assignment to
the provider and then an engineer, transfer, public replies both ways, an internal note,
resolve, confirm, rate) leaves exactly the expected messages in each person's centre and
none in anybody else's; the requester never sees the internal note. Reading, counting and
marking are the caller's own only.

Each test makes its own enterprise and provider, so nobody else's approvers or admins can
appear among the recipients."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from tests.e2e.identity.helpers import (
    new_engineer,
    new_enterprise,
    new_provider,
    new_user,
    ok,
    reason,
    violations,
)
from tests.e2e.notify.conftest import NotifyStack
from tests.e2e.tickets.helpers import catalogue, new_ticket

TICKET_CATEGORY = {"category": "MESSAGE_CATEGORY_TICKET"}


@dataclass
class People:
    """Logins and ids of a fresh enterprise and provider."""

    requester: dict
    approver: dict
    colleague: dict
    provider_admin: dict
    engineer_1: dict
    engineer_2: dict
    enterprise_id: str
    provider_id: str

    def login(self, who: str) -> str:
        person = getattr(self, who)
        return person.get("username") or person["phone"]

    def id(self, who: str) -> str:
        person = getattr(self, who)
        return person.get("userId") or person["engineerId"]


async def _people(notify: NotifyStack) -> People:
    enterprise, provider = await new_enterprise(notify), await new_provider(notify)
    ent, prov = enterprise["enterpriseId"], provider["providerId"]
    await ok(
        await notify.client.post(
            f"/v1/enterprises/{ent}/designations",
            json={"providerId": prov},
            headers=await notify.as_user("admin", "admin-demo-2026"),
        )
    )
    cast = People(
        requester=await new_user(notify, ent, roles=["enterprise-member"]),
        approver=await new_user(notify, ent, roles=["enterprise-admin"]),
        colleague=await new_user(notify, ent, roles=["enterprise-member"]),
        provider_admin=await new_user(
            notify, prov, kind="PRINCIPAL_KIND_PROVIDER", roles=["provider-admin"]
        ),
        engineer_1=await new_engineer(notify, prov),
        engineer_2=await new_engineer(notify, prov),
        enterprise_id=ent,
        provider_id=prov,
    )
    everyone = [cast.id(w) for w in WHO]
    await notify.knows(*everyone)
    for person in everyone:
        await notify.tickets.known(person)
    await notify.tickets.designated(ent, prov)
    return cast


WHO = ("requester", "approver", "colleague", "provider_admin", "engineer_1", "engineer_2")


async def _act(
    notify: NotifyStack, cast: People, who: str, ticket: dict, verb: str, **body
) -> dict:
    if who == "admin":
        headers = await notify.as_user("admin", "admin-demo-2026")
    else:
        headers = await notify.as_user(cast.login(who))
    path = f"/v1/tickets/{ticket['ticketId']}{'/comments' if verb == 'comment' else ':' + verb}"
    return await ok(await notify.client.post(path, json=body, headers=headers))


async def _titles(notify: NotifyStack, login: str, ticket_id: str) -> list[str]:
    found = await ok(
        await notify.client.get(
            "/v1/messages",
            params={**TICKET_CATEGORY, "pageSize": 100},
            headers=await notify.as_user(login),
        )
    )
    mine = [m for m in found.get("messages", []) if m.get("ticketId") == ticket_id]
    return [m["title"].split(" ", 2)[-1] for m in reversed(mine)]  # oldest first, no number


async def test_a_tickets_whole_life_reaches_exactly_the_right_people(notify: NotifyStack):
    cast = await _people(notify)
    type_id, _ = await catalogue(notify.tickets, approvals=1)
    ticket = await new_ticket(notify.tickets, type_id, login=cast.login("requester"))
    assert ticket["pendingApprovalStep"]["permissionCode"] == "ticket.approve.l1"
    ticket = await _act(notify, cast, "approver", ticket, "approve", comment="同意")
    ticket = await _act(notify, cast, "admin", ticket, "assign", providerId=cast.provider_id)
    ticket = await _act(
        notify, cast, "provider_admin", ticket, "assign",
        providerId=cast.provider_id, engineerId=cast.id("engineer_1"),
    )  # fmt: skip
    ticket = await _act(
        notify, cast, "engineer_1", ticket, "transfer",
        engineerId=cast.id("engineer_2"), reason="换人",
    )  # fmt: skip
    ticket = await _act(notify, cast, "engineer_2", ticket, "start")
    await _act(notify, cast, "requester", ticket, "comment", body="今天能修好吗？")
    await _act(notify, cast, "engineer_2", ticket, "comment", body="下午到场")
    secret = "客户设备过保，按收费处理"
    await _act(
        notify, cast, "provider_admin", ticket, "comment",
        body=secret, visibility="COMMENT_VISIBILITY_INTERNAL",
    )  # fmt: skip
    ticket = await _act(notify, cast, "engineer_2", ticket, "resolve", resolution="已更换 AP")
    ticket = await _act(notify, cast, "requester", ticket, "confirm")
    ticket = await _act(notify, cast, "requester", ticket, "rate", score=5, comment="很快")
    assert ticket["status"] == "TICKET_STATUS_CLOSED"

    expected = {
        "requester": ["已提交", "审核通过", "已转派", "处理中", "有新回复", "已解决"],
        "approver": ["已提交"],
        "colleague": [],
        "provider_admin": ["已分派"],
        "engineer_1": ["已分派"],
        "engineer_2": ["已转派", "有新回复", "有内部备注", "收到评分"],
    }
    total = sum(len(titles) for titles in expected.values())
    by_recipient = await notify.settled(ticket["ticketId"], total)
    assert by_recipient == {cast.id(w): len(t) for w, t in expected.items() if t}  # nobody else
    for who, titles in expected.items():
        assert await _titles(notify, cast.login(who), ticket["ticketId"]) == titles, who

    requester = await ok(
        await notify.client.get(
            "/v1/messages",
            params=TICKET_CATEGORY,
            headers=await notify.as_user(cast.login("requester")),
        )
    )
    assert all(secret not in m["body"] for m in requester["messages"])
    engineer = await ok(
        await notify.client.get(
            "/v1/messages",
            params=TICKET_CATEGORY,
            headers=await notify.as_user(cast.login("engineer_2")),
        )
    )
    note = next(m for m in engineer["messages"] if "内部备注" in m["title"])
    assert secret in note["body"] and note["ticketNumber"] == ticket["number"]
    assert note["eventType"] == "ticketing.events.v1.TicketCommented"
    resolved = next(m for m in requester["messages"] if "已解决" in m["title"])
    assert "自动关闭" in resolved["body"]


async def test_the_centre_counts_lists_and_marks_the_callers_own_messages(notify: NotifyStack):
    cast = await _people(notify)
    type_id, _ = await catalogue(notify.tickets, approvals=0)
    ticket = await new_ticket(notify.tickets, type_id, login=cast.login("requester"))
    ticket = await _act(
        notify, cast, "admin", ticket, "assign",
        providerId=cast.provider_id, engineerId=cast.id("engineer_1"),
    )  # fmt: skip
    await _act(notify, cast, "engineer_1", ticket, "start")
    await _act(notify, cast, "engineer_1", ticket, "comment", body="到场")
    await notify.settled(ticket["ticketId"], 4)  # receipt, assigned, started, reply
    mine = await notify.as_user(cast.login("requester"))

    counts = await ok(await notify.client.get("/v1/messages:unreadCount", headers=mine))
    assert counts == {"total": 4, "system": 1, "ticket": 3}  # the welcome, three ticket news
    first = await ok(await notify.client.get("/v1/messages", params={"pageSize": 2}, headers=mine))
    assert len(first["messages"]) == 2 and first["unreadCount"] == 4 and first["nextPageToken"]
    rest = await ok(
        await notify.client.get(
            "/v1/messages",
            params={"pageSize": 2, "pageToken": first["nextPageToken"]},
            headers=mine,
        )
    )
    listed = first["messages"] + rest["messages"]
    assert len({m["messageId"] for m in listed}) == 4
    assert listed[-1]["category"] == "MESSAGE_CATEGORY_SYSTEM"  # the welcome came first
    newest = listed[0]
    assert newest["title"].endswith("有新回复") and not newest.get("read")

    # another user can neither mark it nor see it
    theirs = await notify.as_user(cast.login("colleague"))
    refused = await notify.client.post(
        f"/v1/messages/{newest['messageId']}:markRead", json={}, headers=theirs
    )
    assert refused.status_code == 404 and reason(refused.json()) == "MESSAGE_NOT_FOUND"
    colleague = await ok(
        await notify.client.get("/v1/messages", params=TICKET_CATEGORY, headers=theirs)
    )
    assert colleague.get("messages", []) == []
    assert (
        await ok(await notify.client.post("/v1/messages:markAllRead", json={}, headers=theirs))
    )["markedCount"] == 1  # his own welcome only

    read = await ok(
        await notify.client.post(
            f"/v1/messages/{newest['messageId']}:markRead", json={}, headers=mine
        )
    )
    assert read["read"] and read["readTime"]
    unread = await ok(
        await notify.client.get("/v1/messages", params={"unreadOnly": True}, headers=mine)
    )
    assert newest["messageId"] not in {m["messageId"] for m in unread["messages"]}
    assert unread["unreadCount"] == 3
    marked = await ok(await notify.client.post("/v1/messages:markAllRead", json={}, headers=mine))
    assert marked["markedCount"] == 3
    assert (await ok(await notify.client.get("/v1/messages:unreadCount", headers=mine))) == {
        "total": 0,
        "system": 0,
        "ticket": 0,
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/messages"),
        ("GET", "/v1/messages:unreadCount"),
        ("POST", "/v1/messages:markAllRead"),
        ("POST", "/v1/messages/m1:markRead"),
    ],
)
async def test_the_centre_needs_a_signed_in_user(notify: NotifyStack, method, path):
    response = await notify.client.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == 401


async def test_bad_paging_is_a_clear_error(notify: NotifyStack):
    headers = await notify.as_user("acme-user")
    response = await notify.client.get(
        "/v1/messages", params={"pageToken": "nope"}, headers=headers
    )
    assert response.status_code == 400 and reason(response.json()) == "PAGE_TOKEN_INVALID"


async def test_messages_are_in_the_readers_language(notify: NotifyStack):
    """A user whose locale is English reads his receipt in English; his colleague who
    approves reads the same event in Chinese. Locale and time zone are his to set."""
    enterprise = await new_enterprise(notify)
    ent = enterprise["enterpriseId"]
    requester = await new_user(
        notify, ent, roles=["enterprise-member"], locale="en", timeZone="Europe/Berlin"
    )
    approver = await new_user(notify, ent, roles=["enterprise-admin"])
    assert (requester["locale"], requester["timeZone"]) == ("en", "Europe/Berlin")
    assert (approver["locale"], approver["timeZone"]) == ("zh-CN", "Asia/Shanghai")
    await notify.knows(requester["userId"], approver["userId"])
    await notify.tickets.known(requester["userId"])
    type_id, _ = await catalogue(notify.tickets, approvals=1)
    ticket = await new_ticket(notify.tickets, type_id, login=requester["username"])
    deadline = asyncio.get_running_loop().time() + 20
    while not (
        (mine := await _titles(notify, requester["username"], ticket["ticketId"]))
        and await _titles(notify, approver["username"], ticket["ticketId"])
    ):
        assert asyncio.get_running_loop().time() < deadline, "no receipt arrived"
        await asyncio.sleep(0.2)
    theirs = await _titles(notify, approver["username"], ticket["ticketId"])
    assert mine[0].isascii() and not theirs[0].isascii(), (mine, theirs)
    me = await notify.as_user(requester["username"])
    for body, field in (
        ({"locale": "fr"}, "user.locale"),
        ({"timeZone": "Mars/Base"}, "user.timeZone"),
    ):
        refused = await notify.client.patch("/v1/users/me", json=body, headers=me)
        assert (refused.status_code, violations(refused.json())) == (400, [field]), body
    changed = await ok(
        await notify.client.patch("/v1/users/me", json={"locale": "zh-CN"}, headers=me)
    )
    assert (changed["locale"], changed["timeZone"]) == ("zh-CN", "Europe/Berlin")

"""Message templates through the gateway: the platform admin lists, changes (refused with the
field named when it would not render), previews and resets them, and the next message uses
the saved text; everybody else gets 403."""

from __future__ import annotations

from tests.e2e.identity.helpers import ok, reason, violations
from tests.e2e.notify.conftest import NotifyStack
from tests.e2e.notify.test_message_centre import _act, _people
from tests.e2e.tickets.helpers import catalogue, new_ticket

ADMIN = ("admin", "admin-demo-2026")
PATH = "/v1/notification-templates"


async def test_the_platform_admin_changes_a_text_and_the_next_message_says_it(notify: NotifyStack):
    headers = await notify.as_user(*ADMIN)
    listed = await ok(
        await notify.client.get(PATH, params={"eventKind": "started"}, headers=headers)
    )
    assert {t["templateId"] for t in listed["templates"]} == {
        "started.in_app.zh-CN", "started.in_app.en", "started.email.zh-CN", "started.email.en",
    }  # fmt: skip
    assert "ticket.number" not in listed["templates"][0]["variables"]  # names, not paths
    assert "ticket" in listed["templates"][0]["variables"]

    bad = await notify.client.patch(
        f"{PATH}/started.in_app.zh-CN",
        json={"titleTemplate": "{{ ticket.secret_field }} {{ password }}"},
        params={"updateMask": "titleTemplate"},
        headers=headers,
    )
    assert bad.status_code == 400 and reason(bad.json()) == "TEMPLATE_INVALID"
    assert violations(bad.json()) == ["template.titleTemplate"]

    preview = await ok(
        await notify.client.post(
            f"{PATH}:preview",
            json={"eventKind": "started", "titleTemplate": "【处理中】{{ ticket.number }}",
                  "bodyTemplate": "{{ actor }} 已出发"},
            headers=headers,
        )
    )  # fmt: skip
    assert preview == {"title": "【处理中】T20261130-000123", "body": "王工 已出发"}

    saved = await ok(
        await notify.client.patch(
            f"{PATH}/started.in_app.zh-CN",
            json={"titleTemplate": "【处理中】{{ ticket.number }}"},
            params={"updateMask": "titleTemplate"},
            headers=headers,
        )
    )
    assert saved["customized"] and saved["updateTime"]
    try:
        cast = await _people(notify)
        type_id, _ = await catalogue(notify.tickets, approvals=0)
        ticket = await new_ticket(notify.tickets, type_id, login=cast.login("requester"))
        ticket = await _act(
            notify, cast, "admin", ticket, "assign",
            providerId=cast.provider_id, engineerId=cast.id("engineer_1"),
        )  # fmt: skip
        await _act(notify, cast, "engineer_1", ticket, "start")
        await notify.settled(ticket["ticketId"], 3)
        mine = await ok(
            await notify.client.get(
                "/v1/messages", headers=await notify.as_user(cast.login("requester"))
            )
        )
        started = [m for m in mine["messages"] if m["eventType"].endswith("TicketStarted")]
        assert [m["title"] for m in started] == [f"【处理中】{ticket['number']}"]
    finally:
        reset = await ok(
            await notify.client.post(f"{PATH}/started.in_app.zh-CN:reset", json={}, headers=headers)
        )
    assert (
        not reset.get("customized") and reset["titleTemplate"] == "工单 {{ ticket.number }} 处理中"
    )


async def test_only_the_platform_may_touch_templates(notify: NotifyStack):
    for login in ("acme-admin", "fastfix-admin", "engineer-wang"):
        headers = await notify.as_user(login)
        listed = await notify.client.get(PATH, headers=headers)
        changed = await notify.client.patch(
            f"{PATH}/started.in_app.zh-CN", json={"titleTemplate": "x"}, headers=headers
        )
        assert (listed.status_code, changed.status_code) == (403, 403), login
    unknown = await notify.client.patch(
        f"{PATH}/nope.in_app.zh-CN", json={"titleTemplate": "x"},
        headers=await notify.as_user(*ADMIN),
    )  # fmt: skip
    assert unknown.status_code == 404 and reason(unknown.json()) == "TEMPLATE_NOT_FOUND"

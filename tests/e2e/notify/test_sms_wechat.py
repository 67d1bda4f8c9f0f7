"""SMS (Alibaba Cloud's SendSms) and WeChat subscribe messages through the gateway, against
local stand-ins of both APIs behind real HTTP: a requester who switched SMS on for his
submissions gets a signed SendSms with the ticket's parameters, retried after flow control and
given up on a bad number; an engineer bound to the mini-program gets a subscribe message when
a ticket is assigned to him, with a fresh token after WeChat says the old one expired, and none
once he has not subscribed (43101: given up, not retried)."""

from __future__ import annotations

import asyncio
import json
import time

from tests.e2e.identity.helpers import new_engineer, new_enterprise, new_provider, new_user, ok
from tests.e2e.notify.conftest import NotifyStack
from tests.e2e.tickets.helpers import catalogue, new_ticket

ADMIN = ("admin", "admin-demo-2026")
SMS_ON = {"topic": "NOTIFICATION_TOPIC_SUBMISSION", "channel": "DELIVERY_CHANNEL_SMS",
          "setting": "PREFERENCE_SWITCH_ON"}  # fmt: skip


async def _delivery(notify: NotifyStack, ticket_id: str, channel: str, state: str) -> dict:
    headers = await notify.as_user(*ADMIN)
    deadline, found = time.monotonic() + 20, []
    while time.monotonic() < deadline:
        listed = await ok(
            await notify.client.get(
                "/v1/notification-deliveries",
                params={"ticketId": ticket_id, "channel": channel},
                headers=headers,
            )
        )
        found = listed.get("deliveries", [])
        if found and found[0]["state"] == state:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {state} {channel} delivery: {found}")


async def test_a_requester_who_wants_sms_gets_a_signed_sendsms(notify: NotifyStack):
    enterprise = await new_enterprise(notify)
    phone = f"139{int(time.time() * 1000) % 100_000_000:08d}"
    user = await new_user(
        notify, enterprise["enterpriseId"], roles=["enterprise-member"], phone=phone
    )
    await notify.knows(user["userId"])
    await notify.tickets.known(user["userId"])
    headers = await notify.as_user(user["username"])
    await ok(
        await notify.client.patch(
            "/v1/notification-preferences", json={"switches": [SMS_ON]},
            params={"updateMask": "switches"}, headers=headers,
        )
    )  # fmt: skip
    type_id, _ = await catalogue(notify.tickets, approvals=0)
    notify.sms.answer_next("isv.BUSINESS_LIMIT_CONTROL")  # flow control: try again later
    ticket = await new_ticket(notify.tickets, type_id, login=user["username"])
    sent = await _delivery(
        notify, ticket["ticketId"], "DELIVERY_CHANNEL_SMS", "DELIVERY_STATE_SENT"
    )
    assert sent["attemptCount"] == 2 and sent["address"] == phone
    accepted = [q for q in notify.sms.accepted if q["PhoneNumbers"] == phone]
    (query,) = accepted
    assert query["SignName"] == "服务工单" and query["TemplateCode"] == "SMS_123456"
    assert query["OutId"] == sent["deliveryId"]
    assert json.loads(query["TemplateParam"]) == {
        "number": ticket["number"], "status": "已提交", "title": "三楼无线网络断开",
    }  # fmt: skip

    notify.sms.answer_next("isv.MOBILE_NUMBER_ILLEGAL")
    second = await new_ticket(notify.tickets, type_id, login=user["username"])
    dead = await _delivery(
        notify, second["ticketId"], "DELIVERY_CHANNEL_SMS", "DELIVERY_STATE_DEAD"
    )
    assert dead["attemptCount"] == 1 and "MOBILE_NUMBER_ILLEGAL" in dead["lastResponse"]


async def test_an_engineer_in_the_mini_program_gets_a_subscribe_message(notify: NotifyStack):
    enterprise, provider = await new_enterprise(notify), await new_provider(notify)
    ent, prov = enterprise["enterpriseId"], provider["providerId"]
    admin = await notify.as_user(*ADMIN)
    await ok(
        await notify.client.post(
            f"/v1/enterprises/{ent}/designations", json={"providerId": prov}, headers=admin
        )
    )
    requester = await new_user(notify, ent, roles=["enterprise-member"])
    openid = f"o-{int(time.time() * 1000)}"
    engineer = await new_engineer(notify, prov, wechatOpenid=openid)
    others = await new_engineer(notify, prov, wechatOpenid=f"{openid}-2")
    people = [requester["userId"], engineer["engineerId"], others["engineerId"]]
    await notify.knows(*people)
    for person in people:
        await notify.tickets.known(person)
    await notify.tickets.designated(ent, prov)
    type_id, _ = await catalogue(notify.tickets, approvals=0)

    notify.wechat.answer_next(42001)  # the token in hand expired: fetch another, send again
    ticket = await new_ticket(notify.tickets, type_id, login=requester["username"])
    assigned = await ok(
        await notify.client.post(
            f"/v1/tickets/{ticket['ticketId']}:assign",
            json={"providerId": prov, "engineerId": engineer["engineerId"]}, headers=admin,
        )
    )  # fmt: skip
    assert assigned["engineerId"] == engineer["engineerId"]
    sent = await _delivery(
        notify, ticket["ticketId"], "DELIVERY_CHANNEL_WECHAT", "DELIVERY_STATE_SENT"
    )
    assert sent["address"] == openid and sent["attemptCount"] == 2
    (message,) = [m for m in notify.wechat.accepted if m["touser"] == openid]
    assert message["template_id"] == "tmpl-ticket-progress"
    assert message["page"] == f"pages/ticket/detail?id={ticket['ticketId']}"
    assert message["data"]["character_string1"]["value"] == ticket["number"]
    assert message["data"]["phrase3"]["value"] == "已分派"
    assert len(message["data"]["thing2"]["value"]) <= 20

    notify.wechat.answer_next(43101)  # he has not subscribed (again): nothing to retry
    second = await new_ticket(notify.tickets, type_id, login=requester["username"])
    await ok(
        await notify.client.post(
            f"/v1/tickets/{second['ticketId']}:assign",
            json={"providerId": prov, "engineerId": engineer["engineerId"]}, headers=admin,
        )
    )  # fmt: skip
    dead = await _delivery(
        notify, second["ticketId"], "DELIVERY_CHANNEL_WECHAT", "DELIVERY_STATE_DEAD"
    )
    assert dead["attemptCount"] == 1 and dead["lastResponse"].startswith("43101")

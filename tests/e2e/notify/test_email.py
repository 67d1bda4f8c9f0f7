"""Email and preferences through the gateway, against a real SMTP server (aiosmtpd): a ticket's
receipt arrives with its template's zh-CN subject and body and a stable Message-ID; a topic
switched off sends nothing; quiet hours hold an email until they end and let an urgent one
pass; a server answering 451 is retried until it accepts, 550 is given up at once and can be
sent again by hand; the delivery log and organisation defaults keep to their audiences."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.identity.helpers import new_enterprise, new_user, ok
from tests.e2e.notify.conftest import NotifyStack
from tests.e2e.tickets.helpers import catalogue, new_ticket

ADMIN = ("admin", "admin-demo-2026")
PREFS = "/v1/notification-preferences"
DELIVERIES = "/v1/notification-deliveries"


async def _requester(notify: NotifyStack) -> tuple[dict, str]:
    """A new enterprise member with an email address, known to tickets and notify."""
    enterprise = await new_enterprise(notify)
    address = f"{uuid.uuid4().hex[:10]}@example.com"
    user = await new_user(
        notify, enterprise["enterpriseId"], roles=["enterprise-member"], email=address
    )
    await notify.knows(user["userId"])
    await notify.tickets.known(user["userId"])
    return user, address


async def _deliveries(notify: NotifyStack, **params: str) -> list[dict]:
    headers = await notify.as_user(*ADMIN)
    found = await ok(await notify.client.get(DELIVERIES, params=params, headers=headers))
    return found.get("deliveries", [])


async def _settled(notify: NotifyStack, ticket_id: str, state: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await _deliveries(notify, ticketId=ticket_id)
        if found and found[0]["state"] == state:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {state} delivery for {ticket_id}: {found}")


async def _receipt_made(notify: NotifyStack, user: dict, ticket_id: str) -> None:
    """Waits for the requester's receipt in his message centre (its deliveries commit with it)."""
    headers = await notify.as_user(user["username"])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = await ok(await notify.client.get("/v1/messages", headers=headers))
        if any(m.get("ticketId") == ticket_id for m in found.get("messages", [])):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("no receipt")


async def test_a_receipt_arrives_by_email_with_its_template(notify: NotifyStack):
    user, address = await _requester(notify)
    type_id, _ = await catalogue(notify.tickets, approvals=0)
    ticket = await new_ticket(notify.tickets, type_id, login=user["username"])
    (mail,) = await asyncio.to_thread(notify.mail.wait_for, address)
    assert mail["Subject"] == f"工单 {ticket['number']} 已提交"
    body = mail.get_content()
    assert "工单「三楼无线网络断开」已提交，等待分派。" in body and "请勿直接回复" in body
    assert mail["Auto-Submitted"] == "auto-generated" and mail["X-Ticket-Id"] == ticket["ticketId"]
    sent = await _settled(notify, ticket["ticketId"], "DELIVERY_STATE_SENT")
    assert mail["Message-ID"] == f"<{sent['deliveryId']}@ticketing.local>"
    assert sent["address"] == address and sent["userId"] == user["userId"]
    detail = await ok(
        await notify.client.get(
            f"{DELIVERIES}/{sent['deliveryId']}", headers=await notify.as_user(*ADMIN)
        )
    )
    (attempt,) = detail["attempts"]
    assert attempt["succeeded"] and attempt["response"].startswith("Message accepted")


async def test_a_topic_switched_off_sends_no_email_and_the_answer_says_why(notify: NotifyStack):
    user, address = await _requester(notify)
    headers = await notify.as_user(user["username"])
    off = {"topic": "NOTIFICATION_TOPIC_SUBMISSION", "channel": "DELIVERY_CHANNEL_EMAIL",
           "setting": "PREFERENCE_SWITCH_OFF"}  # fmt: skip
    saved = await ok(
        await notify.client.patch(
            PREFS, json={"switches": [off]}, params={"updateMask": "switches"}, headers=headers
        )
    )
    assert saved["layer"] == "PREFERENCE_LAYER_USER" and saved["switches"] == [off]
    effective = await ok(await notify.client.get(f"{PREFS}:effective", headers=headers))
    choice = {(c["topic"], c["channel"]): c for c in effective["choices"]}
    submission = choice[("NOTIFICATION_TOPIC_SUBMISSION", "DELIVERY_CHANNEL_EMAIL")]
    assert submission.get("enabled", False) is False
    assert submission["layer"] == "PREFERENCE_LAYER_USER"
    outcome = choice[("NOTIFICATION_TOPIC_OUTCOME", "DELIVERY_CHANNEL_EMAIL")]
    assert outcome["enabled"] and outcome["layer"] == "PREFERENCE_LAYER_BUILT_IN"

    type_id, _ = await catalogue(notify.tickets, approvals=0)
    ticket = await new_ticket(notify.tickets, type_id, login=user["username"])
    await _receipt_made(notify, user, ticket["ticketId"])
    assert await _deliveries(notify, ticketId=ticket["ticketId"]) == []
    assert notify.mail.messages(address) == []


async def test_quiet_hours_hold_an_email_until_they_end_and_an_urgent_one_passes(
    notify: NotifyStack,
):
    user, address = await _requester(notify)
    headers = await notify.as_user(user["username"])
    local = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    start, end = (local - timedelta(hours=1)), (local + timedelta(hours=2))
    quiet = {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"),
             "timeZone": "Asia/Shanghai", "enabled": True, "criticalPasses": True}  # fmt: skip
    await ok(
        await notify.client.patch(
            PREFS, json={"quietHours": quiet}, params={"updateMask": "quietHours"},
            headers=headers,
        )
    )  # fmt: skip
    type_id, level_id = await catalogue(notify.tickets, approvals=0)
    held = await new_ticket(notify.tickets, type_id, login=user["username"])
    await ok(
        await notify.client.patch(
            f"/v1/service-levels/{level_id}", json={"priority": "PRIORITY_URGENT"},
            params={"updateMask": "priority"}, headers=await notify.as_user(*ADMIN),
        )
    )  # fmt: skip
    urgent = await new_ticket(notify.tickets, type_id, login=user["username"])
    assert urgent["priority"] == "PRIORITY_URGENT"
    passed = await _settled(notify, urgent["ticketId"], "DELIVERY_STATE_SENT")
    assert "critical" in passed["reason"]
    waiting = await _settled(notify, held["ticketId"], "DELIVERY_STATE_PENDING")
    due = datetime.fromisoformat(waiting["dueTime"].replace("Z", "+00:00"))
    assert due.astimezone(end.tzinfo).strftime("%H:%M") == end.strftime("%H:%M")
    assert "quiet hours" in waiting["reason"]
    assert len(notify.mail.messages(address)) == 1  # only the urgent one so far

    notify.clock.ahead = due - datetime.now(UTC) + timedelta(seconds=1)
    try:
        await _settled(notify, held["ticketId"], "DELIVERY_STATE_SENT")
    finally:
        notify.clock.ahead = timedelta()
    subjects = {m["Subject"] for m in await asyncio.to_thread(notify.mail.wait_for, address, 2)}
    assert subjects == {f"工单 {held['number']} 已提交", f"工单 {urgent['number']} 已提交"}


async def test_a_server_that_says_try_later_is_retried_and_550_is_given_up(notify: NotifyStack):
    user, address = await _requester(notify)
    type_id, _ = await catalogue(notify.tickets, approvals=0)
    notify.mail.refuse_next(*["451 4.3.0 try again later"] * 3)
    ticket = await new_ticket(notify.tickets, type_id, login=user["username"])
    sent = await _settled(notify, ticket["ticketId"], "DELIVERY_STATE_SENT")
    assert sent["attemptCount"] == 4
    assert len(await asyncio.to_thread(notify.mail.wait_for, address)) == 1
    detail = await ok(
        await notify.client.get(
            f"{DELIVERIES}/{sent['deliveryId']}", headers=await notify.as_user(*ADMIN)
        )
    )
    assert [a.get("succeeded", False) for a in detail["attempts"]] == [False, False, False, True]
    assert "451" in detail["attempts"][0]["response"]

    notify.mail.refuse_next("550 5.1.1 no such mailbox")
    second = await new_ticket(notify.tickets, type_id, login=user["username"])
    dead = await _settled(notify, second["ticketId"], "DELIVERY_STATE_DEAD")
    assert dead["attemptCount"] == 1 and "550" in dead["lastResponse"]
    retried = await ok(
        await notify.client.post(
            f"{DELIVERIES}/{dead['deliveryId']}:retry", json={},
            headers=await notify.as_user(*ADMIN),
        )
    )  # fmt: skip
    assert retried["state"] == "DELIVERY_STATE_FAILED"
    await _settled(notify, second["ticketId"], "DELIVERY_STATE_SENT")
    assert len(await asyncio.to_thread(notify.mail.wait_for, address, 2)) == 2


@pytest.mark.parametrize(
    ("body", "mask", "field"),
    [
        ({"quietHours": {"start": "25:00", "end": "08:00", "enabled": True}}, "quietHours",
         "preferences.quietHours.start"),
        ({"quietHours": {"start": "22:00", "end": "08:00", "timeZone": "Mars/Base",
                         "enabled": True}}, "quietHours", "preferences.quietHours.timeZone"),
        ({"switches": [{"topic": "NOTIFICATION_TOPIC_OUTCOME", "channel": "DELIVERY_CHANNEL_IN_APP",
                        "setting": "PREFERENCE_SWITCH_OFF"}]}, "switches",
         "preferences.switches[0].setting"),
        ({"switches": [{"channel": "DELIVERY_CHANNEL_EMAIL"}]}, "switches",
         "preferences.switches[0].topic"),
        ({}, "channelsByEventType", "updateMask"),
    ],
)  # fmt: skip
async def test_bad_preferences_are_400_naming_the_field(notify: NotifyStack, body, mask, field):
    response = await notify.client.patch(
        PREFS, json=body, params={"updateMask": mask}, headers=await notify.as_user(*ADMIN)
    )
    assert response.status_code == 400, response.text
    fields = [v["field"] for d in response.json()["details"] for v in d.get("fieldViolations", [])]
    assert fields == [field]


async def test_organisation_defaults_and_the_delivery_log_keep_to_their_audience(
    notify: NotifyStack,
):
    enterprise = await new_enterprise(notify)
    ent = enterprise["enterpriseId"]
    admin = await new_user(notify, ent, roles=["enterprise-admin"])
    member = await new_user(notify, ent, roles=["enterprise-member"])
    other = await new_enterprise(notify)
    admin_headers = await notify.as_user(admin["username"])
    path = f"/v1/organizations/{ent}/notification-preferences"
    night = {"start": "22:00", "end": "07:30", "timeZone": "Asia/Shanghai", "enabled": True}
    saved = await ok(
        await notify.client.patch(
            path, json={"quietHours": night}, params={"updateMask": "quietHours"},
            headers=admin_headers,
        )
    )  # fmt: skip
    assert saved["layer"] == "PREFERENCE_LAYER_ORGANIZATION" and saved["ownerId"] == ent
    mine = await ok(
        await notify.client.get(
            f"{PREFS}:effective", headers=await notify.as_user(member["username"])
        )
    )
    assert mine["quietHours"]["end"] == "07:30"
    assert mine["quietHoursLayer"] == "PREFERENCE_LAYER_ORGANIZATION"

    other_path = f"/v1/organizations/{other['enterpriseId']}/notification-preferences"
    assert (await notify.client.get(other_path, headers=admin_headers)).status_code == 404
    member_headers = await notify.as_user(member["username"])
    assert (await notify.client.get(path, headers=member_headers)).status_code == 403
    assert (await notify.client.get(DELIVERIES, headers=admin_headers)).status_code == 403
    assert (await notify.client.get(DELIVERIES, headers=member_headers)).status_code == 403
    assert (await notify.client.get(DELIVERIES)).status_code == 401
    assert (await notify.client.get(PREFS)).status_code == 401
    missing = await notify.client.get(f"{DELIVERIES}/nope", headers=await notify.as_user(*ADMIN))
    assert missing.status_code == 404
    bad_token = await notify.client.get(
        DELIVERIES, params={"pageToken": "forged"}, headers=await notify.as_user(*ADMIN)
    )
    assert bad_token.status_code == 400

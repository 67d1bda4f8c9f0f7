"""Outbound webhooks through the gateway to a real HTTP receiver: an enterprise admin
subscribes his system, a ticket event arrives signed (the receiver verifies it with the secret
it was shown once), a receiver answering 500 three times gets it again each time and finally
takes it, the delivery log says so and one can be sent again by hand; addresses that are not
public are refused; other organisations and members see nothing."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from services.notify.domain.webhooks import verify
from tests.e2e.identity.helpers import new_enterprise, new_provider, new_user, ok
from tests.e2e.notify.conftest import NotifyStack
from tests.e2e.tickets.helpers import catalogue, new_ticket
from tests.support.webhook_receiver import WebhookReceiver

PATH = "/v1/webhook-subscriptions"


@pytest.fixture
def receiver():
    running = WebhookReceiver().start()
    yield running
    running.stop()


async def _enterprise(notify: NotifyStack) -> tuple[str, dict[str, str], dict]:
    enterprise = await new_enterprise(notify)
    ent = enterprise["enterpriseId"]
    admin = await new_user(notify, ent, roles=["enterprise-admin"])
    requester = await new_user(notify, ent, roles=["enterprise-member"])
    await notify.knows(requester["userId"])
    await notify.tickets.known(requester["userId"])
    return ent, await notify.as_user(admin["username"]), requester


async def test_a_signed_event_reaches_the_receiver_through_500s(notify: NotifyStack, receiver):
    ent, headers, requester = await _enterprise(notify)
    made = await ok(
        await notify.client.post(
            PATH, headers=headers,
            json={"url": receiver.url, "eventTypes": ["ticket.created"], "description": "ERP"},
        )
    )  # fmt: skip
    assert made["organizationId"] == ent and made["active"] and made["secret"].startswith("whsec_")
    shown = await ok(await notify.client.get(f"{PATH}/{made['subscriptionId']}", headers=headers))
    assert shown.get("secret", "") == ""  # shown once

    receiver.answer_next(500, 500, 500)
    type_id, _ = await catalogue(notify.tickets, approvals=0)
    ticket = await new_ticket(notify.tickets, type_id, login=requester["username"])
    got = await asyncio.to_thread(receiver.wait_for, 4)
    assert [r.status for r in got] == [500, 500, 500, 200]
    assert len({r.body for r in got}) == 1  # the same event each time
    last = got[-1]
    event = json.loads(last.body)
    assert event["type"] == "ticket.created" and event["ticket"]["ticketId"] == ticket["ticketId"]
    assert last.headers["X-Ticketing-Event"] == "ticket.created"
    assert verify(last.headers["X-Ticketing-Signature"], last.body, made["secret"],
                  now=int(time.time()))  # fmt: skip
    assert not verify(last.headers["X-Ticketing-Signature"], last.body, "whsec_wrong",
                      now=int(time.time()))  # fmt: skip

    deliveries = await _settled(notify, headers, made["subscriptionId"])
    (delivery,) = deliveries
    assert delivery["attemptCount"] == 4 and delivery["state"] == "DELIVERY_STATE_SENT"
    again = await ok(
        await notify.client.post(
            f"{PATH}/{made['subscriptionId']}/deliveries/{delivery['deliveryId']}:redeliver",
            json={}, headers=headers,
        )
    )  # fmt: skip
    assert again["deliveryId"] == delivery["deliveryId"]
    assert len(await asyncio.to_thread(receiver.wait_for, 5)) == 5

    rotated = await ok(
        await notify.client.post(
            f"{PATH}/{made['subscriptionId']}:rotateSecret", json={"overlap": "3600s"},
            headers=headers,
        )
    )  # fmt: skip
    assert rotated["secret"] != made["secret"] and "previousSecretExpireTime" in rotated
    await new_ticket(notify.tickets, type_id, login=requester["username"])
    signed = (await asyncio.to_thread(receiver.wait_for, 6))[-1]
    for secret in (rotated["secret"], made["secret"]):  # both sign during the overlap
        assert verify(signed.headers["X-Ticketing-Signature"], signed.body, secret,
                      now=int(time.time()))  # fmt: skip


async def _settled(notify: NotifyStack, headers, subscription_id: str) -> list[dict]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = await ok(
            await notify.client.get(f"{PATH}/{subscription_id}/deliveries", headers=headers)
        )
        listed = found.get("deliveries", [])
        if listed and all(d["state"] == "DELIVERY_STATE_SENT" for d in listed):
            return listed
        await asyncio.sleep(0.1)
    raise AssertionError(f"deliveries not settled: {listed}")


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/hook", "http://10.0.0.7/hook",
     "http://192.168.1.20/hook", "ftp://example.com/hook", "http://[fd00:ec2::254]/"],
)  # fmt: skip
async def test_addresses_that_are_not_public_are_refused(notify: NotifyStack, url):
    _, headers, _ = await _enterprise(notify)
    response = await notify.client.post(
        PATH, json={"url": url, "eventTypes": ["ticket.closed"]}, headers=headers
    )
    assert response.status_code == 400, response.text
    fields = [v["field"] for d in response.json()["details"] for v in d.get("fieldViolations", [])]
    assert fields == ["subscription.url"]


async def test_subscriptions_keep_to_their_organisation(notify: NotifyStack, receiver):
    ent, headers, requester = await _enterprise(notify)
    made = await ok(
        await notify.client.post(
            PATH, json={"url": receiver.url, "eventTypes": ["ticket.closed"]}, headers=headers
        )
    )
    provider = await new_provider(notify)
    provider_admin = await new_user(
        notify, provider["providerId"], kind="PRINCIPAL_KIND_PROVIDER", roles=["provider-admin"]
    )
    theirs = await notify.as_user(provider_admin["username"])
    sub = f"{PATH}/{made['subscriptionId']}"
    for call in (
        notify.client.get(sub, headers=theirs),
        notify.client.get(f"{sub}/deliveries", headers=theirs),
        notify.client.delete(sub, headers=theirs),
        notify.client.get(PATH, params={"organizationId": ent}, headers=theirs),
    ):
        assert (await call).status_code == 404
    mine = await ok(await notify.client.get(PATH, headers=theirs))
    assert mine.get("subscriptions", []) == []
    member = await notify.as_user(requester["username"])
    assert (await notify.client.get(PATH, headers=member)).status_code == 403
    assert (await notify.client.get(PATH)).status_code == 401
    listed = await ok(await notify.client.get(PATH, headers=headers))
    assert [s["subscriptionId"] for s in listed["subscriptions"]] == [made["subscriptionId"]]
    off = await ok(
        await notify.client.patch(
            sub, json={"active": False}, params={"updateMask": "active"}, headers=headers
        )
    )
    assert off.get("active", False) is False
    assert (await notify.client.delete(sub, headers=headers)).status_code == 200
    assert (await notify.client.get(sub, headers=headers)).status_code == 404

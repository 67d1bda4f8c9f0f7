"""Live push through a real gateway (uvicorn): a client connected before an action receives
its message within a second; a client that reconnects with Last-Event-ID receives what it
missed exactly once; with two notify servers behind two gateways, a wake-up written by the
notifier reaches streams in both (PostgreSQL LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from services.identity.bootstrap import SERVICE_NAMES as IDENTITY_SERVICES
from services.notify.bootstrap import SERVICE_NAMES, build_deps, build_server
from services.tickets.bootstrap import SERVICE_NAMES as TICKETS_SERVICES
from tests.e2e.notify.conftest import NotifyStack
from tests.e2e.notify.test_message_centre import People, _act, _people
from tests.e2e.tickets.helpers import catalogue, new_ticket
from tests.support.gateways import gateway_app
from tests.support.http_server import event_stream, serving

STREAM = "/v1/messages:stream"


def _gateway(notify: NotifyStack, notify_port: int):  # type: ignore[no-untyped-def]
    return gateway_app(
        (IDENTITY_SERVICES, notify.tickets.identity.grpc_port),
        (TICKETS_SERVICES, notify.tickets.server.port),
        (SERVICE_NAMES, notify_port),
        sse_ping_seconds=1,
    )


@pytest.fixture
async def live(notify: NotifyStack) -> AsyncIterator[tuple[NotifyStack, str, People, str]]:
    """A real gateway, a fresh cast, and a service type without approval."""
    cast = await _people(notify)
    type_id, _ = await catalogue(notify.tickets, approvals=0)
    async with serving(_gateway(notify, notify.server.port)) as url:
        yield notify, url, cast, type_id


async def test_a_connected_client_gets_the_message_within_a_second(live):
    notify, url, cast, type_id = live
    headers = await notify.as_user(cast.login("requester"))
    async with event_stream(url, STREAM, headers) as stream:
        first = await stream.next()
        assert first["event"] == "unread_count" and first["data"]["unreadCount"]["total"] == 1
        ticket = await new_ticket(notify.tickets, type_id, login=cast.login("requester"))
        acted = time.monotonic()
        receipt = await stream.next()
        delay = time.monotonic() - acted
        assert receipt["event"] == "message" and receipt["id"] == receipt["data"]["eventId"]
        assert receipt["data"]["message"]["ticketId"] == ticket["ticketId"]
        assert delay < 1.0, f"{delay:.3f} s"
        count = await stream.next()
        assert count["event"] == "unread_count" and count["data"]["unreadCount"]["ticket"] == 1


async def test_reconnecting_with_last_event_id_gets_what_was_missed_exactly_once(live):
    notify, url, cast, type_id = live
    headers = await notify.as_user(cast.login("requester"))
    async with event_stream(url, STREAM, headers) as stream:
        await stream.next()
        ticket = await new_ticket(notify.tickets, type_id, login=cast.login("requester"))
        seen = await stream.next()
    last_id = seen["id"]
    # while he is away: assigned (tells the engineer only), started, a reply (tell him)
    ticket = await _act(
        notify,
        cast,
        "admin",
        ticket,
        "assign",
        providerId=cast.provider_id,
        engineerId=cast.id("engineer_1"),
    )  # fmt: skip
    await _act(notify, cast, "engineer_1", ticket, "start")
    await _act(notify, cast, "engineer_1", ticket, "comment", body="马上到")
    await notify.settled(ticket["ticketId"], 4)
    async with event_stream(url, STREAM, {**headers, "last-event-id": last_id}) as stream:
        count = await stream.next()
        assert count["event"] == "unread_count" and count["data"]["unreadCount"]["total"] == 4
        missed = [await stream.next(), await stream.next()]
        assert [m["event"] for m in missed] == ["message", "message"]
        titles = [m["data"]["message"]["title"] for m in missed]
        assert titles[0].endswith("处理中") and titles[1].endswith("有新回复")
        assert int(missed[0]["id"]) > int(last_id) and int(missed[1]["id"]) > int(missed[0]["id"])
        with pytest.raises(TimeoutError):
            await stream.next(timeout=1.5)  # nothing twice (pings are not events)


async def test_a_bad_last_event_id_or_no_token_is_refused_before_streaming(live):
    notify, url, cast, _ = live
    headers = await notify.as_user(cast.login("requester"))
    async with httpx.AsyncClient(base_url=url) as client:
        bad = await client.get(STREAM, headers={**headers, "last-event-id": "abc"})
        anonymous = await client.get(STREAM)
    assert bad.status_code == 400 and "Last-Event-ID" in bad.text
    assert anonymous.status_code == 401


async def test_two_notify_servers_behind_two_gateways_both_push(live):
    notify, url, cast, type_id = live
    second = build_deps(notify.deps.settings)
    server = build_server(second, listen="127.0.0.1:0", keys=notify.tickets.identity.deps.keys)
    await server.start()
    try:
        async with serving(_gateway(notify, server.port)) as other_url:
            headers = await notify.as_user(cast.login("requester"))
            async with contextlib.AsyncExitStack() as streams:
                phone = await streams.enter_async_context(event_stream(url, STREAM, headers))
                laptop = await streams.enter_async_context(event_stream(other_url, STREAM, headers))
                await asyncio.gather(phone.next(), laptop.next())
                ticket = await new_ticket(notify.tickets, type_id, login=cast.login("requester"))
                got = await asyncio.gather(phone.next(), laptop.next())
                assert {g["data"]["message"]["ticketId"] for g in got} == {ticket["ticketId"]}
                assert got[0]["id"] == got[1]["id"]
    finally:
        await server.stop(0)
        await second.close()


async def test_a_stream_never_carries_another_users_messages(live):
    notify, url, cast, type_id = live
    colleague = await notify.as_user(cast.login("colleague"))
    async with event_stream(url, STREAM, colleague) as stream:
        first = await stream.next()
        assert first["event"] == "unread_count"
        ticket = await new_ticket(notify.tickets, type_id, login=cast.login("requester"))
        await notify.settled(ticket["ticketId"], 1)  # the requester's receipt is written
        with pytest.raises(TimeoutError):
            await stream.next(timeout=1.5)  # and the colleague's stream shows nothing of it

"""Server-streaming methods through the gateway as server-sent events: one event per message
with its id and kind, Last-Event-ID resumes after what the client saw, and a refusal before
the stream starts is an ordinary HTTP error."""

from __future__ import annotations

import json

import httpx

from gateway.app import create_app
from gateway.settings import GatewaySettings
from servicekit.auth.principal import Principal


def _events(text: str) -> list[dict[str, str]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line and not line.startswith(":"):
                key, _, value = line.partition(":")
                fields[key] = value.removeprefix(" ")
        if fields:
            events.append(fields)
    return events


async def test_each_streamed_message_is_an_event_with_its_id_and_kind(gateway):
    response = await gateway.get("/v1/shelves/s1/things:watch", params={"count": 2})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _events(response.text)
    assert [(e.get("id"), e["event"]) for e in events] == [
        ("1", "thing"), (None, "total"), ("2", "thing"), (None, "total"),
    ]  # fmt: skip
    first = json.loads(events[0]["data"])
    assert first["thing"]["thingId"] == "t1" and first["eventId"] == "1"
    assert json.loads(events[3]["data"])["total"] == 2


async def test_last_event_id_resumes_after_what_the_client_saw(gateway):
    response = await gateway.get(
        "/v1/shelves/s1/things:watch", params={"count": 2}, headers={"last-event-id": "7"}
    )
    ids = [e["id"] for e in _events(response.text) if "id" in e]
    assert ids == ["8", "9"]


async def test_a_stream_outlives_the_channels_default_deadline(gateway):
    response = await gateway.get(
        "/v1/shelves/s1/things:watch", params={"count": 2, "pauseMs": 3000}
    )  # 6 s; unary calls get 5 s
    ids = [e["id"] for e in _events(response.text) if "id" in e]
    assert ids == ["1", "2"], response.text


async def test_a_refused_stream_is_an_http_error(gateway):
    response = await gateway.get("/v1/shelves/denied/things:watch", params={"count": 2})
    assert response.status_code == 403
    assert response.json()["details"][0]["reason"] == "SHELF_DENIED"


async def test_bad_query_is_a_400_naming_the_field(gateway):
    response = await gateway.get("/v1/shelves/s1/things:watch", params={"count": "many"})
    assert response.status_code == 400


async def test_the_client_address_is_the_peer_unless_the_peer_is_a_trusted_proxy(
    echo_server, signer
):
    upstreams = {"testing.echo.v1.EchoService": f"127.0.0.1:{echo_server.port}"}
    app = create_app(GatewaySettings(upstreams=upstreams, trusted_proxies=["10.0.0.0/8"]))
    token = signer.token(Principal("alice", "platform"))
    signed = {"authorization": f"Bearer {token}"}
    seen = {}
    for peer, forwarded in (
        ("203.0.113.7", "1.2.3.4"),  # a client on the internet: its header is ignored
        ("10.1.2.3", "1.2.3.4, 198.51.100.9"),  # via our ingress: the right-most untrusted hop
        ("10.1.2.3", "198.51.100.9, 10.4.4.4"),  # two of our proxies in a row
    ):
        transport = httpx.ASGITransport(app=app, client=(peer, 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            reply = await client.get("/v1/whoami", headers={**signed, "x-forwarded-for": forwarded})
        seen[(peer, forwarded)] = reply.json().get("clientIp")
    assert list(seen.values()) == ["203.0.113.7", "198.51.100.9", "198.51.100.9"]

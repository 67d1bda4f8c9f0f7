"""Live push fan-out (issue 10): 1,000 server-sent event streams on one gateway process,
through the running stack (the dev stack runs one gateway and one notify server). 50 fresh
users each hold 20 connections (phones, laptops); each user raises a ticket, and every one of
the 1,000 streams must receive its user's receipt. Delivery latency: the message's createTime
(notify's notifier wrote it, in the transaction whose commit wakes the streams) → the event
read by the client. Clients run in this process (same machine, same 2 cores).

`python -m bench.sse_fanout [--users 50] [--per-user 20]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from datetime import datetime

import httpx

from bench.common import running_stack, summary


async def _sign_in(client: httpx.AsyncClient, login: str, password: str) -> dict[str, str]:
    answer = await client.post("/v1/auth:login", json={"login": login, "password": password})
    return {"authorization": f"Bearer {answer.raise_for_status().json()['accessToken']}"}


async def _listen(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    connected: asyncio.Event,
    arrived: list[float],
    ready: list[int],
    total: int,
) -> None:
    async with client.stream("GET", "/v1/messages:stream", headers=headers) as response:
        response.raise_for_status()
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event == "unread_count" and not connected.is_set():
                ready.append(1)
                if len(ready) == total:
                    connected.set()
            elif line.startswith("data:") and event == "message":
                now = time.time()
                data = json.loads(line.split(":", 1)[1])
                sent = datetime.fromisoformat(data["message"]["createTime"]).timestamp()
                arrived.append((now - sent) * 1000)
                return


async def drive(base: str, users: int, per_user: int) -> tuple[list[float], float]:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    timeout = httpx.Timeout(60, read=None)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        admin = await _sign_in(client, "admin", "admin-demo-2026")
        requester = await _sign_in(client, "acme-user", "demo-2026")
        me = (await client.get("/v1/users/me", headers=requester)).json()
        types = (await client.get("/v1/service-types", headers=admin)).json()["serviceTypes"]
        wifi = next(t["serviceTypeId"] for t in types if t["displayName"] == "Wi-Fi")
        people = []
        for _ in range(users):
            name = f"fan-{uuid.uuid4().hex[:8]}"
            created = await client.post("/v1/users", headers=admin, json={
                "displayName": name, "username": name, "password": "demo-2026",
                "kind": "PRINCIPAL_KIND_ENTERPRISE", "organizationId": me["organizationId"],
                "roleIds": ["enterprise-member"],
            })  # fmt: skip
            created.raise_for_status()
            people.append(await _sign_in(client, name, "demo-2026"))
        await asyncio.sleep(5)  # tickets' directory learns of the new requesters
        connected, arrived, ready = asyncio.Event(), [], []
        total = users * per_user
        streams = [
            asyncio.create_task(_listen(client, h, connected, arrived, ready, total))
            for h in people
            for _ in range(per_user)
        ]
        await asyncio.wait_for(connected.wait(), 120)
        started = time.monotonic()
        body = {"title": "fan-out", "serviceTypeId": wifi, "customFields": {"floor": 3}}
        await asyncio.gather(*(client.post("/v1/tickets", json=body, headers=h) for h in people))
        await asyncio.wait_for(asyncio.gather(*streams), 120)
        return sorted(arrived), time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--per-user", type=int, default=20)
    args = parser.parse_args()
    with running_stack() as stack:
        found, elapsed = asyncio.run(drive(stack.gateway_url, args.users, args.per_user))
    print(f"{args.users * args.per_user} streams ({args.users} users × {args.per_user}), "
          f"{len(found)} deliveries in {elapsed:.1f} s")  # fmt: skip
    print(f"message written → event at the client   {summary(found)}  max {found[-1]:.0f} ms")


if __name__ == "__main__":
    main()

"""Created → assigned latency through the running stack (issue 9): the whole dev stack
(embedded PostgreSQL and broker, every service as its own process, demo data and rules), a
requester raising tickets at a fixed rate that the first demo rule routes round robin to
快修网络服务's engineers (capacity lifted so nobody is ever full), and each ticket's latency
read afterwards from tickets' own records: its creation time → the history entry of its
assignment by svc-dispatch (tickets' relay → broker → dispatcher → decision → AssignTicket).

`python -m bench.dispatch_latency [--rate 50] [--seconds 20]`
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
import psycopg

from bench.common import raise_wifi_tickets, running_stack, summary
from devstack.postgres import libpq_url


async def drive(base: str, rate: float, seconds: float) -> list[str]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def sign_in(login: str, password: str = "demo-2026") -> dict[str, str]:
            answer = await client.post(
                "/v1/auth:login", json={"login": login, "password": password}
            )
            return {"authorization": f"Bearer {answer.raise_for_status().json()['accessToken']}"}

        requester, provider_admin = await sign_in("acme-user"), await sign_in("fastfix-admin")
        admin = await sign_in("admin", "admin-demo-2026")
        providers = (await client.get("/v1/providers", params={"displayName": "快修"},
                                      headers=admin)).json()["providers"]  # fmt: skip
        provider = providers[0]["providerId"]
        engineers = (await client.get(f"/v1/providers/{provider}/engineers", headers=admin)).json()
        for engineer in engineers["engineers"]:
            await client.put(
                f"/v1/engineers/{engineer['engineerId']}/availability",
                json={"available": True, "maxOpenTickets": 0},
                headers=provider_admin,
            )
        ids = await raise_wifi_tickets(client, requester, rate, seconds)
        return ids


def latencies(database_url: str, ids: list[str], timeout: float = 120) -> list[float]:
    url = libpq_url(database_url).rsplit("/", 1)[0] + "/tickets"
    query = (
        "SELECT extract(epoch FROM h.created_at - t.created_at) * 1000 FROM tickets t "
        "JOIN ticket_history h ON h.ticket_id = t.id AND h.action = 'assigned' "
        "AND h.actor_id = 'svc-dispatch' WHERE t.id = ANY(%s)"
    )
    deadline = time.monotonic() + timeout
    with psycopg.connect(url) as connection:
        while True:
            rows = connection.execute(query, (ids,)).fetchall()
            if len(rows) >= len(ids) or time.monotonic() > deadline:
                return sorted(float(r[0]) for r in rows)
            time.sleep(1)


def stages(database_url: str, ids: list[str]) -> tuple[list[float], list[float]]:
    """Where the time goes: ticket created → decision taken (tickets' relay, the broker, the
    dispatcher's consumer) and decision taken → applied (the applier's AssignTicket)."""
    base = libpq_url(database_url).rsplit("/", 1)[0]
    with psycopg.connect(base + "/tickets") as connection:
        created = dict(
            connection.execute("SELECT id, created_at FROM tickets WHERE id = ANY(%s)", (ids,))
        )
    with psycopg.connect(base + "/dispatch") as connection:
        rows = connection.execute(
            "SELECT ticket_id, created_at, applied_at FROM decisions WHERE ticket_id = ANY(%s)",
            (ids,),
        ).fetchall()
    routed = sorted((d - created[t]).total_seconds() * 1000 for t, d, _ in rows)
    applied = sorted((a - d).total_seconds() * 1000 for _, d, a in rows if a)
    return routed, applied


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    with running_stack() as stack:
        ids = asyncio.run(drive(stack.gateway_url, args.rate, args.seconds))
        found = latencies(stack.database_server_url, ids)
        routed, applied = stages(stack.database_server_url, ids)
    print(f"{len(ids)} tickets at {args.rate:g}/s, {len(found)} assigned by dispatch")
    print(f"created → assigned   {summary(found)}  max {found[-1]:.0f} ms")
    print(f"created → decided    {summary(routed)}")
    print(f"decided → applied    {summary(applied)}")


if __name__ == "__main__":
    main()

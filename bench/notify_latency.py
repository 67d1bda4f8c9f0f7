"""Event committed in tickets → message in the recipient's centre, through the running stack
(issue 10): the whole dev stack (embedded PostgreSQL and broker, every service and worker as
its own process, demo data), a requester raising tickets at a fixed rate, and each receipt's
latency read afterwards from the databases: the ticket's creation (its event commits in the
same transaction) → the requester's message row (tickets' relay → broker → notify's notifier).

`python -m bench.notify_latency [--rate 100] [--seconds 10]`
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
import psycopg

from bench.common import raise_wifi_tickets, running_stack, summary
from devstack.postgres import libpq_url


async def drive(base: str, rate: float, seconds: float) -> tuple[str, list[str]]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        answer = await client.post(
            "/v1/auth:login", json={"login": "acme-user", "password": "demo-2026"}
        )
        tokens = answer.raise_for_status().json()
        requester = {"authorization": f"Bearer {tokens['accessToken']}"}
        ids = await raise_wifi_tickets(client, requester, rate, seconds)
        return tokens["userId"], ids


def latencies(
    database_url: str, user_id: str, ids: list[str], timeout: float = 180
) -> tuple[list[float], list[float], list[float]]:
    """Committed → in the centre, split into committed → sent to the broker (tickets' relay)
    and sent → in the centre (the broker and notify's notifier)."""
    base = libpq_url(database_url).rsplit("/", 1)[0]
    with psycopg.connect(base + "/tickets") as connection:
        created = dict(
            connection.execute("SELECT id, created_at FROM tickets WHERE id = ANY(%s)", (ids,))
        )
    deadline = time.monotonic() + timeout
    with psycopg.connect(base + "/notify") as connection:
        while True:
            rows = connection.execute(
                "SELECT ticket_id, created_at FROM messages WHERE user_id = %s "
                "AND ticket_id = ANY(%s) AND event_type = 'ticketing.events.v1.TicketCreated'",
                (user_id, ids),
            ).fetchall()
            if len(rows) >= len(ids) or time.monotonic() > deadline:
                break
            time.sleep(1)
    with psycopg.connect(base + "/tickets") as connection:
        sent = dict(
            connection.execute(
                "SELECT key, sent_at FROM outbox WHERE key = ANY(%s) "
                "AND event_type = 'ticketing.events.v1.TicketCreated'",
                (ids,),
            )
        )
    total = sorted((at - created[t]).total_seconds() * 1000 for t, at in rows)
    relay = sorted((sent[t] - created[t]).total_seconds() * 1000 for t, _ in rows if sent.get(t))
    consume = sorted((at - sent[t]).total_seconds() * 1000 for t, at in rows if sent.get(t))
    return total, relay, consume


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    with running_stack() as stack:
        user_id, ids = asyncio.run(drive(stack.gateway_url, args.rate, args.seconds))
        found, relay, consume = latencies(stack.database_server_url, user_id, ids)
    print(f"{len(ids)} tickets at {args.rate:g}/s, {len(found)} receipts")
    print(f"committed → in the centre   {summary(found)}  max {found[-1]:.0f} ms")
    print(f"committed → sent (relay)    {summary(relay)}")
    print(f"sent → in the centre        {summary(consume)}")


if __name__ == "__main__":
    main()

"""Ticket lists, search and statistics as the tickets table grows: 1 k, 10 k, 100 k, 1 M.

    .venv/bin/python -m bench.ticket_lists [--sizes 1000 10000 100000 1000000]
                                           [--seconds 5] [--clients 4]

Starts PostgreSQL (embedded), identity, tickets and the gateway as separate processes with the
demo data, then grows the tickets table with synthetic tickets (bench/synthetic_tickets.py,
direct SQL; the demo organisations and people own their share) and, at each size, drives every
list, search and statistics call through the gateway with wrk at `clients` concurrent
connections, signed in as the demo user each call is for. Prints p50 / p99 per call and size,
and the 1 M / 1 k ratio of p99. The figures go to docs/BENCHMARKS.md."""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
import urllib.parse
from pathlib import Path

import httpx
import psycopg

from bench.synthetic_tickets import World, grow
from bench.ticket_create import Processes, drive_wrk, start_suite
from devstack.postgres import EmbeddedPostgres, database_url, libpq_url

PASSWORDS = {"admin": "admin-demo-2026"}
# name: (login, query string)
CALLS = {
    "platform admin, first page": ("admin", "pageSize=20"),
    "platform admin, page 50": ("admin", "pageSize=20&pageToken={page50}"),
    "platform admin, in progress by priority": (
        "admin",
        "statusGroup=STATUS_GROUP_IN_PROGRESS&orderBy=TICKET_ORDER_PRIORITY_DESC",
    ),
    "platform admin, updated": ("admin", "orderBy=TICKET_ORDER_UPDATE_TIME_DESC"),
    "search 打印机": ("admin", "query=打印机"),
    "search wifi": ("admin", "query=wifi"),
    "search 网络 (two characters)": ("admin", "query=网络"),
    "search 投影仪灯泡 (no match)": ("admin", "query=投影仪灯泡"),
    "search 蓝牙 (two characters, no match)": ("admin", "query=蓝牙"),
    "enterprise admin, first page": ("acme-admin", "pageSize=20"),
    "enterprise admin, search 打印机": ("acme-admin", "query=打印机"),
    "requester, first page": ("acme-user", "pageSize=20"),
    "provider admin, first page": ("fastfix-admin", "pageSize=20"),
    "engineer, assigned to me": ("engineer-wang", "assignedToMe=true"),
    "engineer, pool": ("engineer-wang", "pool=true"),
    "stats, platform admin": ("admin", None),
    "stats, enterprise admin": ("acme-admin", None),
    "stats, requester": ("acme-user", None),
}


def login(gateway: str, user: str) -> dict[str, str]:
    answer = httpx.post(
        f"{gateway}/v1/auth:login",
        json={"login": user, "password": PASSWORDS.get(user, "demo-2026")},
    ).raise_for_status()
    return {"authorization": f"Bearer {answer.json()['accessToken']}"}


def demo_world(gateway: str, tickets_db: str) -> World:
    """Synthetic ownership with the demo organisations and people at index 0."""
    me = {
        user: httpx.get(f"{gateway}/v1/users/me", headers=login(gateway, user))
        .raise_for_status()
        .json()
        for user in ("acme-user", "engineer-wang")
    }
    world = World()
    world.enterprises[0] = me["acme-user"]["organizationId"]
    world.departments[0] = me["acme-user"]["departmentId"]
    world.people[0] = me["acme-user"]["userId"]
    world.providers[0] = me["engineer-wang"]["organizationId"]
    world.engineers[0] = me["engineer-wang"]["userId"]
    with psycopg.connect(tickets_db) as connection:
        rows = connection.execute(
            """
            WITH RECURSIVE up(leaf, id, path) AS (
                SELECT id, parent_id, ARRAY[id] FROM service_types s
                WHERE NOT EXISTS (SELECT 1 FROM service_types c WHERE c.parent_id = s.id)
              UNION ALL
                SELECT up.leaf, s.parent_id, s.id || up.path
                FROM up JOIN service_types s ON s.id = up.id
            )
            SELECT path FROM up WHERE id IS NULL ORDER BY leaf
            """
        ).fetchall()
        levels = connection.execute("SELECT id FROM service_levels ORDER BY id").fetchall()
    world.service_types = [list(path) for (path,) in rows]
    world.service_levels = [level for (level,) in levels]
    return world


def page_50_token(gateway: str, headers: dict[str, str]) -> str:
    token = ""
    for _ in range(49):
        params = {"pageSize": 20, **({"pageToken": token} if token else {})}
        page = httpx.get(f"{gateway}/v1/tickets", params=params, headers=headers).json()
        token = page.get("nextPageToken", "")
        if not token:
            return ""
    return token


def measure(gateway: str, seconds: float, clients: int) -> dict[str, dict]:  # type: ignore[type-arg]
    headers = {user: login(gateway, user) for user, _ in CALLS.values()}
    page50 = page_50_token(gateway, headers["admin"])
    results = {}
    for name, (user, query) in CALLS.items():
        if query is None:
            url = f"{gateway}/v1/tickets:stats"
        elif "{page50}" in query:
            if not page50:
                continue  # fewer than 50 pages
            url = f"{gateway}/v1/tickets?{query.format(page50=page50)}"
        else:
            url = f"{gateway}/v1/tickets?{urllib.parse.quote(query, safe='=&')}"
        checked = httpx.get(url, headers=headers[user])
        assert checked.status_code == 200, (name, checked.text)
        results[name] = drive_wrk(url, None, headers[user], clients=clients, seconds=seconds)
        assert results[name]["errors"] == 0, (name, results[name])
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        pg = EmbeddedPostgres(Path(folder) / "pg")
        pg.start(Path(folder) / "postgres.log")
        processes = Processes(Path(folder))
        try:
            gateway, _, _ = start_suite(processes, pg)
            tickets_db = libpq_url(database_url(pg.url(), "tickets"))
            world = demo_world(gateway, tickets_db)
            print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
                  f"Python {platform.python_version()}; wrk, {args.clients} connections, "
                  f"{args.seconds:.0f} s per call")  # fmt: skip
            table: dict[int, dict[str, dict]] = {}  # type: ignore[type-arg]
            have = 0
            with psycopg.connect(tickets_db) as connection:
                for size in args.sizes:
                    started = time.monotonic()
                    grow(connection, world, have, size)
                    have = size
                    print(f"\n{size:>9,} synthetic tickets (grown in "
                          f"{time.monotonic() - started:.0f} s)", flush=True)  # fmt: skip
                    table[size] = measure(gateway, args.seconds, args.clients)
                    for name, result in table[size].items():
                        print(f"  {name:<42} p50 {result['p50_ms']:7.1f} ms  "
                              f"p99 {result['p99_ms']:7.1f} ms  "
                              f"{result['throughput']:6.0f} req/s", flush=True)  # fmt: skip
            first, last = args.sizes[0], args.sizes[-1]
            print(f"\np99 at {last:,} / p99 at {first:,}:")
            for name in table[last]:
                if name in table[first]:
                    ratio = table[last][name]["p99_ms"] / table[first][name]["p99_ms"]
                    print(f"  {name:<42} {ratio:5.2f}")
        finally:
            processes.stop()
            pg.stop()


if __name__ == "__main__":
    main()

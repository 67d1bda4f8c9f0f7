"""Ticket creation through the gateway versus a bare reference chain, in one run.

    .venv/bin/python -m bench.ticket_create [--seconds 10] [--clients 16 64]

Starts PostgreSQL (embedded), identity, tickets and the gateway as separate processes, plus the
reference chain (FastAPI → grpc.aio → INSERT + outbox INSERT), then drives each with N
concurrent HTTP clients and prints throughput, p50 and p99, and the ratio of the two
throughputs. The figures go to docs/BENCHMARKS.md."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from devstack.catalogue import ROOT
from devstack.ports import free_port, wait_for_port
from devstack.postgres import EmbeddedPostgres, database_url, ensure_database
from servicekit.migrations import upgrade


class Processes:
    def __init__(self, logs: Path):
        self._logs = logs
        self._running: list[subprocess.Popen[bytes]] = []

    def start(
        self, name: str, args: list[str], env: dict[str, str] | None = None, wait_port: int = 0
    ) -> None:
        log = open(self._logs / f"{name}.log", "ab")
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=os.environ | (env or {}),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._running.append(process)
        if wait_port:
            wait_for_port("127.0.0.1", wait_port, timeout=60, alive=lambda: process.poll() is None)

    def run(self, name: str, args: list[str], env: dict[str, str]) -> None:
        with open(self._logs / f"{name}.log", "ab") as log:
            subprocess.run(
                [sys.executable, *args],
                cwd=ROOT,
                env=os.environ | env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
            )

    def stop(self) -> None:
        for process in reversed(self._running):
            process.terminate()
        for process in self._running:
            process.wait(timeout=20)


async def drive(
    url: str, body_of, headers: dict[str, str], *, clients: int, seconds: float
) -> dict:  # type: ignore[no-untyped-def]
    """`clients` loops posting as fast as they can for `seconds` (after a short warm-up)."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30, headers=headers) as client:

        async def loop(until: float, record: bool) -> None:
            nonlocal errors
            i = 0
            while time.perf_counter() < until:
                started = time.perf_counter()
                response = await client.post(url, json=body_of(i))
                i += 1
                if record:
                    if response.status_code == 200:
                        latencies.append(time.perf_counter() - started)
                    else:
                        errors += 1

        await asyncio.gather(*(loop(time.perf_counter() + 1.5, False) for _ in range(clients)))
        started = time.perf_counter()
        await asyncio.gather(*(loop(started + seconds, True) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "throughput": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": errors,
    }


WRK_SCRIPT = """
wrk.method = "%(method)s"
%(headers)s
%(body)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%f %%f %%f %%d\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


def drive_wrk(
    url: str, body: dict | None, headers: dict[str, str], *, clients: int, seconds: float
) -> dict:  # type: ignore[type-arg]
    """The same measurement with wrk (C), so the load generator takes less of the 2 cores; a
    GET when there is no body."""
    if body is not None:
        headers = headers | {"Content-Type": "application/json"}
    lines = "\n".join(f'wrk.headers["{k}"] = {json.dumps(v)}' for k, v in headers.items())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            WRK_SCRIPT
            % {
                "method": "GET" if body is None else "POST",
                "headers": lines,
                "body": "" if body is None else f"wrk.body = {json.dumps(json.dumps(body))}",
            }
        )
    run = ["wrk", "-t1", f"-c{clients}", "--latency", "-s", script.name, url]
    subprocess.run([*run, "-d2s"], capture_output=True, check=True)  # warm-up
    output = subprocess.run(
        [*run, f"-d{int(seconds)}s"], capture_output=True, text=True, check=True
    ).stdout
    result = next(line for line in output.splitlines() if line.startswith("RESULT"))
    _, requests, duration, p50, p99, errors = result.split()
    return {
        "throughput": int(requests) / float(duration),
        "p50_ms": float(p50),
        "p99_ms": float(p99),
        "errors": int(errors),
    }


def start_suite(processes: Processes, pg: EmbeddedPostgres) -> tuple[str, dict[str, str], str]:
    """identity + tickets + gateway with demo data; returns (gateway URL, auth headers, type id)."""
    ports = {name: free_port() for name in ("identity", "tickets", "gateway")}
    gateway = f"http://127.0.0.1:{ports['gateway']}"
    urls = {}
    for service in ("identity", "tickets"):
        ensure_database(pg.url(), service)
        urls[service] = database_url(pg.url(), service)
        upgrade(ROOT / "services" / service / "migrations", urls[service])
    common = {
        "TICKETING_ENVIRONMENT": "development",
        "TICKETING_LOG_LEVEL": "WARNING",
        "TICKETING_JWKS_URL": f"{gateway}/.well-known/jwks.json",
    }
    for service in ("identity", "tickets"):
        env = common | {
            "TICKETING_DATABASE_URL": urls[service],
            "TICKETING_GRPC_LISTEN": f"127.0.0.1:{ports[service]}",
        }
        processes.run(f"{service}-seed", ["-m", f"services.{service}.entrypoints.seed_demo"], env)
        processes.start(
            service, ["-m", f"services.{service}.entrypoints.grpc_main"], env, ports[service]
        )
    upstreams = {
        f"ticketing.identity.v1.{n}": f"127.0.0.1:{ports['identity']}"
        for n in ("AuthService", "UserService")
    }
    upstreams |= {
        f"ticketing.tickets.v1.{n}": f"127.0.0.1:{ports['tickets']}"
        for n in ("CatalogService", "TicketService")
    }
    processes.start(
        "gateway",
        ["-m", "gateway"],
        common
        | {
            "TICKETING_GATEWAY_PORT": str(ports["gateway"]),
            "TICKETING_GATEWAY_UPSTREAMS": json.dumps(upstreams),
        },
        ports["gateway"],
    )
    login = httpx.post(
        f"{gateway}/v1/auth:login", json={"login": "acme-user", "password": "demo-2026"}
    ).json()
    headers = {"authorization": f"Bearer {login['accessToken']}"}
    types = httpx.get(f"{gateway}/v1/service-types", headers=headers).json()["serviceTypes"]
    wifi = next(t["serviceTypeId"] for t in types if t["displayName"] == "Wi-Fi")
    return gateway, headers, wifi


def start_reference(processes: Processes, pg: EmbeddedPostgres) -> str:
    ensure_database(pg.url(), "reference")
    grpc_port, http_port = free_port(), free_port()
    processes.start(
        "reference-grpc",
        [
            "-m",
            "bench.reference_chain",
            "grpc",
            str(grpc_port),
            database_url(pg.url(), "reference"),
        ],
        wait_port=grpc_port,
    )
    processes.start(
        "reference-http",
        ["-m", "bench.reference_chain", "http", str(http_port), str(grpc_port)],
        wait_port=http_port,
    )
    return f"http://127.0.0.1:{http_port}"


def measure(
    driver: str, url: str, body: dict, headers: dict[str, str], clients: int, seconds: float
) -> dict:  # type: ignore[type-arg]
    if driver == "wrk":
        return drive_wrk(url, body, headers, clients=clients, seconds=seconds)
    return asyncio.run(drive(url, lambda i: body, headers, clients=clients, seconds=seconds))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument(
        "--driver", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        pg = EmbeddedPostgres(Path(folder) / "pg")
        pg.start(Path(folder) / "postgres.log")
        processes = Processes(Path(folder))
        try:
            gateway, headers, wifi = start_suite(processes, pg)
            reference = start_reference(processes, pg)
            machine = f"{platform.machine()}, {os.cpu_count()} cores"
            print(f"machine: {machine}, Python {platform.python_version()}")
            print(f"load generator: {args.driver}")
            ticket = {"title": "bench", "serviceTypeId": wifi, "customFields": {"floor": 3}}
            for clients in args.clients:
                suite = measure(
                    args.driver, f"{gateway}/v1/tickets", ticket, headers, clients, args.seconds
                )
                bare = measure(
                    args.driver,
                    f"{reference}/v1/things",
                    {"title": "bench"},
                    {},
                    clients,
                    args.seconds,
                )
                for name, result in (("tickets via gateway", suite), ("reference chain", bare)):
                    print(
                        f"{clients:>3} clients  {name:<20} {result['throughput']:7.1f} req/s  "
                        f"p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  "
                        f"errors {result['errors']}"
                    )
                ratio = suite["throughput"] / bare["throughput"]
                print(f"{clients:>3} clients  ratio (tickets / reference): {ratio:.2f}")
        finally:
            processes.stop()
            pg.stop()


if __name__ == "__main__":
    main()

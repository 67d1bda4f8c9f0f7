"""Starting and stopping the whole suite as child processes on loopback."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devstack.broker import TansuBroker
from devstack.catalogue import ROOT, SERVICES, ServiceSpec
from devstack.ports import free_port, wait_for_port
from devstack.postgres import EmbeddedPostgres, database_url, ensure_database
from servicekit.kafka import DEAD_LETTER_SUFFIX, ensure_topics
from servicekit.migrations import upgrade

log = logging.getLogger("devstack")


@dataclass
class StackOptions:
    data_dir: Path
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    external_database_url: str = ""  # server URL; databases are created per service
    external_kafka_bootstrap: str = ""
    services: tuple[ServiceSpec, ...] = SERVICES
    free_ports: bool = False  # pick free gRPC ports instead of the fixed ones


@dataclass
class Stack:
    options: StackOptions
    postgres: EmbeddedPostgres | None = None
    broker: TansuBroker | None = None
    processes: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    database_server_url: str = ""
    ports: dict[str, int] = field(default_factory=dict)
    kafka_bootstrap: str = ""

    @property
    def logs(self) -> Path:
        return self.options.data_dir / "logs"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.options.gateway_host}:{self.options.gateway_port}"

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self._start_postgres()
        self._start_broker()
        for spec in self.options.services:
            self._start_service(spec)
        self._start_gateway()

    def stop(self) -> None:
        for name, process in reversed(self.processes):
            if process.poll() is None:
                log.info("stopping %s", name)
                process.terminate()
        for _, process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.broker:
            self.broker.stop()
        if self.postgres:
            self.postgres.stop()

    def migrate_only(self) -> None:
        """Applies every service's migrations, starting PostgreSQL for it if embedded."""
        try:
            self._start_postgres()
            for spec in self.options.services:
                self._migrate(spec)
        finally:
            self.stop()

    def _start_postgres(self) -> None:
        if self.options.external_database_url:
            self.database_server_url = self.options.external_database_url
            return
        self.postgres = EmbeddedPostgres(self.options.data_dir / "postgres")
        self.postgres.start(self.logs / "postgres.log")
        self.database_server_url = self.postgres.url()

    def _start_broker(self) -> None:
        if self.options.external_kafka_bootstrap:
            self.kafka_bootstrap = self.options.external_kafka_bootstrap
            return
        self.broker = TansuBroker()
        self.broker.start(self.logs / "broker.log")
        self.kafka_bootstrap = self.broker.bootstrap

    def _database(self, spec: ServiceSpec) -> str:
        ensure_database(self.database_server_url, spec.name)
        return database_url(self.database_server_url, spec.name)

    def _migrate(self, spec: ServiceSpec) -> None:
        upgrade(spec.migrations, self._database(spec))

    def _start_service(self, spec: ServiceSpec) -> None:
        self._migrate(spec)
        topics = [*spec.topics, *(f"{t}{DEAD_LETTER_SUFFIX}" for t in spec.topics)]
        asyncio.run(ensure_topics(self.kafka_bootstrap, topics))
        env = self._env(
            TICKETING_DATABASE_URL=self._database(spec),
            TICKETING_GRPC_LISTEN=f"127.0.0.1:{self._port(spec)}",
        )
        for module in spec.setup:
            self._run_once(module.rsplit(".", 1)[-1], module, env)
        self._spawn(spec.name, [spec.module], env)
        self._spawn(f"{spec.name}-outbox-relay", ["servicekit.outbox"], env)
        for module in spec.consumers:
            self._spawn(module.rsplit(".", 1)[-1], [module], env)
        wait_for_port("127.0.0.1", self._port(spec), timeout=60)

    def _start_gateway(self) -> None:
        upstreams = {
            name: f"127.0.0.1:{self._port(spec)}"
            for spec in self.options.services
            for name in spec.proto_services
        }
        env = self._env(
            TICKETING_GATEWAY_HOST=self.options.gateway_host,
            TICKETING_GATEWAY_PORT=str(self.options.gateway_port),
            TICKETING_GATEWAY_UPSTREAMS=json.dumps(upstreams),
        )
        process = self._spawn("gateway", ["gateway"], env)
        self._wait_ready(process)

    def _wait_ready(self, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gateway exited; see {self.logs / 'gateway.log'}")
            try:
                if httpx.get(f"{self.gateway_url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                log.debug("gateway not answering yet")
            time.sleep(0.2)
        raise TimeoutError(f"gateway not ready after {timeout:.0f}s")

    def _env(self, **extra: str) -> dict[str, str]:
        return os.environ | {
            "TICKETING_ENVIRONMENT": "development",
            "TICKETING_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "TICKETING_JWKS_URL": f"{self.gateway_url}/.well-known/jwks.json",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "gen")]),
            **extra,
        }

    def _port(self, spec: ServiceSpec) -> int:
        """DESIGN.md §10's port, or a free one when asked (tests beside a running stack)."""
        if not self.options.free_ports:
            return spec.grpc_port
        return self.ports.setdefault(spec.name, free_port())

    def _run_once(self, name: str, module: str, env: dict[str, str]) -> None:
        with open(self.logs / f"{name}.log", "ab") as output:
            result = subprocess.run(
                [sys.executable, "-m", module],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        if result.returncode != 0:
            raise RuntimeError(f"{module} failed; see {self.logs / f'{name}.log'}")

    def _spawn(self, name: str, module: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        output = open(self.logs / f"{name}.log", "ab")
        process = subprocess.Popen(
            [sys.executable, "-m", *module],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        self.processes.append((name, process))
        return process

"""Starting, supervising and stopping the whole suite as child processes on loopback.

Every child is restarted with back-off if it dies. The embedded broker keeps nothing across
a restart, so whenever the stack finds the broker without the declared topics (first start,
or the broker restarted empty) it creates them and has every service re-publish a snapshot of
its state, which brings every consumer's read model up to date (DESIGN.md §4, §8).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from devstack.broker import TansuBroker
from devstack.catalogue import ROOT, SERVICES, ServiceSpec
from devstack.ports import free_port, reserve, wait_for_port
from devstack.postgres import EmbeddedPostgres, database_url, ensure_database, libpq_url
from devstack.supervisor import Child
from devstack.topics import create_declared_topics
from servicekit.migrations import upgrade

log = logging.getLogger("devstack")
TOPIC_CHECK_SECONDS = 5.0  # how often the supervisor looks for a broker that lost its topics
# After the broker lost its log, every relay sends again what it sent this recently: events
# consumers had not read yet would otherwise be gone (an SLA alert, a decision); those they
# had applied they skip by event id.
RESEND_MINUTES = 15


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
    children: list[Child] = field(default_factory=list)
    database_server_url: str = ""
    ports: dict[str, int] = field(default_factory=dict)
    health_ports: dict[str, int] = field(default_factory=dict)  # workers' gRPC health
    kafka_bootstrap: str = ""
    smtp_port: int = 0  # the mail catcher's (notify sends its emails there)
    resyncs: int = 0
    # The service accounts' client secrets (identity keeps the accounts; each service signs in
    # with its own), made afresh for every stack.
    service_secrets: dict[str, str] = field(
        default_factory=lambda: {"dispatch": secrets.token_urlsafe(24)}
    )
    _next_topic_check: float = 0.0
    _resync_pending: bool = False

    @property
    def logs(self) -> Path:
        return self.options.data_dir / "logs"

    @property
    def maildir(self) -> Path:
        """Where the mail catcher keeps every email sent (one file each in `new/`)."""
        return self.options.data_dir / "mail"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.options.gateway_host}:{self.options.gateway_port}"

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        reserve(self.options.gateway_port)
        self._start_postgres()
        self._start_broker()
        broker_was_empty = self._create_topics()
        self._start_mail_catcher()
        # The gateway first: services verify tokens with the keys it publishes (identity's), and
        # a service's demo data may ask one started before it. It is ready when all serve.
        gateway = self._start_gateway()
        for spec in self.options.services:
            self._start_service(spec)
        self._wait_ready(gateway)
        if broker_was_empty:
            self.resync()

    def supervise(self) -> None:
        """One round of supervision: restart what died (servers first, then processes)."""
        if self.postgres and self.postgres.process and self.postgres.process.poll() is not None:
            log.warning("postgres exited; restarting it")
            self.postgres.start(self.logs / "postgres.log")
        if self.broker and self.broker.process and self.broker.process.poll() is not None:
            self._restart_broker()
        for child in self.children:
            child.check()
        if time.monotonic() >= self._next_topic_check:
            self._next_topic_check = time.monotonic() + TOPIC_CHECK_SECONDS
            try:
                self._resync_pending |= self._create_topics()
                if self._resync_pending:
                    self.resync()
                    self._resync_pending = False
            except Exception as error:
                log.warning("broker not reachable for the topic check: %r", error)
                self._next_topic_check = 0.0

    def _restart_broker(self) -> None:
        """The broker restarts empty. A consumer that kept running would fetch the new log at
        its old positions, skipping what is written below them, and commit them to the new
        group; relays would hold metadata of the old topics. So relays and consumers stop
        first; then the broker starts, the topics are declared, relays and consumers start
        afresh (no offsets in the new groups: they read from the start, the inbox drops what
        they had applied), and every service re-publishes its state."""
        log.warning("broker exited; restarting it (empty: memory storage)")
        workers = [child for child in self.children if child.uses_broker]
        for child in workers:
            child.stop_now()
        assert self.broker is not None
        self.broker.start(self.logs / "broker.log")
        self._create_topics()
        for child in workers:
            child.start()
        self._resync_pending = True
        self._next_topic_check = 0.0

    def resync(self) -> None:
        """Every service re-publishes its state, and every relay re-sends what it sent in the
        last RESEND_MINUTES: consumers catch up from an empty broker. (Apache Kafka keeps its
        log; this is for the dev broker's memory storage.)"""
        for spec in self.options.services:
            self._resend_recent(spec)
            if spec.snapshot:
                self._run_once(f"{spec.name}-snapshot", spec.snapshot, self._service_env(spec))
        self.resyncs += 1
        log.warning("broker was empty: topics created, every service re-published its state")

    def _resend_recent(self, spec: ServiceSpec) -> None:
        url = libpq_url(database_url(self.database_server_url, spec.name))
        with psycopg.connect(url, autocommit=True) as connection:
            if connection.execute("SELECT to_regclass('outbox')").fetchone() == (None,):
                return  # a service that publishes nothing
            resent = connection.execute(
                "UPDATE outbox SET sent_at = NULL "
                "WHERE sent_at > now() - make_interval(mins => %s)",
                (RESEND_MINUTES,),
            ).rowcount
        if resent:
            log.info("outbox events sent again", extra={"service": spec.name, "events": resent})

    def stop(self) -> None:
        for child in reversed(self.children):
            child.terminate()
        for child in reversed(self.children):
            child.wait(timeout=15)
        if self.broker:
            self.broker.stop()
        if self.postgres:
            self.postgres.stop()

    def grpc_addresses(self) -> str:
        """One line per service: its gRPC address (for grpcurl and the like)."""
        return "".join(
            f"  {spec.name:<9} 127.0.0.1:{self._port(spec)} (gRPC)\n"
            for spec in self.options.services
        )

    def child(self, name: str) -> Child:
        return next(c for c in self.children if c.name == name)

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

    def _start_mail_catcher(self) -> None:
        self.smtp_port = free_port()
        args = [
            "devstack.mailcatcher",
            "--port",
            str(self.smtp_port),
            "--maildir",
            str(self.maildir),
        ]
        self._spawn("mailcatcher", args, self._env())
        wait_for_port("127.0.0.1", self.smtp_port, timeout=30)

    def _database(self, spec: ServiceSpec) -> str:
        ensure_database(self.database_server_url, spec.name)
        return database_url(self.database_server_url, spec.name)

    def _migrate(self, spec: ServiceSpec) -> None:
        upgrade(spec.migrations, self._database(spec))

    def _create_topics(self) -> bool:
        """Creates the declared topics the broker lacks; True if it lacked any."""
        return bool(asyncio.run(create_declared_topics(self.kafka_bootstrap)))

    def _service_env(self, spec: ServiceSpec, listen: str = "127.0.0.1:0") -> dict[str, str]:
        return self._env(TICKETING_DATABASE_URL=self._database(spec), TICKETING_GRPC_LISTEN=listen)

    def _worker_env(self, spec: ServiceSpec, name: str) -> dict[str, str]:
        port = self.health_ports.setdefault(name, free_port())
        return self._service_env(spec, f"127.0.0.1:{port}")

    def _start_service(self, spec: ServiceSpec) -> None:
        self._migrate(spec)
        env = self._service_env(spec, f"127.0.0.1:{self._port(spec)}")
        for module in spec.setup:
            self._run_once(module.rsplit(".", 1)[-1], module, env)
        self._spawn(spec.name, [spec.module], env)
        relay = f"{spec.name}-outbox-relay"
        self._spawn(relay, ["servicekit.outbox"], self._worker_env(spec, relay)).uses_broker = True
        for module in spec.consumers:
            name = module.rsplit(".", 1)[-1]
            self._spawn(name, [module], self._worker_env(spec, name)).uses_broker = True
        for module in spec.workers:
            name = module.rsplit(".", 1)[-1]
            self._spawn(name, [module], self._worker_env(spec, name))
        wait_for_port("127.0.0.1", self._port(spec), timeout=60)

    def _start_gateway(self) -> Child:
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
        return self._spawn("gateway", ["gateway"], env)

    def _wait_ready(self, child: Child, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if child.process is None or child.process.poll() is not None:
                raise RuntimeError(f"gateway exited:\n{self._log_tail('gateway')}")
            try:
                if httpx.get(f"{self.gateway_url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                log.debug("gateway not answering yet")
            time.sleep(0.2)
        raise TimeoutError(f"gateway not ready after {timeout:.0f}s")

    def _log_tail(self, name: str, lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        try:
            tail = path.read_text(errors="replace").splitlines()[-lines:]
        except OSError as error:
            return f"({path}: {error})"
        return "\n".join([f"last lines of {path}:", *tail])

    def _env(self, **extra: str) -> dict[str, str]:
        addresses = {
            f"TICKETING_{spec.name.upper()}_ADDRESS": f"127.0.0.1:{self._port(spec)}"
            for spec in self.options.services
        }
        return (
            os.environ
            | addresses
            | {
                "TICKETING_ENVIRONMENT": "development",
                "TICKETING_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
                "TICKETING_SMTP_HOST": "127.0.0.1",
                "TICKETING_SMTP_PORT": str(self.smtp_port),
                "TICKETING_JWKS_URL": f"{self.gateway_url}/.well-known/jwks.json",
                "TICKETING_SERVICE_ACCOUNTS": json.dumps(self.service_secrets),
                "TICKETING_SERVICE_ACCOUNT_SECRET": self.service_secrets["dispatch"],
                "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "gen")]),
                **extra,
            }
        )

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

    def _spawn(self, name: str, module: list[str], env: dict[str, str]) -> Child:
        child = Child(name, module, env, self.logs / f"{name}.log")
        child.start()
        self.children.append(child)
        return child

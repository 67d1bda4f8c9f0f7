"""The services the dev stack runs, in start order. A service appears here once it exists;
adding one is a line: its package (also its database and proto package) and gRPC port."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from servicekit.rpc.names import service_names

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # folder under services/, also its database name
    grpc_port: int  # DESIGN.md §10
    consumers: tuple[str, ...] = field(default=())  # modules run as `python -m <module>`
    # Other long-running processes that do not read the broker (restarted only if they die).
    workers: tuple[str, ...] = field(default=())
    setup: tuple[str, ...] = field(default=())  # one-off modules run after migrations (demo data)
    snapshot: str = ""  # module re-publishing its state, run when the broker starts empty

    @property
    def proto_services(self) -> tuple[str, ...]:
        """Full names of the gRPC services the gateway routes to it: its proto package's."""
        return service_names(f"ticketing.{self.name}.v1")

    @property
    def module(self) -> str:
        return f"services.{self.name}.entrypoints.grpc_main"

    @property
    def migrations(self) -> Path:
        return ROOT / "services" / self.name / "migrations"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        name="identity",
        grpc_port=50051,
        setup=("services.identity.entrypoints.seed_demo",),
        snapshot="services.identity.entrypoints.publish_snapshot",
    ),
    ServiceSpec(
        name="tickets",
        grpc_port=50052,
        consumers=("services.tickets.entrypoints.directory_consumer",),
        setup=("services.tickets.entrypoints.seed_demo",),
        snapshot="services.tickets.entrypoints.publish_snapshot",
    ),
    ServiceSpec(
        name="dispatch",
        grpc_port=50053,
        consumers=("services.dispatch.entrypoints.dispatcher",),
        setup=("services.dispatch.entrypoints.seed_demo",),
    ),
    ServiceSpec(
        name="notify",
        grpc_port=50054,
        consumers=("services.notify.entrypoints.notifier",),
        workers=("services.notify.entrypoints.deliverer",),
    ),
    ServiceSpec(
        name="reporting",
        grpc_port=50055,
        consumers=("services.reporting.entrypoints.recorder",),
    ),
)

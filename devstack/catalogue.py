"""The services the dev stack runs, in start order. A service appears here once it exists;
adding one is a line: its package, gRPC port, database and the proto services it serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # folder under services/, also its database name
    grpc_port: int  # DESIGN.md §10
    proto_services: tuple[str, ...]  # full names the gateway routes to it
    consumers: tuple[str, ...] = field(default=())  # modules run as `python -m <module>`
    setup: tuple[str, ...] = field(default=())  # one-off modules run after migrations (demo data)
    snapshot: str = ""  # module re-publishing its state, run when the broker starts empty

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
        proto_services=tuple(
            f"ticketing.identity.v1.{name}"
            for name in (
                "AuthService",
                "OrganizationService",
                "UserService",
                "AccessService",
                "SecurityLogService",
            )
        ),
        setup=("services.identity.entrypoints.seed_demo",),
        snapshot="services.identity.entrypoints.publish_snapshot",
    ),
    ServiceSpec(
        name="tickets",
        grpc_port=50052,
        proto_services=(
            "ticketing.tickets.v1.CatalogService",
            "ticketing.tickets.v1.TicketService",
        ),
        consumers=("services.tickets.entrypoints.directory_consumer",),
        setup=("services.tickets.entrypoints.seed_demo",),
        snapshot="services.tickets.entrypoints.publish_snapshot",
    ),
)

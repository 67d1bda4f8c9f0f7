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

    @property
    def module(self) -> str:
        return f"services.{self.name}.entrypoints.grpc_main"

    @property
    def migrations(self) -> Path:
        return ROOT / "services" / self.name / "migrations"


SERVICES: tuple[ServiceSpec, ...] = ()

"""Gateway settings (prefix TICKETING_GATEWAY_)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    """`upstreams` maps a gRPC service's full name to its address, e.g.
    {"ticketing.identity.v1.IdentityService": "127.0.0.1:50051"}."""

    model_config = SettingsConfigDict(env_prefix="TICKETING_GATEWAY_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8080
    upstreams: dict[str, str] = {}
    call_timeout_seconds: float = 10.0
    readiness_timeout_seconds: float = 1.0
    log_level: str = "INFO"
    metrics_port: int | None = None  # Prometheus /metrics on its own port, never the public one
    title: str = "Service-ticket suite API"
    # Browser origins allowed to call the API from another site (CORS); none by default.
    cors_origins: list[str] = []

"""Gateway settings (prefix TICKETING_GATEWAY_)."""

from __future__ import annotations

from pathlib import Path

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
    # Peers whose X-Forwarded-For is believed (our ingress / load balancers): CIDRs. Default:
    # loopback and private networks, where a cluster's ingress lives.
    trusted_proxies: list[str] = [
        "127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7",
    ]  # fmt: skip
    # Server-sent events: a comment every this many seconds keeps idle connections open; a
    # stream ends after stream_max_seconds (the client reconnects with Last-Event-ID).
    sse_ping_seconds: float = 15.0
    # Request bodies: refused with 413 past these sizes, checked as they stream in.
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 33 * 1024 * 1024  # multipart (attachments: 20 MB each, by default)
    stream_max_seconds: float = 3600.0
    # Rate limits (gateway/ratelimit.py): e.g. "1200/minute"; empty: none. Counters in
    # `rate_limit_storage`: "memory://" (per process) or "redis://host:6379" (shared).
    rate_limit_per_address: str = ""
    rate_limit_per_user: str = ""
    rate_limit_storage: str = "memory://"
    # The admin console's built files (`make console`), served at /console/ when present.
    console_dir: str = str(Path(__file__).resolve().parent.parent / "console" / "dist")

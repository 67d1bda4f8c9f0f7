"""The Prometheus endpoint, on its own port so it is never exposed through the gateway."""

from __future__ import annotations

from prometheus_client import start_http_server


def start_metrics_server(port: int, host: str = "0.0.0.0") -> int:
    """Serves /metrics in a background thread; returns the bound port (useful with 0)."""
    server, _thread = start_http_server(port, addr=host)
    return int(server.server_address[1])

"""Gateways in front of the servers a test started: the upstream map and an in-memory client."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from gateway.app import create_app
from gateway.settings import GatewaySettings


def upstreams(*served: tuple[Iterable[str], int]) -> dict[str, str]:
    """{gRPC service name: 127.0.0.1:port} for each (service names, port) given."""
    return {name: f"127.0.0.1:{port}" for names, port in served for name in names}


def gateway_app(*served: tuple[Iterable[str], int], **settings: Any) -> Any:
    return create_app(GatewaySettings(upstreams=upstreams(*served), **settings))


def gateway_client(*served: tuple[Iterable[str], int]) -> httpx.AsyncClient:
    """An HTTP client talking to a gateway app in memory (use `async with`)."""
    transport = httpx.ASGITransport(app=gateway_app(*served))
    return httpx.AsyncClient(transport=transport, base_url="http://gateway")

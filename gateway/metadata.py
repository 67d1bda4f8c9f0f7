"""What the gateway forwards to a service as gRPC metadata: the request id, the caller's token,
and the end client's address and user agent.

The client address is the peer's, unless the peer is one of our own proxies (an ingress, a load
balancer: `TICKETING_GATEWAY_TRUSTED_PROXIES`, loopback and private networks by default): then
it is the right-most X-Forwarded-For entry that is not itself a trusted proxy. Anything to the
left of that was written by the client and could say anything, so sign-in throttling and the
security log never key on it."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import cache

from starlette.requests import Request

from servicekit.errors import unauthenticated

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def forwarded(request: Request, request_id: str, trusted: Sequence[str]) -> list[tuple[str, str]]:
    """gRPC metadata for the call. Metadata values must be printable ASCII: a token that is
    not is refused (401); other headers are passed on with anything else escaped."""
    metadata = [("x-request-id", request_id)]
    if authorization := request.headers.get("authorization"):
        if not _printable_ascii(authorization):
            raise unauthenticated("TOKEN_MALFORMED", "authorization must be 'Bearer <token>'")
        metadata.append(("authorization", authorization))
    metadata.append(("x-client-ip", ascii_text(client_ip(request, trusted))))
    metadata.append(("x-client-user-agent", ascii_text(request.headers.get("user-agent", ""))))
    return metadata


def client_ip(request: Request, trusted: Sequence[str]) -> str:
    peer = request.client.host if request.client else ""
    networks = _networks(tuple(trusted))
    if not _within(peer, networks):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _within(hop, networks):
            return hop
    return hops[0] if hops else peer  # every hop is ours: the first is the client


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


@cache
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in trusted)


def _printable_ascii(text: str) -> bool:
    return text.isascii() and text.isprintable()


def ascii_text(text: str) -> str:
    return "".join(c if " " <= c <= "~" else f"\\x{ord(c):02x}" for c in text)[:512]

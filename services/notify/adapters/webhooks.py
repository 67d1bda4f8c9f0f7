"""Outbound webhooks over HTTP (httpx): the deliverer's sender for the webhook channel and the
resolver the SSRF guard uses (implement `ports.Sender` and `ports.Resolver`).

The guard: the host is resolved once, every address it resolves to must be public (or allowed
by TICKETING_WEBHOOK_ALLOWED), and the request goes to the address that was checked — the URL
carries the IP, the Host header and TLS server name carry the host, so a DNS answer that
changes between the check and the connection (rebinding) reaches nothing new. Redirects are
not followed."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

import httpx

from services.notify.domain.deliveries import Delivery, Outcome
from services.notify.domain.webhooks import SIGNATURE_HEADER, AddressPolicy, WebhookError, signature


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (empty when it does not)."""
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
        return [str(ip)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return sorted({str(info[4][0]) for info in infos})


class WebhookSender:
    def __init__(self, policy: AddressPolicy, *, timeout: float = 10.0):
        self._policy = policy
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False)

    async def send(self, delivery: Delivery, secrets: Sequence[str] = ()) -> Outcome:
        url = delivery.draft.address
        try:
            scheme, host, port = self._policy.check_url(url)
        except WebhookError as error:
            return Outcome(False, error.problem, permanent=True)
        addresses = await resolve(host, port)
        if problem := self._policy.refused(host, addresses):
            return Outcome(False, f"refused: {problem}", permanent=bool(addresses))
        body = delivery.draft.body
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "ticketing-webhooks/1",
            "X-Ticketing-Event": delivery.draft.title,
            "X-Ticketing-Delivery": delivery.id,
            "X-Ticketing-Event-Id": delivery.event_id,
            SIGNATURE_HEADER: signature(list(secrets), int(time.time()), body),
        }
        parts = urlsplit(url)
        address = addresses[0]
        literal = f"[{address}]" if ":" in address else address
        netloc = f"{literal}:{port}"
        pinned = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
        headers["Host"] = parts.netloc.rsplit("@", 1)[-1]
        try:
            response = await self._client.post(
                pinned,
                content=body.encode(),
                headers=headers,
                extensions={"sni_hostname": host} if scheme == "https" else {},
            )
        except httpx.HTTPError as error:
            return Outcome(False, f"{type(error).__name__}: {error}"[:2000])
        answer = f"{response.status_code} {response.text[:500]}".strip()
        if 200 <= response.status_code < 300:
            return Outcome(True, answer)
        # 410 Gone: the receiver says the endpoint is no more; anything else may pass.
        return Outcome(False, answer, permanent=response.status_code == 410)

    async def close(self) -> None:
        await self._client.aclose()

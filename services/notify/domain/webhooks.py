"""Outbound webhooks (第三方集成): an organisation subscribes a URL of its own system to kinds of
ticket events; each matching event is POSTed there as JSON, signed, retried for hours when the
receiver fails. Pure rules here: who may receive what, the payload, the signature, which
addresses a subscription may point at (the SSRF guard's decision; the adapter resolves)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from services.notify.domain.notices import NoticeKind, TicketNotice
from services.notify.domain.preferences import FieldError

EVENT_TYPES = tuple(f"ticket.{k.value}" for k in NoticeKind)
SIGNATURE_HEADER = "X-Ticketing-Signature"


WebhookError = FieldError  # a subscription that cannot hold


@dataclass(frozen=True)
class Secret:
    value: str
    valid_until: datetime | None = None  # a rotated-out secret still signs until then


@dataclass(frozen=True)
class Subscription:
    id: str
    organization_id: str
    url: str
    event_types: frozenset[str]
    secrets: tuple[Secret, ...]  # the current one first
    active: bool = True
    description: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def signing_secrets(self, now: datetime) -> list[str]:
        return [s.value for s in self.secrets if s.valid_until is None or s.valid_until > now]


def event_type(notice: TicketNotice) -> str:
    return f"ticket.{notice.kind.value}"


def receives(subscription: Subscription, notice: TicketNotice) -> bool:
    """An enterprise's subscription hears of its own tickets, a provider's of the tickets it
    handles; an internal note never leaves for the customer's side."""
    if not subscription.active or event_type(notice) not in subscription.event_types:
        return False
    ticket = notice.ticket
    if subscription.organization_id == ticket.enterprise_id:
        return notice.kind is not NoticeKind.INTERNAL_NOTE
    return bool(ticket.provider_id) and subscription.organization_id == ticket.provider_id


def payload(notice: TicketNotice, *, event_id: str) -> str:
    """The JSON body: stable field names, times in RFC 3339 UTC."""
    ticket = notice.ticket
    body: dict[str, Any] = {
        "id": event_id,
        "type": event_type(notice),
        "occurredAt": _time(notice.occurred_at),
        "ticket": {
            "ticketId": ticket.ticket_id,
            "number": ticket.number,
            "title": ticket.title,
            "status": ticket.status,
            "priority": ticket.priority,
            "enterpriseId": ticket.enterprise_id,
            "requesterId": ticket.requester_id,
            "providerId": ticket.provider_id,
            "engineerId": ticket.engineer_id,
        },
        "actor": {
            "userId": notice.actor.user_id,
            "kind": notice.actor.kind,
            "displayName": notice.actor.display_name,
        },
    }
    if notice.text:
        body["text"] = notice.text
    if notice.kind is NoticeKind.RATED:
        body["score"] = notice.score
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def signature(secrets: Sequence[str], timestamp: int, body: str) -> str:
    """`t=<unix seconds>,v1=<hex>[,v1=<hex>]`: HMAC-SHA256 of "<t>.<body>" under each secret
    in force (two while a rotated-out one is still valid)."""
    signed = f"{timestamp}.{body}".encode()
    parts = [f"t={timestamp}"] + [
        f"v1={hmac.new(s.encode(), signed, hashlib.sha256).hexdigest()}" for s in secrets
    ]
    return ",".join(parts)


def verify(header: str, body: str, secret: str, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (docs/api.md has the same in a few lines): the timestamp is recent
    and one v1 matches."""
    fields = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in fields if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(now - int(stamps[0])) > tolerance:
        return False
    expected = signature([secret], int(stamps[0]), body).split(",", 1)[1].removeprefix("v1=")
    return any(k == "v1" and hmac.compare_digest(v, expected) for k, v in fields)


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses a webhook may reach: public unicast only, unless allowed by the
    operator (`allowed`: host names or networks, e.g. a test receiver on 127.0.0.1)."""

    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(
        default_factory=tuple
    )

    @staticmethod
    def of(entries: Iterable[str]) -> AddressPolicy:
        hosts, networks = set(), []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower())
        return AddressPolicy(frozenset(hosts), tuple(networks))

    def check_url(self, url: str) -> tuple[str, str, int]:
        """(scheme, host, port) of a URL a subscription may hold; raises `WebhookError`."""
        if len(url) > 2000:
            raise WebhookError("url", "is at most 2000 characters")
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http"):
            raise WebhookError("url", "must be an http or https URL")
        host = (parts.hostname or "").lower()
        if not host:
            raise WebhookError("url", "has no host")
        if parts.username or parts.password:
            raise WebhookError("url", "must not carry credentials")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise WebhookError("url", "has an invalid port") from None
        return parts.scheme, host, port

    def refused(self, host: str, addresses: Sequence[str]) -> str:
        """Why these resolved addresses of `host` may not be reached ("" if they may): every
        one must be public, or the host or address allowed."""
        if not addresses:
            return f"{host} does not resolve"
        if host in self.allowed_hosts:
            return ""
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if any(address in n for n in self.allowed_networks):
                continue
            if problem := _not_public(address):
                return f"{host} resolves to {address}, {problem}"
        return ""


_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, not "private" to Python


def _not_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _not_public(address.ipv4_mapped)
    if address in _METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private or address in _SHARED:
        return "a private address"
    if address.is_multicast or address.is_reserved or address.is_unspecified:
        return "not a unicast public address"
    return ""

"""What tickets' use cases need from outside, wired once in the entrypoint (bootstrap.py) or
from fakes in unit tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from servicekit.clock import utc_now
from services.tickets.domain.attachments import AttachmentPolicy
from services.tickets.service_layer.catalog_cache import CatalogCache
from services.tickets.service_layer.ports import (
    AttachmentStore,
    ClaimPolicy,
    NoClaimLimits,
    TicketsUnit,
)
from services.tickets.settings import TicketsSettings


@dataclass
class Deps:
    uow: Callable[[], TicketsUnit]
    settings: TicketsSettings
    store: AttachmentStore
    clock: Callable[[], datetime] = field(default=utc_now)
    catalog_cache: CatalogCache = field(default_factory=lambda: CatalogCache(0))
    claims: ClaimPolicy = field(default_factory=NoClaimLimits)

    @property
    def attachment_policy(self) -> AttachmentPolicy:
        return AttachmentPolicy(max_bytes=self.settings.max_attachment_megabytes * 1024 * 1024)

    def local_day(self, moment: datetime) -> date:
        """The business day a ticket number is counted in."""
        return moment.astimezone(ZoneInfo(self.settings.ticket_number_timezone)).date()

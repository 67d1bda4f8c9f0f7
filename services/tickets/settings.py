"""Tickets' settings (prefix TICKETING_)."""

from __future__ import annotations

from servicekit.settings import BaseServiceSettings


class TicketsSettings(BaseServiceSettings):
    ticket_number_timezone: str = "Asia/Shanghai"
    auto_close_interval_seconds: float = 5.0
    auto_close_batch: int = 100
    catalog_cache_seconds: float = 5.0
    attachments_dir: str = ".data/attachments"
    max_attachment_megabytes: int = 20
    identity_topics: tuple[str, ...] = (
        "ticketing.identity.user.v1",
        "ticketing.identity.engineer.v1",
        "ticketing.identity.enterprise.v1",
    )

"""Notify's settings (prefix TICKETING_)."""

from __future__ import annotations

from servicekit.settings import BaseServiceSettings


class NotifySettings(BaseServiceSettings):
    # A ticket notify first hears of from a snapshot (its creation was lost to it) still gets
    # its receipt if it is younger than this; older ones would be noise.
    late_receipt_hours: float = 24.0
    # A stream looks again this often even without a wake-up (a safety net, not the path).
    stream_recheck_seconds: float = 30.0
    source_topics: tuple[str, ...] = (
        "ticketing.identity.user.v1",
        "ticketing.identity.engineer.v1",
        "ticketing.identity.role.v1",
        "ticketing.tickets.ticket.v1",
    )

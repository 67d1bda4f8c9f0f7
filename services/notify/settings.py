"""Notify's settings (prefix TICKETING_)."""

from __future__ import annotations

from servicekit.settings import BaseServiceSettings


class NotifySettings(BaseServiceSettings):
    source_topics: tuple[str, ...] = (
        "ticketing.identity.user.v1",
        "ticketing.identity.engineer.v1",
        "ticketing.identity.role.v1",
        "ticketing.tickets.ticket.v1",
    )

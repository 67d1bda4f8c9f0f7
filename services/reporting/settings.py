"""Reporting's settings (prefix TICKETING_)."""

from __future__ import annotations

from servicekit.settings import BaseServiceSettings


class ReportingSettings(BaseServiceSettings):
    # Buckets are cut in this zone when a report names none (the platform's customers are in
    # China; a caller elsewhere passes filter.time_zone).
    report_time_zone: str = "Asia/Shanghai"
    # A report without a time range covers this many days up to now.
    report_default_days: int = 30
    # Everything reporting keeps in its ledger: every topic that carries events.
    source_topics: tuple[str, ...] = (
        "ticketing.identity.enterprise.v1",
        "ticketing.identity.provider.v1",
        "ticketing.identity.user.v1",
        "ticketing.identity.engineer.v1",
        "ticketing.identity.role.v1",
        "ticketing.tickets.ticket.v1",
        "ticketing.tickets.catalog.v1",
        "ticketing.dispatch.decision.v1",
        "ticketing.dispatch.sla.v1",
    )

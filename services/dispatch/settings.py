"""Dispatch's settings (prefix TICKETING_)."""

from __future__ import annotations

from servicekit.settings import BaseServiceSettings


class DispatchSettings(BaseServiceSettings):
    # Tickets' and identity's gRPC addresses (dispatch → tickets to assign, → identity to sign in).
    tickets_address: str = "127.0.0.1:50052"
    identity_address: str = "127.0.0.1:50051"
    # Dispatch's service account (identity's TICKETING_SERVICE_ACCOUNTS holds the same secret).
    service_account: str = "svc-dispatch"
    service_account_secret: str = ""
    # Applying decisions: how many per round, how often when idle, attempts before giving up.
    apply_batch: int = 50
    apply_interval_seconds: float = 0.5
    apply_max_attempts: int = 20
    apply_concurrency: int = 16  # AssignTicket calls in flight at once
    source_topics: tuple[str, ...] = (
        "ticketing.identity.provider.v1",
        "ticketing.identity.engineer.v1",
        "ticketing.identity.enterprise.v1",
        "ticketing.tickets.ticket.v1",
    )
    # The SLA timer: tickets looked at per round, and how often it looks (alerts fire within
    # this interval of coming due).
    sla_batch: int = 200
    sla_interval_seconds: float = 0.5
    # Re-dispatch: how often a ticket nobody started is handed to the next engineer before it
    # is left to the provider's admins.
    redispatch_limit: int = 2

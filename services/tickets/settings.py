"""Tickets' settings (prefix TICKETING_)."""

from __future__ import annotations

from pydantic import model_validator

from servicekit.settings import ENV_PREFIX, BaseServiceSettings

DEVELOPMENT_PAGE_TOKEN_SECRET = "development-page-token-secret"


class TicketsSettings(BaseServiceSettings):
    ticket_number_timezone: str = "Asia/Shanghai"
    auto_close_interval_seconds: float = 5.0
    auto_close_batch: int = 100
    catalog_cache_seconds: float = 5.0
    attachments_dir: str = ".data/attachments"
    max_attachment_megabytes: int = 20
    # Signs ticket lists' page tokens (keyset positions); the same on every replica.
    page_token_secret: str = DEVELOPMENT_PAGE_TOKEN_SECRET
    # Lists count matches (on their first page) up to this many, text searches up to the
    # second; beyond it total_size stops there and totalSizeCapped is set.
    list_count_cap: int = 1000
    list_search_count_cap: int = 100
    # How many count deltas the timer folds into ticket_counts per statement.
    count_fold_batch: int = 50_000
    # Dispatch's gRPC address: asked before an engineer claims a pool ticket (capacity, the
    # rule's claim limit). Empty: claims are not limited beyond tickets' own rules.
    dispatch_address: str = ""
    identity_topics: tuple[str, ...] = (
        "ticketing.identity.user.v1",
        "ticketing.identity.engineer.v1",
        "ticketing.identity.enterprise.v1",
        "ticketing.identity.provider.v1",
    )

    @model_validator(mode="after")
    def _production_needs_a_page_token_secret(self) -> TicketsSettings:
        if self.environment == "production" and self.page_token_secret in (
            "",
            DEVELOPMENT_PAGE_TOKEN_SECRET,
        ):
            raise ValueError(f"production requires {ENV_PREFIX}PAGE_TOKEN_SECRET")
        return self

"""Identity's settings (prefix TICKETING_)."""

from __future__ import annotations

from pydantic import Field, model_validator

from servicekit.settings import BaseServiceSettings

# Used only in development and tests; production refuses to start with it.
DEVELOPMENT_KEY_ENCRYPTION_KEY = "ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMtISE="


class IdentitySettings(BaseServiceSettings):
    access_token_ttl_seconds: int = 600
    refresh_token_ttl_days: int = 14
    wechat_binding_ttl_seconds: int = 600
    key_encryption_key: str = DEVELOPMENT_KEY_ENCRYPTION_KEY
    wechat_app_id: str = "wx-development"
    wechat_app_secret: str = "development-secret"
    wechat_api_base: str = "https://api.weixin.qq.com"
    # Service accounts to keep, name → client secret (JSON in TICKETING_SERVICE_ACCOUNTS):
    # each is the platform user svc-<name> with the built-in role service-<name>.
    service_accounts: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _no_development_key_in_production(self) -> IdentitySettings:
        if not self.is_development and self.key_encryption_key == DEVELOPMENT_KEY_ENCRYPTION_KEY:
            raise ValueError("production requires TICKETING_KEY_ENCRYPTION_KEY (a Fernet key)")
        return self

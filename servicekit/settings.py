"""Typed settings read from the environment (prefix TICKETING_), validated at start-up."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "TICKETING_"


class BaseServiceSettings(BaseSettings):
    """What every service process needs. Services subclass it to add their own fields."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"
    grpc_listen: str = "127.0.0.1:0"
    metrics_port: int | None = None
    database_url: str = ""
    kafka_bootstrap: str = ""
    jwks_url: str = ""
    jwt_issuer: str = "ticketing-identity"
    jwt_audience: str = "ticketing"
    shutdown_grace_seconds: float = 5.0

    @model_validator(mode="after")
    def _production_needs_real_peers(self) -> BaseServiceSettings:
        if self.environment == "production":
            missing = [
                name
                for name in ("database_url", "kafka_bootstrap", "jwks_url")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(
                    f"production requires {', '.join(ENV_PREFIX + m.upper() for m in missing)}"
                )
        return self

    @property
    def is_development(self) -> bool:
        return self.environment in ("development", "test")

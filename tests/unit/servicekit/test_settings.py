"""Settings are typed, read from the environment and refuse unsafe production set-ups."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from servicekit.settings import BaseServiceSettings


def test_settings_come_from_prefixed_environment(monkeypatch):
    monkeypatch.setenv("TICKETING_DATABASE_URL", "postgresql+psycopg://db/x")
    monkeypatch.setenv("TICKETING_METRICS_PORT", "9100")
    settings = BaseServiceSettings()
    assert settings.database_url == "postgresql+psycopg://db/x"
    assert settings.metrics_port == 9100


def test_production_without_peers_is_refused(monkeypatch):
    monkeypatch.setenv("TICKETING_ENVIRONMENT", "production")
    monkeypatch.setenv("TICKETING_DATABASE_URL", "postgresql+psycopg://db/x")
    with pytest.raises(ValidationError, match="TICKETING_KAFKA_BOOTSTRAP, TICKETING_JWKS_URL"):
        BaseServiceSettings()


def test_wrong_type_names_the_setting(monkeypatch):
    monkeypatch.setenv("TICKETING_METRICS_PORT", "lots")
    with pytest.raises(ValidationError, match="metrics_port"):
        BaseServiceSettings()

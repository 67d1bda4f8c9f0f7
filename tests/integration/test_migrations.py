"""Every service's migrations create exactly the tables its code declares, and go down and up
again cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command

from servicekit.migrations import alembic_config, upgrade

SERVICES = Path(__file__).resolve().parents[2] / "services"


@pytest.mark.parametrize("service", ["identity", "tickets", "dispatch", "notify", "reporting"])
def test_migrations_match_the_tables_and_downgrade_cleanly(create_database, service):
    url = create_database(f"{service}_migrations")
    upgrade(SERVICES / service / "migrations", url)
    config = alembic_config(SERVICES / service / "migrations", url)
    command.check(config)  # autogenerate finds no difference between tables.py and the database
    command.downgrade(config, "base")
    command.upgrade(config, "head")

"""Alembic per service: `python -m servicekit.migrations <migrations folder>` upgrades the
database of TICKETING_DATABASE_URL to head. A service's migrations/env.py calls `run_env`."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, pool

from servicekit.settings import BaseServiceSettings


def alembic_config(script_location: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(script_location: Path, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(script_location, database_url), revision)


def run_env(target_metadata: MetaData | None = None, *, run_time_tables: str = "") -> None:
    """The body of every service's migrations/env.py (synchronous psycopg connection).
    `run_time_tables`: a regular expression of table names the service makes as it runs
    (partitions), which autogenerate leaves alone."""
    url = context.config.get_main_option("sqlalchemy.url") or ""

    def include_name(name: str | None, type_: str, _parents: object) -> bool:
        return not (
            type_ == "table" and run_time_tables and re.fullmatch(run_time_tables, name or "")
        )

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, include_name=include_name
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python -m servicekit.migrations <migrations folder>")
    upgrade(Path(sys.argv[1]), BaseServiceSettings().database_url)


if __name__ == "__main__":
    main()

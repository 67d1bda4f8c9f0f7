"""Async SQLAlchemy 2 (Core) engines over psycopg 3, one database per service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg._queries as _psycopg_queries
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# psycopg converts a query to PostgreSQL's placeholders on every call unless it has at most
# 50 parameters (then the conversion is cached). Tickets' create is one statement of 61
# (number, ticket, history entry and event together), and converting it took about a quarter
# of the tickets process's time under load (py-spy); our statements are built once with bound
# parameters, so caching a few larger ones costs little memory.
_psycopg_queries.MAX_CACHED_STATEMENT_PARAMS = max(
    _psycopg_queries.MAX_CACHED_STATEMENT_PARAMS, 128
)


def create_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    # No pre-ping: it costs a round trip on every checkout (measured: ~8 % of ticket-creation
    # throughput). After a database restart each stale pooled connection fails one call and is
    # replaced; connections are also recycled every 30 minutes.
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=False, pool_recycle=1800
    )


def upsert(table: Table, values: Mapping[str, Any], *, key: Sequence[str]) -> Insert:
    """INSERT … ON CONFLICT (key) DO UPDATE every other given column: write a row's state."""
    statement = insert(table).values(**values)
    changed = {name: statement.excluded[name] for name in values if name not in key}
    return statement.on_conflict_do_update(index_elements=list(key), set_=changed)

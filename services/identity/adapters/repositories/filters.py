"""Small helpers shared by identity's repositories."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.sql import Select


def within(column: ColumnElement[str], visible: frozenset[str] | None) -> ColumnElement[bool]:
    """`column IN visible`; no restriction when visible is None (platform staff)."""
    if visible is None:
        return true()
    if not visible:
        return false()
    return column.in_(sorted(visible))


def contains_text(column: ColumnElement[str], text: str) -> ColumnElement[bool]:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def paged(query: Select, offset: int, limit: int) -> Select:  # type: ignore[type-arg]
    return query.offset(offset).limit(limit)

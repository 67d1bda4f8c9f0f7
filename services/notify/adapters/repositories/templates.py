"""Customized message templates on PostgreSQL (implements `ports.Templates`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicekit.db import upsert
from services.notify.adapters.tables import templates
from services.notify.domain.templates import Template, TemplateKey
from services.notify.service_layer.ports import StoredTemplate


class TemplateRepository:
    def __init__(self, connection: AsyncConnection):
        self._db = connection

    async def get(self, key: TemplateKey) -> StoredTemplate | None:
        row = (await self._db.execute(select(templates).where(templates.c.id == key.id))).first()
        return _stored(row) if row else None

    async def customized(self) -> dict[str, StoredTemplate]:
        rows = await self._db.execute(select(templates))
        return {row.id: stored for row in rows if (stored := _stored(row))}

    async def save(self, stored: StoredTemplate) -> None:
        row = {
            "id": stored.key.id,
            "title": stored.template.title,
            "body": stored.template.body,
            "updated_at": stored.updated_at,
            "updated_by": stored.updated_by,
        }
        await self._db.execute(upsert(templates, row, key=["id"]))

    async def remove(self, key: TemplateKey) -> None:
        await self._db.execute(delete(templates).where(templates.c.id == key.id))


def _stored(row: Any) -> StoredTemplate | None:
    key = TemplateKey.parse(row.id)
    if key is None:
        return None  # a kind or locale this version no longer has
    return StoredTemplate(key, Template(row.title, row.body), row.updated_at, row.updated_by)

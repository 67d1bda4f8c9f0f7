"""Notification preferences on PostgreSQL (implements `ports.Preferences`): one row per layer
(an organisation's defaults, a user's choices), the layer as a JSON document holding only what
it sets:

    {"switches": {"outcome.email": false, ...},
     "quietHours": {"start": "22:00", "end": "08:00", "timeZone": "Asia/Shanghai",
                    "enabled": true, "criticalPasses": true},   # absent: inherit
     "serviceTypeIds": ["st-1", ...]}                            # absent: inherit
"""

from __future__ import annotations

from datetime import time
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from servicekit.db import upsert
from services.notify.adapters.tables import preferences
from services.notify.domain.preferences import Channel, Layer, PreferenceSet, QuietHours, Topic
from services.notify.service_layer.ports import Person, StoredPreferences


class PreferenceRepository:
    def __init__(self, connection: AsyncConnection):
        self._db = connection

    async def get(self, layer: Layer, owner_id: str) -> StoredPreferences | None:
        query = select(preferences).where(
            preferences.c.scope == layer.value, preferences.c.owner_id == owner_id
        )
        row = (await self._db.execute(query)).first()
        return _stored(row) if row else None

    async def of_people(
        self, people: list[Person]
    ) -> dict[str, tuple[PreferenceSet | None, PreferenceSet | None]]:
        if not people:
            return {}
        wanted = {(Layer.USER.value, p.id) for p in people} | {
            (Layer.ORGANIZATION.value, p.organization_id) for p in people if p.organization_id
        }
        query = select(preferences).where(
            tuple_(preferences.c.scope, preferences.c.owner_id).in_(sorted(wanted))
        )
        found = {(row.scope, row.owner_id): document_set(row.document) for row in
                 await self._db.execute(query)}  # fmt: skip
        return {
            p.id: (
                found.get((Layer.ORGANIZATION.value, p.organization_id)),
                found.get((Layer.USER.value, p.id)),
            )
            for p in people
        }

    async def save(self, stored: StoredPreferences) -> None:
        row = {
            "scope": stored.layer.value,
            "owner_id": stored.owner_id,
            "document": set_document(stored.preferences),
            "updated_at": stored.updated_at,
            "updated_by": stored.updated_by,
        }
        await self._db.execute(upsert(preferences, row, key=["scope", "owner_id"]))


def set_document(prefs: PreferenceSet) -> dict[str, Any]:
    document: dict[str, Any] = {
        "switches": {f"{t.value}.{c.value}": on for (t, c), on in sorted(prefs.switches.items())}
    }
    if (quiet := prefs.quiet_hours) is not None:
        document["quietHours"] = {
            "start": quiet.start.strftime("%H:%M"),
            "end": quiet.end.strftime("%H:%M"),
            "timeZone": quiet.time_zone,
            "enabled": quiet.enabled,
            "criticalPasses": quiet.critical_passes,
        }
    if prefs.service_type_ids is not None:
        document["serviceTypeIds"] = sorted(prefs.service_type_ids)
    return document


def document_set(document: dict[str, Any]) -> PreferenceSet:
    switches = {}
    for key, on in document.get("switches", {}).items():
        topic, _, channel = key.partition(".")
        try:
            switches[(Topic(topic), Channel(channel))] = bool(on)
        except ValueError:
            continue  # a topic or channel this version no longer has
    quiet = None
    if (q := document.get("quietHours")) is not None:
        quiet = QuietHours(
            start=time.fromisoformat(q["start"]),
            end=time.fromisoformat(q["end"]),
            time_zone=q["timeZone"],
            enabled=q["enabled"],
            critical_passes=q["criticalPasses"],
        )
    types = document.get("serviceTypeIds")
    return PreferenceSet(
        switches=switches,
        quiet_hours=quiet,
        service_type_ids=frozenset(types) if types is not None else None,
    )


def _stored(row: Any) -> StoredPreferences:
    return StoredPreferences(
        Layer(row.scope), row.owner_id, document_set(row.document), row.updated_at, row.updated_by
    )

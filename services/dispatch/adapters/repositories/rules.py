"""Rules and their version history. A rule's definition (conditions, target, strategy) is
stored as JSON; every stored version is kept in `rule_versions`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dispatch.adapters.tables import rule_versions, rules
from services.dispatch.domain.routing import Conditions, Rule, Stage, Strategy, TimeWindow
from services.dispatch.service_layer.ports import StoredRule


def definition(rule: Rule) -> dict[str, Any]:
    c, w = rule.conditions, rule.conditions.window
    return {
        "enterprise_ids": sorted(c.enterprise_ids),
        "service_type_ids": sorted(c.service_type_ids),
        "service_level_ids": sorted(c.service_level_ids),
        "priorities": sorted(c.priorities),
        "channels": sorted(c.channels),
        "custom_fields": {k: sorted(v) for k, v in c.custom_fields.items()},
        "window": None
        if w is None
        else {
            "weekdays": sorted(w.weekdays),
            "start_minute": w.start_minute,
            "end_minute": w.end_minute,
            "timezone": w.timezone,
        },
        "strategy": rule.strategy.value,
        "then": rule.then.value,
        "claim_window_seconds": rule.claim_window.total_seconds(),
        "required_skills": sorted(rule.required_skills),
        "claim_limit": rule.claim_limit,
        "escalate_after_seconds": rule.escalate_after.total_seconds()
        if rule.escalate_after
        else None,
    }


def rule_of(row: Row[Any]) -> Rule:
    d = row.definition
    window = d.get("window")
    escalate = d.get("escalate_after_seconds")
    return Rule(
        id=row.id,
        version=row.version,
        name=row.display_name,
        conditions=Conditions(
            enterprise_ids=frozenset(d["enterprise_ids"]),
            service_type_ids=frozenset(d["service_type_ids"]),
            service_level_ids=frozenset(d["service_level_ids"]),
            priorities=frozenset(d["priorities"]),
            channels=frozenset(d["channels"]),
            custom_fields={k: frozenset(v) for k, v in d["custom_fields"].items()},
            window=TimeWindow(
                weekdays=frozenset(window["weekdays"]),
                start_minute=window["start_minute"],
                end_minute=window["end_minute"],
                timezone=window["timezone"],
            )
            if window
            else None,
        ),
        provider_id=row.provider_id,
        strategy=Strategy(d["strategy"]),
        then=Strategy(d["then"]),
        claim_window=timedelta(seconds=d["claim_window_seconds"]),
        required_skills=frozenset(d["required_skills"]),
        enabled=row.enabled,
        position=row.position,
        escalate_after=timedelta(seconds=escalate) if escalate is not None else None,
        stage=Stage(row.stage),
        claim_limit=d.get("claim_limit", 0),
    )


class RuleRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def add(self, rule: Rule, actor_id: str) -> StoredRule:
        await self._db.execute(insert(rules).values(id=rule.id, **self._values(rule)))
        return await self._versioned(rule, actor_id)

    async def save(self, rule: Rule, actor_id: str) -> StoredRule:
        await self._db.execute(
            update(rules)
            .where(rules.c.id == rule.id)
            .values(updated_at=func.now(), **self._values(rule))
        )
        return await self._versioned(rule, actor_id)

    async def get(self, rule_id: str) -> StoredRule | None:
        row = (
            await self._db.execute(
                select(rules).where(rules.c.id == rule_id, rules.c.deleted_at.is_(None))
            )
        ).first()
        return _stored(row) if row else None

    async def find(
        self,
        *,
        provider_id: str,
        show_disabled: bool,
        offset: int,
        limit: int,
        stage: Stage | None = None,
    ) -> list[StoredRule]:
        query = select(rules).where(rules.c.deleted_at.is_(None))
        if provider_id:
            query = query.where(rules.c.provider_id == provider_id)
        if stage is not None:
            query = query.where(rules.c.stage == stage.value)
        if not show_disabled:
            query = query.where(rules.c.enabled)
        rows = await self._db.execute(
            query.order_by(rules.c.position, rules.c.created_at, rules.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [_stored(r) for r in rows]

    async def remove(self, rule_id: str) -> None:
        """Soft: decisions keep naming the rule, and its history stays readable."""
        await self._db.execute(
            update(rules).where(rules.c.id == rule_id).values(deleted_at=func.now())
        )

    async def _versioned(self, rule: Rule, actor_id: str) -> StoredRule:
        whole = definition(rule) | {
            "display_name": rule.name,
            "provider_id": rule.provider_id,
            "enabled": rule.enabled,
            "position": rule.position,
            "stage": rule.stage.value,
        }
        await self._db.execute(
            insert(rule_versions).values(
                rule_id=rule.id, version=rule.version, definition=whole, actor_id=actor_id
            )
        )
        stored = await self.get(rule.id)
        assert stored is not None
        return stored

    @staticmethod
    def _values(rule: Rule) -> dict[str, object]:
        return {
            "version": rule.version,
            "position": rule.position,
            "display_name": rule.name,
            "enabled": rule.enabled,
            "definition": definition(rule),
            "provider_id": rule.provider_id,
            "stage": rule.stage.value,
        }


def _stored(row: Row[Any]) -> StoredRule:
    return StoredRule(rule_of(row), row.created_at, row.updated_at)

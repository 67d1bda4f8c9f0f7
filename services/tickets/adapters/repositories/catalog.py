"""Service types and service levels."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Row, delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.tickets.adapters.tables import service_levels, service_types, tickets
from services.tickets.domain.catalog import (
    ApprovalStep,
    ApproverSide,
    FieldType,
    FormField,
    Priority,
    ServiceLevel,
    ServiceType,
)


def _form(data: list[dict]) -> list[FormField]:  # type: ignore[type-arg]
    return [FormField(**{**f, "type": FieldType(f["type"])}) for f in data]


def _form_json(fields: list[FormField]) -> list[dict]:  # type: ignore[type-arg]
    return [{**f.__dict__, "type": f.type.value} for f in fields]


def _type(row: Row) -> ServiceType:  # type: ignore[type-arg]
    return ServiceType(
        id=row.id,
        display_name=row.display_name,
        parent_id=row.parent_id or "",
        level=row.level,
        sort_order=row.sort_order,
        enabled=row.enabled,
        form_fields=_form(row.form_fields),
        default_service_level_id=row.default_service_level_id,
        skills=list(row.skills),
        description=row.description,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _seconds(value: int | None) -> timedelta | None:
    return timedelta(seconds=value) if value is not None else None


def steps_from_json(data: list[dict]) -> list[ApprovalStep]:  # type: ignore[type-arg]
    return [ApprovalStep(s["level"], s["permission_code"], ApproverSide(s["side"])) for s in data]


def steps_to_json(steps: list[ApprovalStep]) -> list[dict]:  # type: ignore[type-arg]
    return [
        {"level": s.level, "permission_code": s.permission_code, "side": s.side.value}
        for s in steps
    ]


def _level(row: Row) -> ServiceLevel:  # type: ignore[type-arg]
    return ServiceLevel(
        id=row.id,
        display_name=row.display_name,
        priority=Priority(row.priority),
        response_target=_seconds(row.response_target_seconds),
        resolution_target=_seconds(row.resolution_target_seconds),
        approval_steps=steps_from_json(row.approval_steps),
        auto_close_delay=timedelta(seconds=row.auto_close_delay_seconds),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class CatalogRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def add_type(self, item: ServiceType) -> ServiceType:
        row = (
            await self._db.execute(
                insert(service_types).values(**self._type_values(item)).returning(service_types)
            )
        ).one()
        return _type(row)

    async def get_type(self, type_id: str) -> ServiceType | None:
        row = (
            await self._db.execute(select(service_types).where(service_types.c.id == type_id))
        ).first()
        return _type(row) if row else None

    async def list_types(self, *, parent_id: str, show_disabled: bool) -> list[ServiceType]:
        query = select(service_types).order_by(
            service_types.c.level, service_types.c.sort_order, service_types.c.created_at
        )
        if parent_id:
            query = query.where(service_types.c.parent_id == parent_id)
        if not show_disabled:
            query = query.where(service_types.c.enabled)
        return [_type(r) for r in await self._db.execute(query)]

    async def has_children(self, type_id: str) -> bool:
        """Whether any enabled service type sits below this one."""
        child = await self._db.scalar(
            select(service_types.c.id)
            .where(service_types.c.parent_id == type_id, service_types.c.enabled)
            .limit(1)
        )
        return child is not None

    async def save_type(self, item: ServiceType) -> ServiceType:
        row = (
            await self._db.execute(
                update(service_types)
                .where(service_types.c.id == item.id)
                .values(updated_at=func.now(), **self._type_values(item))
                .returning(service_types)
            )
        ).one()
        return _type(row)

    async def remove_type(self, type_id: str) -> None:
        await self._db.execute(delete(service_types).where(service_types.c.id == type_id))

    async def type_in_use(self, type_id: str) -> bool:
        children = exists().where(service_types.c.parent_id == type_id)
        used = exists().where(tickets.c.service_type_id == type_id)
        return bool(await self._db.scalar(select(children | used)))

    async def type_name_taken(self, parent_id: str, name: str, *, excluding: str) -> bool:
        found = await self._db.scalar(
            select(service_types.c.id).where(
                func.coalesce(service_types.c.parent_id, "") == parent_id,
                service_types.c.display_name == name,
                service_types.c.id != excluding,
            )
        )
        return found is not None

    async def add_level(self, item: ServiceLevel) -> ServiceLevel:
        row = (
            await self._db.execute(
                insert(service_levels).values(**self._level_values(item)).returning(service_levels)
            )
        ).one()
        return _level(row)

    async def get_level(self, level_id: str) -> ServiceLevel | None:
        row = (
            await self._db.execute(select(service_levels).where(service_levels.c.id == level_id))
        ).first()
        return _level(row) if row else None

    async def list_levels(self) -> list[ServiceLevel]:
        rows = await self._db.execute(
            select(service_levels).order_by(
                service_levels.c.priority.desc(), service_levels.c.display_name
            )
        )
        return [_level(r) for r in rows]

    async def save_level(self, item: ServiceLevel) -> ServiceLevel:
        row = (
            await self._db.execute(
                update(service_levels)
                .where(service_levels.c.id == item.id)
                .values(updated_at=func.now(), **self._level_values(item))
                .returning(service_levels)
            )
        ).one()
        return _level(row)

    async def remove_level(self, level_id: str) -> None:
        await self._db.execute(delete(service_levels).where(service_levels.c.id == level_id))

    async def level_in_use(self, level_id: str) -> bool:
        by_type = exists().where(service_types.c.default_service_level_id == level_id)
        open_tickets = exists().where(
            tickets.c.service_level_id == level_id,
            tickets.c.status.notin_(["closed", "rejected", "cancelled"]),
        )
        return bool(await self._db.scalar(select(by_type | open_tickets)))

    async def level_name_taken(self, name: str, *, excluding: str) -> bool:
        found = await self._db.scalar(
            select(service_levels.c.id).where(
                service_levels.c.display_name == name, service_levels.c.id != excluding
            )
        )
        return found is not None

    @staticmethod
    def _type_values(item: ServiceType) -> dict[str, object]:
        return {
            "id": item.id,
            "display_name": item.display_name,
            "parent_id": item.parent_id or None,
            "level": item.level,
            "sort_order": item.sort_order,
            "enabled": item.enabled,
            "form_fields": _form_json(item.form_fields),
            "default_service_level_id": item.default_service_level_id,
            "skills": item.skills,
            "description": item.description,
        }

    @staticmethod
    def _level_values(item: ServiceLevel) -> dict[str, object]:
        def seconds(value: timedelta | None) -> int | None:
            return int(value.total_seconds()) if value is not None else None

        return {
            "id": item.id,
            "display_name": item.display_name,
            "priority": int(item.priority),
            "response_target_seconds": seconds(item.response_target),
            "resolution_target_seconds": seconds(item.resolution_target),
            "approval_steps": steps_to_json(item.approval_steps),
            "auto_close_delay_seconds": int(item.auto_close_delay.total_seconds()),
        }

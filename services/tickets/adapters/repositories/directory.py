"""Tickets' read model of identity (people and designations), fed by identity's events."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicekit.db import upsert
from services.tickets.adapters.tables import (
    directory_departments,
    directory_designations,
    directory_people,
    directory_providers,
)
from services.tickets.service_layer.ports import Person


class DirectoryRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def person(self, person_id: str) -> Person | None:
        row = (
            await self._db.execute(
                select(directory_people).where(directory_people.c.id == person_id)
            )
        ).first()
        return Person(**row._mapping) if row else None

    async def provider_of_engineer(self, engineer_id: str) -> str:
        """The provider of an active engineer; "" when unknown or inactive."""
        person = await self.person(engineer_id)
        return (
            person.organization_id if person and person.active and person.kind == "engineer" else ""
        )

    async def is_designated(self, enterprise_id: str, provider_id: str) -> bool:
        found = await self._db.scalar(
            select(directory_designations.c.provider_id).where(
                directory_designations.c.enterprise_id == enterprise_id,
                directory_designations.c.provider_id == provider_id,
            )
        )
        return found is not None

    async def people(self, person_ids: Iterable[str]) -> dict[str, Person]:
        wanted = sorted({i for i in person_ids if i})
        if not wanted:
            return {}
        rows = await self._db.execute(
            select(directory_people).where(directory_people.c.id.in_(wanted))
        )
        return {row.id: Person(**row._mapping) for row in rows}

    async def provider_names(self, provider_ids: Iterable[str]) -> dict[str, str]:
        wanted = sorted({i for i in provider_ids if i})
        if not wanted:
            return {}
        rows = await self._db.execute(
            select(directory_providers).where(directory_providers.c.id.in_(wanted))
        )
        return {row.id: row.display_name for row in rows}

    async def set_provider_name(self, provider_id: str, display_name: str) -> None:
        values = {"id": provider_id, "display_name": display_name}
        await self._db.execute(upsert(directory_providers, values, key=["id"]))

    async def upsert_person(self, person: Person) -> None:
        await self._db.execute(upsert(directory_people, person.__dict__, key=["id"]))

    async def department_subtree(self, department_id: str) -> frozenset[str]:
        """The department and every department below it, as identity last told us."""
        rows = await self._db.execute(
            select(directory_departments.c.id, directory_departments.c.parent_id).where(
                directory_departments.c.enterprise_id
                == select(directory_departments.c.enterprise_id)
                .where(directory_departments.c.id == department_id)
                .scalar_subquery()
            )
        )
        children: dict[str, list[str]] = {}
        for row in rows:
            children.setdefault(row.parent_id, []).append(row.id)
        found, stack = {department_id}, [department_id]
        while stack:
            for child in children.get(stack.pop(), []):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return frozenset(found)

    async def set_department(
        self, department_id: str, enterprise_id: str, parent_id: str, *, present: bool
    ) -> None:
        if not present:
            await self._db.execute(
                delete(directory_departments).where(directory_departments.c.id == department_id)
            )
            return
        values = {"id": department_id, "enterprise_id": enterprise_id, "parent_id": parent_id}
        await self._db.execute(upsert(directory_departments, values, key=["id"]))

    async def set_designation(self, enterprise_id: str, provider_id: str, *, present: bool) -> None:
        if present:
            await self._db.execute(
                insert(directory_designations)
                .values(enterprise_id=enterprise_id, provider_id=provider_id)
                .on_conflict_do_nothing()
            )
        else:
            await self._db.execute(
                delete(directory_designations).where(
                    directory_designations.c.enterprise_id == enterprise_id,
                    directory_designations.c.provider_id == provider_id,
                )
            )

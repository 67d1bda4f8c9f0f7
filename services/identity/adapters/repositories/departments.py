"""An enterprise's departments."""

from __future__ import annotations

from sqlalchemy import Row, delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity.adapters.tables import departments, users
from services.identity.domain.departments import Department


def _from_row(row: Row) -> Department:  # type: ignore[type-arg]
    return Department(
        id=row.id,
        enterprise_id=row.enterprise_id,
        display_name=row.display_name,
        parent_id=row.parent_id or "",
        sort_order=row.sort_order,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class DepartmentRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def add(self, department: Department) -> Department:
        row = (
            await self._db.execute(
                insert(departments).values(**self._values(department)).returning(departments)
            )
        ).one()
        return _from_row(row)

    async def get(self, enterprise_id: str, department_id: str) -> Department | None:
        row = (
            await self._db.execute(
                select(departments).where(
                    departments.c.enterprise_id == enterprise_id,
                    departments.c.id == department_id,
                )
            )
        ).first()
        return _from_row(row) if row else None

    async def find(self, enterprise_id: str) -> list[Department]:
        rows = await self._db.execute(
            select(departments)
            .where(departments.c.enterprise_id == enterprise_id)
            .order_by(departments.c.sort_order, departments.c.created_at)
        )
        return [_from_row(r) for r in rows]

    async def parents(self, enterprise_id: str, *, lock: bool = False) -> dict[str, str]:
        query = select(departments.c.id, departments.c.parent_id).where(
            departments.c.enterprise_id == enterprise_id
        )
        rows = await self._db.execute(query.with_for_update() if lock else query)
        return {r.id: r.parent_id or "" for r in rows}

    async def save(self, department: Department) -> Department:
        row = (
            await self._db.execute(
                update(departments)
                .where(departments.c.id == department.id)
                .values(updated_at=func.now(), **self._values(department))
                .returning(departments)
            )
        ).one()
        return _from_row(row)

    async def remove(self, department_id: str) -> None:
        await self._db.execute(delete(departments).where(departments.c.id == department_id))

    async def has_children(self, department_id: str) -> bool:
        return bool(
            await self._db.scalar(select(exists().where(departments.c.parent_id == department_id)))
        )

    async def has_users(self, department_id: str) -> bool:
        return bool(
            await self._db.scalar(
                select(
                    exists().where(
                        users.c.department_id == department_id, users.c.deleted_at.is_(None)
                    )
                )
            )
        )

    @staticmethod
    def _values(department: Department) -> dict[str, object]:
        return {
            "id": department.id,
            "enterprise_id": department.enterprise_id,
            "display_name": department.display_name,
            "parent_id": department.parent_id or None,
            "sort_order": department.sort_order,
        }

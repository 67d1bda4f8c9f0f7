"""Enterprises, providers and designations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity.adapters.repositories.filters import contains_text, paged, within
from services.identity.adapters.tables import designations, organizations
from services.identity.domain.organizations import Organization, OrgKind, OrgState
from services.identity.service_layer.ports import OrganizationFilter

_FIELDS = ("display_name", "industry", "contact_name", "contact_phone", "address", "logo_url",
           "tags")  # fmt: skip


def _from_row(row: Row) -> Organization:  # type: ignore[type-arg]
    return Organization(
        id=row.id,
        kind=OrgKind(row.kind),
        state=OrgState(row.state),
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
        **{name: getattr(row, name) for name in _FIELDS},
    )


class OrganizationRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def add(self, org: Organization) -> Organization:
        row = (
            await self._db.execute(
                insert(organizations)
                .values(id=org.id, kind=org.kind.value, state=org.state.value, **self._values(org))
                .returning(organizations)
            )
        ).one()
        return _from_row(row)

    async def get(
        self, kind: OrgKind, org_id: str, *, visible: frozenset[str] | None, lock: bool = False
    ) -> Organization | None:
        query = select(organizations).where(
            organizations.c.kind == kind.value,
            organizations.c.id == org_id,
            within(organizations.c.id, visible),
        )
        row = (await self._db.execute(query.with_for_update() if lock else query)).first()
        return _from_row(row) if row else None

    async def save(self, org: Organization) -> Organization:
        row = (
            await self._db.execute(
                update(organizations)
                .where(organizations.c.id == org.id)
                .values(
                    state=org.state.value,
                    deleted_at=org.deleted_at,
                    updated_at=func.now(),
                    **self._values(org),
                )
                .returning(organizations)
            )
        ).one()
        return _from_row(row)

    async def find(
        self,
        kind: OrgKind,
        *,
        visible: frozenset[str] | None,
        where: OrganizationFilter,
        offset: int,
        limit: int,
    ) -> tuple[list[Organization], int]:
        conditions = [organizations.c.kind == kind.value, within(organizations.c.id, visible)]
        if not where.show_deleted:
            conditions.append(organizations.c.deleted_at.is_(None))
        if where.display_name:
            conditions.append(contains_text(organizations.c.display_name, where.display_name))
        if where.industry:
            conditions.append(organizations.c.industry == where.industry)
        if where.state is not None:
            conditions.append(organizations.c.state == where.state.value)
        query = select(organizations).where(*conditions)
        total = await self._db.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self._db.execute(
            paged(query.order_by(organizations.c.created_at, organizations.c.id), offset, limit)
        )
        return [_from_row(r) for r in rows], int(total or 0)

    async def name_taken(self, kind: OrgKind, name: str, *, excluding: str = "") -> bool:
        found = await self._db.scalar(
            select(organizations.c.id).where(
                organizations.c.kind == kind.value,
                organizations.c.display_name == name,
                organizations.c.deleted_at.is_(None),
                organizations.c.id != excluding,
            )
        )
        return found is not None

    async def designated_enterprises(self, provider_id: str) -> frozenset[str]:
        rows = await self._db.scalars(
            select(designations.c.enterprise_id).where(designations.c.provider_id == provider_id)
        )
        return frozenset(rows)

    async def designated_providers(self, enterprise_id: str) -> frozenset[str]:
        rows = await self._db.scalars(
            select(designations.c.provider_id).where(designations.c.enterprise_id == enterprise_id)
        )
        return frozenset(rows)

    async def designations_of(self, enterprise_id: str) -> list[tuple[Organization, datetime]]:
        rows = await self._db.execute(
            select(organizations, designations.c.created_at.label("designated_at"))
            .join(designations, designations.c.provider_id == organizations.c.id)
            .where(designations.c.enterprise_id == enterprise_id)
            .order_by(designations.c.created_at)
        )
        return [(_from_row(r), r.designated_at) for r in rows]

    async def designate(self, enterprise_id: str, provider_id: str) -> bool:
        created = await self._db.scalar(
            upsert(designations)
            .values(enterprise_id=enterprise_id, provider_id=provider_id)
            .on_conflict_do_nothing()
            .returning(designations.c.provider_id)
        )
        return created is not None

    async def undesignate(self, enterprise_id: str, provider_id: str) -> bool:
        result = await self._db.execute(
            delete(designations).where(
                designations.c.enterprise_id == enterprise_id,
                designations.c.provider_id == provider_id,
            )
        )
        return bool(result.rowcount)

    @staticmethod
    def _values(org: Organization) -> dict[str, object]:
        return {name: getattr(org, name) for name in _FIELDS}

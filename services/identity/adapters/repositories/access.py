"""Roles and the permission catalogue."""

from __future__ import annotations

from sqlalchemy import Row, delete, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity.adapters.repositories.filters import paged
from services.identity.adapters.tables import permissions, roles, user_roles
from services.identity.domain.access import DataScope, Permission, PermissionKind, Role
from services.identity.domain.people import UserKind


def _role(row: Row) -> Role:  # type: ignore[type-arg]
    return Role(
        id=row.id,
        display_name=row.display_name,
        kind=UserKind(row.kind),
        permission_codes=list(row.permission_codes),
        data_scope=DataScope(row.data_scope),
        organization_id=row.organization_id or "",
        built_in=row.built_in,
        updated_at=row.updated_at,
    )


def _permission(row: Row) -> Permission:  # type: ignore[type-arg]
    return Permission(
        code=row.code,
        display_name=row.display_name,
        kind=PermissionKind(row.kind),
        parent_code=row.parent_code,
        enabled=row.enabled,
        sort_order=row.sort_order,
    )


class AccessRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def roles(self, role_ids: list[str]) -> list[Role]:
        if not role_ids:
            return []
        rows = await self._db.execute(select(roles).where(roles.c.id.in_(role_ids)))
        return [_role(r) for r in rows]

    async def role(self, role_id: str, *, organization_id: str | None) -> Role | None:
        """A role visible to an organisation: its own and built-in ones (None: any)."""
        query = select(roles).where(roles.c.id == role_id)
        if organization_id is not None:
            query = query.where(or_(roles.c.organization_id == organization_id, roles.c.built_in))
        row = (await self._db.execute(query)).first()
        return _role(row) if row else None

    async def list_roles(
        self, *, organization_id: str | None, kinds: set[UserKind] | None, offset: int, limit: int
    ) -> list[Role]:
        query = select(roles)
        if organization_id is not None:
            query = query.where(or_(roles.c.organization_id == organization_id, roles.c.built_in))
        if kinds is not None:
            query = query.where(roles.c.kind.in_(sorted(k.value for k in kinds)))
        rows = await self._db.execute(
            paged(
                query.order_by(roles.c.built_in.desc(), roles.c.created_at, roles.c.id),
                offset,
                limit,
            )
        )
        return [_role(r) for r in rows]

    async def add_role(self, role: Role) -> Role:
        row = (
            await self._db.execute(insert(roles).values(**self._values(role)).returning(roles))
        ).one()
        return _role(row)

    async def save_role(self, role: Role) -> Role:
        row = (
            await self._db.execute(
                update(roles)
                .where(roles.c.id == role.id)
                .values(updated_at=func.now(), **self._values(role))
                .returning(roles)
            )
        ).one()
        return _role(row)

    async def remove_role(self, role_id: str) -> None:
        await self._db.execute(delete(roles).where(roles.c.id == role_id))

    async def role_in_use(self, role_id: str) -> bool:
        return bool(await self._db.scalar(select(exists().where(user_roles.c.role_id == role_id))))

    async def role_name_taken(
        self, organization_id: str, name: str, *, excluding: str = ""
    ) -> bool:
        found = await self._db.scalar(
            select(roles.c.id).where(
                func.coalesce(roles.c.organization_id, "") == organization_id,
                roles.c.display_name == name,
                roles.c.id != excluding,
            )
        )
        return found is not None

    async def permissions(self, *, show_disabled: bool) -> list[Permission]:
        query = select(permissions).order_by(permissions.c.sort_order)
        if not show_disabled:
            query = query.where(permissions.c.enabled)
        return [_permission(r) for r in await self._db.execute(query)]

    async def enabled_codes(self) -> set[str]:
        return set(await self._db.scalars(select(permissions.c.code).where(permissions.c.enabled)))

    async def permission(self, code: str) -> Permission | None:
        row = (
            await self._db.execute(select(permissions).where(permissions.c.code == code))
        ).first()
        return _permission(row) if row else None

    async def save_permission(self, permission: Permission) -> Permission:
        row = (
            await self._db.execute(
                update(permissions)
                .where(permissions.c.code == permission.code)
                .values(
                    display_name=permission.display_name,
                    enabled=permission.enabled,
                    sort_order=permission.sort_order,
                )
                .returning(permissions)
            )
        ).one()
        return _permission(row)

    @staticmethod
    def _values(role: Role) -> dict[str, object]:
        return {
            "id": role.id,
            "display_name": role.display_name,
            "kind": role.kind.value,
            "organization_id": role.organization_id or None,
            "permission_codes": sorted(set(role.permission_codes)),
            "data_scope": role.data_scope.value,
            "built_in": role.built_in,
        }

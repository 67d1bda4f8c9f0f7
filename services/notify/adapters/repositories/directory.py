"""Notify's directory of people and roles (implements `ports.Directory`), written by the
identity feed (adapters/feeds.py)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, any_, exists, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notify.adapters.tables import people, roles
from services.notify.domain.notices import ApproverSide
from services.notify.service_layer.ports import Person

ASSIGNS = "ticket.assign"


class DirectoryRepository:
    def __init__(self, connection: AsyncConnection):
        self._db = connection

    async def upsert_person(self, person: Person, *, with_roles: bool = True) -> None:
        """`with_roles=False` (an engineer's event, which carries none) keeps the roles held."""
        row = {
            "id": person.id,
            "kind": person.kind,
            "organization_id": person.organization_id,
            "display_name": person.display_name,
            "email": person.email,
            "phone": person.phone,
            "wechat_openid": person.wechat_openid,
            "role_ids": list(person.role_ids),
            "active": person.active,
            "locale": person.locale,
            "time_zone": person.time_zone,
        }
        statement = insert(people).values(row)
        changed = {k: statement.excluded[k] for k in row if k != "id"}
        if not with_roles:
            del changed["role_ids"]
        await self._db.execute(statement.on_conflict_do_update(index_elements=["id"], set_=changed))

    async def set_role(self, role_id: str, permission_codes: list[str], *, present: bool) -> None:
        if not present:
            await self._db.execute(roles.delete().where(roles.c.id == role_id))
            return
        statement = insert(roles).values(id=role_id, permission_codes=permission_codes)
        await self._db.execute(
            statement.on_conflict_do_update(
                index_elements=["id"],
                set_={"permission_codes": statement.excluded.permission_codes},
            )
        )

    async def approvers(
        self, *, enterprise_id: str, permission_code: str, side: ApproverSide
    ) -> frozenset[str]:
        if side is ApproverSide.ENTERPRISE:
            who = and_(people.c.kind == "enterprise", people.c.organization_id == enterprise_id)
        else:
            who = people.c.kind == "platform"
        return await self._holding(who, permission_code)

    async def provider_admins(self, provider_id: str) -> frozenset[str]:
        who = and_(people.c.kind == "provider", people.c.organization_id == provider_id)
        return await self._holding(who, ASSIGNS)

    async def _holding(self, who: ColumnElement[bool], permission_code: str) -> frozenset[str]:
        holds = exists().where(
            roles.c.id == any_(people.c.role_ids),
            literal(permission_code) == any_(roles.c.permission_codes),
        )
        query = select(people.c.id).where(people.c.active, who, holds)
        return frozenset((await self._db.scalars(query)).all())

    async def people(self, user_ids: list[str]) -> dict[str, Person]:
        if not user_ids:
            return {}
        rows = await self._db.execute(select(people).where(people.c.id.in_(user_ids)))
        return {
            row.id: Person(
                id=row.id,
                kind=row.kind,
                organization_id=row.organization_id,
                display_name=row.display_name,
                email=row.email,
                phone=row.phone,
                wechat_openid=row.wechat_openid,
                role_ids=tuple(row.role_ids),
                active=row.active,
                locale=row.locale,
                time_zone=row.time_zone,
            )
            for row in rows
        }

"""Users (engineers included) and their role assignments."""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import Row, any_, delete, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity.adapters.repositories.filters import contains_text, paged, within
from services.identity.adapters.tables import user_roles, users
from services.identity.domain.people import User, UserKind, UserState
from services.identity.service_layer.ports import UserFilter

_NULLABLE_UNIQUE = ("username", "phone", "wechat_openid")
_PLAIN = (
    "display_name", "email", "nickname", "avatar_url", "nickname_authorized", "avatar_authorized",
    "phone_authorized", "skills", "employee_number", "locale", "time_zone", "password_hash",
    "failed_logins",
    "locked_until", "last_login_at", "deleted_at",
)  # fmt: skip


def _from_row(row: Row, role_ids: list[str]) -> User:  # type: ignore[type-arg]
    values = {f.name: getattr(row, f.name) for f in fields(User) if hasattr(row, f.name)}
    optional_text = (*_NULLABLE_UNIQUE, "organization_id", "department_id")
    values.update({name: getattr(row, name) or "" for name in optional_text})
    values.update(kind=UserKind(row.kind), state=UserState(row.state), role_ids=role_ids)
    return User(**values)


class UserRepository:
    def __init__(self, db: AsyncConnection):
        self._db = db

    async def add(self, user: User) -> User:
        await self._db.execute(insert(users).values(id=user.id, **self._values(user)))
        await self.set_roles(user.id, user.role_ids)
        return await self._reload(user.id)

    async def save(self, user: User) -> User:
        await self._db.execute(
            update(users)
            .where(users.c.id == user.id)
            .values(updated_at=func.now(), **self._values(user))
        )
        await self.set_roles(user.id, user.role_ids)
        return await self._reload(user.id)

    async def get(
        self, user_id: str, *, orgs: frozenset[str] | None, lock: bool = False
    ) -> User | None:
        query = select(users).where(users.c.id == user_id, within(users.c.organization_id, orgs))
        return await self._one(query.with_for_update() if lock else query)

    async def find_for_login(self, login: str) -> User | None:
        return await self._one(
            select(users)
            .where(
                or_(users.c.username == login, users.c.phone == login), users.c.deleted_at.is_(None)
            )
            .with_for_update()
        )

    async def find_by(self, column: str, value: str) -> User | None:
        """A live user by a unique column (username, phone, wechat_openid)."""
        return await self._one(
            select(users).where(users.c[column] == value, users.c.deleted_at.is_(None))
        )

    async def taken(self, column: str, value: str, *, excluding: str = "") -> bool:
        found = await self.find_by(column, value)
        return found is not None and found.id != excluding

    async def find(
        self, *, orgs: frozenset[str] | None, where: UserFilter, offset: int, limit: int
    ) -> tuple[list[User], int]:
        query = select(users).where(*self._conditions(orgs, where))
        total = await self._db.scalar(select(func.count()).select_from(query.subquery()))
        rows = (
            await self._db.execute(
                paged(query.order_by(users.c.created_at, users.c.id), offset, limit)
            )
        ).all()
        roles = await self._roles_of([r.id for r in rows])
        return [_from_row(r, roles.get(r.id, [])) for r in rows], int(total or 0)

    async def set_roles(self, user_id: str, role_ids: list[str]) -> None:
        await self._db.execute(delete(user_roles).where(user_roles.c.user_id == user_id))
        if role_ids:
            await self._db.execute(
                insert(user_roles),
                [{"user_id": user_id, "role_id": r} for r in dict.fromkeys(role_ids)],
            )

    def _conditions(self, orgs: frozenset[str] | None, where: UserFilter) -> list:  # type: ignore[type-arg]
        conditions = [within(users.c.organization_id, orgs)]
        if not where.show_deleted:
            conditions.append(users.c.deleted_at.is_(None))
        if where.organization_id:
            conditions.append(users.c.organization_id == where.organization_id)
        if where.department_ids is not None:
            conditions.append(within(users.c.department_id, where.department_ids))
        if where.kind is not None:
            conditions.append(users.c.kind == where.kind.value)
        if where.only_user_id:
            conditions.append(users.c.id == where.only_user_id)
        if where.skill:
            conditions.append(literal(where.skill) == any_(users.c.skills))
        if where.state is not None:
            conditions.append(users.c.state == where.state.value)
        if where.query:
            conditions.append(
                or_(
                    *(
                        contains_text(users.c[c], where.query)
                        for c in ("display_name", "username", "phone")
                    )
                )
            )
        return conditions

    async def _one(self, query) -> User | None:  # type: ignore[no-untyped-def]
        row = (await self._db.execute(query)).first()
        if row is None:
            return None
        return _from_row(row, (await self._roles_of([row.id])).get(row.id, []))

    async def _reload(self, user_id: str) -> User:
        user = await self._one(select(users).where(users.c.id == user_id))
        assert user is not None
        return user

    async def _roles_of(self, user_ids: list[str]) -> dict[str, list[str]]:
        if not user_ids:
            return {}
        rows = await self._db.execute(
            select(user_roles)
            .where(user_roles.c.user_id.in_(user_ids))
            .order_by(user_roles.c.role_id)
        )
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row.user_id, []).append(row.role_id)
        return found

    @staticmethod
    def _values(user: User) -> dict[str, object]:
        values: dict[str, object] = {name: getattr(user, name) for name in _PLAIN}
        values.update({name: getattr(user, name) or None for name in _NULLABLE_UNIQUE})
        values.update(
            kind=user.kind.value,
            state=user.state.value,
            organization_id=user.organization_id or None,
            department_id=user.department_id or None,
        )
        return values

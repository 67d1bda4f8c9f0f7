"""Identity's use cases against the in-memory fakes: the platform, one enterprise with a
department, one provider designated to it, and their people."""

from __future__ import annotations

import pytest

from services.identity.domain.departments import Department
from services.identity.domain.events import AccessRevoked
from services.identity.domain.organizations import Organization, OrgKind
from services.identity.domain.people import User, UserKind
from services.identity.service_layer.caller import Caller
from services.identity.service_layer.tokens import principal_of
from tests.unit.identity.fakes import FakeIdentityUnit, World, world

PASSWORD = "correct horse battery"


@pytest.fixture
def w() -> World:
    made = world()
    s = made.state
    now = made.clock()
    for org in (
        Organization("ent", OrgKind.ENTERPRISE, "Acme", created_at=now),
        Organization("ent-2", OrgKind.ENTERPRISE, "Globex", created_at=now),
        Organization("prov", OrgKind.PROVIDER, "FixIt", created_at=now),
        Organization("prov-2", OrgKind.PROVIDER, "Elsewhere", created_at=now),
    ):
        s.orgs[org.id] = org
    s.designations[("ent", "prov")] = now
    s.departments["it"] = Department("it", "ent", "IT", created_at=now)
    people = [
        ("admin", UserKind.PLATFORM, "", "platform-admin"),
        ("boss", UserKind.ENTERPRISE, "ent", "enterprise-admin"),
        ("member", UserKind.ENTERPRISE, "ent", "enterprise-member"),
        ("other-boss", UserKind.ENTERPRISE, "ent-2", "enterprise-admin"),
        ("padmin", UserKind.PROVIDER, "prov", "provider-admin"),
        ("eng", UserKind.ENGINEER, "prov", "engineer"),
    ]
    for user_id, kind, org, role in people:
        s.users[user_id] = User(
            user_id,
            kind,
            user_id.title(),
            username=user_id,
            organization_id=org,
            role_ids=[role],
            password_hash="hashed:" + PASSWORD,
            phone=f"1380000{len(s.users):04d}",
            created_at=now,
        )
    s.users["member"].department_id = "it"
    return made


async def caller(w: World, user_id: str) -> Caller:
    """The caller with the permissions their roles give them (as their token would say)."""
    async with FakeIdentityUnit(w.database, w.clock) as uow:
        user = await uow.users.get(user_id, orgs=None)
        assert user is not None
        return Caller(await principal_of(uow, user))


def emitted(w: World) -> list[tuple[str, str]]:
    """(event type, change) of each entity event; revocations are in `revoked`."""
    return [
        (type(e).__name__, e.change.value)
        for e in w.state.events
        if not isinstance(e, AccessRevoked)
    ]


def revoked(w: World) -> list[tuple[str, str]]:
    """(subject, reason) of each AccessRevoked event."""
    return [
        (e.user_id or e.organization_id or e.session_id, e.reason)
        for e in w.state.events
        if isinstance(e, AccessRevoked)
    ]

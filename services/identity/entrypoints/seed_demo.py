"""`python -m services.identity.entrypoints.seed_demo`: the demo organisations and sign-ins
the README lists. Development only; does nothing when the demo admin already exists."""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from dataclasses import dataclass

from servicekit.logs import configure_logging
from services.identity.adapters.passwords import hash_password
from services.identity.bootstrap import build_deps
from services.identity.domain.departments import Department
from services.identity.domain.events import Change, PersonChanged
from services.identity.domain.organizations import Organization, OrgKind
from services.identity.domain.people import User, UserKind
from services.identity.service_layer import departments, organizations, people
from services.identity.service_layer.caller import Caller
from services.identity.service_layer.deps import Deps
from services.identity.service_layer.tokens import principal_of
from services.identity.settings import IdentitySettings

log = logging.getLogger(__name__)

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin-demo-2026"
DEMO_PASSWORD = "demo-2026"


@dataclass(frozen=True)
class DemoOrg:
    name: str
    kind: OrgKind
    admin: str
    people: tuple[tuple[str, str, str], ...]  # username, display name, phone
    departments: tuple[str, ...] = ()
    industry: str = ""
    skills: tuple[str, ...] = ()


ENTERPRISES = (
    DemoOrg(
        "华东制造有限公司",
        OrgKind.ENTERPRISE,
        "acme-admin",
        (("acme-user", "张伟", "13800000001"),),
        ("行政部", "IT部"),
        industry="制造业",
    ),
    DemoOrg(
        "星河零售集团",
        OrgKind.ENTERPRISE,
        "galaxy-admin",
        (("galaxy-user", "李娜", "13800000002"),),
        ("门店运营部",),
        industry="零售",
    ),
)
PROVIDERS = (
    DemoOrg(
        "快修网络服务",
        OrgKind.PROVIDER,
        "fastfix-admin",
        (("engineer-wang", "王工", "13900000001"), ("engineer-li", "李工", "13900000002")),
        skills=("network", "printer"),
    ),
    DemoOrg(
        "蓝鲸IT运维",
        OrgKind.PROVIDER,
        "bluewhale-admin",
        (("engineer-zhao", "赵工", "13900000003"),),
        skills=("server", "network"),
    ),
)
DESIGNATIONS = ((0, 0), (1, 1), (1, 0))  # (enterprise index, provider index)


async def seed(deps: Deps) -> bool:
    """Creates the demo data through the same use cases the API runs; False if present."""
    async with deps.uow() as uow:
        if await uow.users.find_by("username", ADMIN_USERNAME):
            return False
        admin = await uow.users.add(
            User(
                id=uuid.uuid4().hex,
                kind=UserKind.PLATFORM,
                display_name="平台管理员",
                username=ADMIN_USERNAME,
                role_ids=["platform-admin"],
                password_hash=await hash_password(ADMIN_PASSWORD),
            )
        )
        caller = Caller(principal=await principal_of(uow, admin))
        await uow.emit(PersonChanged(Change.CREATED, admin))  # other services learn his name
        await uow.commit()
    enterprises = [await _organization(deps, caller, spec) for spec in ENTERPRISES]
    providers = [await _organization(deps, caller, spec) for spec in PROVIDERS]
    for e, p in DESIGNATIONS:
        await departments.designate(deps, caller, enterprises[e].id, providers[p].id, remove=False)
    return True


async def _organization(deps: Deps, caller: Caller, spec: DemoOrg) -> Organization:
    org = await organizations.create_organization(
        deps,
        caller,
        draft=Organization(id="", kind=spec.kind, display_name=spec.name, industry=spec.industry),
        request_id="",
    )
    department_ids = [
        (
            await departments.create_department(
                deps, caller, draft=Department(id="", enterprise_id=org.id, display_name=name)
            )
        ).id
        for name in spec.departments
    ]
    admin_kind = UserKind.ENTERPRISE if spec.kind is OrgKind.ENTERPRISE else UserKind.PROVIDER
    admin_role = "enterprise-admin" if spec.kind is OrgKind.ENTERPRISE else "provider-admin"
    await _person(
        deps,
        caller,
        User(
            id="",
            kind=admin_kind,
            display_name=f"{spec.name}管理员",
            username=spec.admin,
            email=f"{spec.admin}@example.com",
            organization_id=org.id,
            role_ids=[admin_role],
        ),
    )
    for username, name, phone in spec.people:
        kind = UserKind.ENTERPRISE if spec.kind is OrgKind.ENTERPRISE else UserKind.ENGINEER
        await _person(
            deps,
            caller,
            User(
                id="",
                kind=kind,
                display_name=name,
                username=username,
                phone=phone,
                email=f"{username}@example.com" if kind is UserKind.ENTERPRISE else "",
                organization_id=org.id,
                department_id=department_ids[-1] if department_ids else "",
                skills=list(spec.skills),
                employee_number=f"E{phone[-3:]}" if kind is UserKind.ENGINEER else "",
            ),
        )
    return org


async def _person(deps: Deps, caller: Caller, draft: User) -> None:
    rules = people.ENGINEERS if draft.kind is UserKind.ENGINEER else people.USERS
    await people.create_person(
        deps, caller, rules, draft=draft, password=DEMO_PASSWORD, request_id=""
    )


async def main() -> None:
    settings = IdentitySettings()
    configure_logging(service="identity-seed", level=settings.log_level)
    if not settings.is_development:
        sys.exit("demo data is for development only (TICKETING_ENVIRONMENT=development)")
    created = await seed(build_deps(settings))
    log.info("demo data %s", "created" if created else "already present")


if __name__ == "__main__":
    asyncio.run(main())

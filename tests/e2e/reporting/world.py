"""The reporting tests' known data set, made through the gateway: two enterprises, each with
its designated provider and their people; five tickets closed, cancelled or still open, rated
or not."""

from __future__ import annotations

from dataclasses import dataclass

from tests.e2e.identity.helpers import new_engineer, new_enterprise, new_provider, new_user, ok
from tests.e2e.reporting.conftest import ReportingStack
from tests.e2e.tickets.helpers import catalogue, new_ticket

ADMIN = ("admin", "admin-demo-2026")


@dataclass
class Side:
    """An enterprise, the provider designated to it, and their people."""

    enterprise_id: str
    provider_id: str
    requester: str  # login
    enterprise_admin: str
    member: str
    provider_admin: str
    engineers: list[dict]


@dataclass
class World:
    a: Side
    b: Side
    tickets: dict[str, dict]  # by name: a1 … b1


async def _side(reporting: ReportingStack, engineers: int) -> Side:
    enterprise, provider = await new_enterprise(reporting), await new_provider(reporting)
    ent, prov = enterprise["enterpriseId"], provider["providerId"]
    await ok(
        await reporting.client.post(
            f"/v1/enterprises/{ent}/designations",
            json={"providerId": prov},
            headers=await reporting.as_user(*ADMIN),
        )
    )
    requester = await new_user(reporting, ent, roles=["enterprise-member"])
    side = Side(
        enterprise_id=ent,
        provider_id=prov,
        requester=requester["username"],
        enterprise_admin=(await new_user(reporting, ent, roles=["enterprise-admin"]))["username"],
        member=(await new_user(reporting, ent, roles=["enterprise-member"]))["username"],
        provider_admin=(
            await new_user(
                reporting, prov, kind="PRINCIPAL_KIND_PROVIDER", roles=["provider-admin"]
            )
        )["username"],
        engineers=[await new_engineer(reporting, prov) for _ in range(engineers)],
    )
    for person in [requester["userId"], *(e["engineerId"] for e in side.engineers)]:
        await reporting.tickets.known(person)
    await reporting.tickets.designated(ent, prov)
    return side


async def _act(reporting: ReportingStack, login: str, ticket: dict, verb: str, **body) -> dict:
    headers = (
        await reporting.as_user(*ADMIN) if login == "admin" else await reporting.as_user(login)
    )
    path = f"/v1/tickets/{ticket['ticketId']}:{verb}"
    return await ok(await reporting.client.post(path, json=body, headers=headers))


async def _handled(
    reporting: ReportingStack, side: Side, type_id: str, engineer: dict, *, score: int | None
) -> dict:
    """A ticket assigned to the engineer; resolved and closed, and rated when a score is
    given; left in progress when score is None."""
    ticket = await new_ticket(reporting.tickets, type_id, login=side.requester)
    ticket = await _act(reporting, "admin", ticket, "assign", providerId=side.provider_id)
    ticket = await _act(
        reporting, side.provider_admin, ticket, "assign",
        providerId=side.provider_id, engineerId=engineer["engineerId"],
    )  # fmt: skip
    ticket = await _act(reporting, engineer["phone"], ticket, "start")
    if score is None:
        return ticket
    ticket = await _act(reporting, engineer["phone"], ticket, "resolve", resolution="已处理")
    ticket = await _act(reporting, side.requester, ticket, "confirm")
    return await _act(reporting, side.requester, ticket, "rate", score=score, comment="好")


async def build_world(reporting: ReportingStack) -> World:
    a, b = await _side(reporting, engineers=2), await _side(reporting, engineers=1)
    type_id, _ = await catalogue(reporting.tickets, approvals=0)
    e1, e2 = a.engineers
    made = {
        "a1": await _handled(reporting, a, type_id, e1, score=5),
        "a2": await _handled(reporting, a, type_id, e2, score=3),
        "a3": await _handled(reporting, a, type_id, e1, score=None),
        "b1": await _handled(reporting, b, type_id, b.engineers[0], score=4),
    }
    # A title with what COPY and CSV must escape: the rebuild and exports keep it as it is.
    tricky = 'Tab\there, "quoted", back\\slash, =1+1'
    cancelled = await new_ticket(reporting.tickets, type_id, login=a.requester, title=tricky)
    made["a4"] = await _act(reporting, a.requester, cancelled, "cancel", reason="不需要了")
    await reporting.caught_up(
        {t["ticketId"]: t["status"].removeprefix("TICKET_STATUS_").lower() for t in made.values()}
    )
    await reporting.named(e1["engineerId"], e2["engineerId"], a.enterprise_id, a.provider_id)
    return World(a, b, made)

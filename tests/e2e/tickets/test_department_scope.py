"""A role with data scope "department" sees the tickets of its holder's department and the
departments below it, not those of sibling departments."""

from __future__ import annotations

from tests.e2e.identity.helpers import new_enterprise, new_user
from tests.e2e.tickets.helpers import catalogue, new_ticket, ok


async def test_department_scope_covers_the_subtree_only(tickets):
    admin = await tickets.as_user("admin", "admin-demo-2026")
    enterprise = await new_enterprise(tickets.identity)
    eid = enterprise["enterpriseId"]

    async def department(name: str, parent: str = "") -> str:
        created = await ok(
            await tickets.client.post(
                f"/v1/enterprises/{eid}/departments",
                headers=admin,
                json={"displayName": name, "parentDepartmentId": parent},
            )
        )
        return created["departmentId"]

    it = await department("IT部")
    network = await department("网络组", it)
    finance = await department("财务部")
    role = await ok(
        await tickets.client.post(
            "/v1/roles",
            headers=admin,
            json={
                "displayName": "部门主管",
                "kind": "PRINCIPAL_KIND_ENTERPRISE",
                "organizationId": eid,
                "permissionCodes": ["ticket.read", "ticket.create"],
                "dataScope": "DATA_SCOPE_DEPARTMENT",
            },
        )
    )
    lead = await new_user(tickets.identity, eid, roles=[role["roleId"]], departmentId=it)
    engineer_in_network = await new_user(tickets.identity, eid, departmentId=network)
    accountant = await new_user(tickets.identity, eid, departmentId=finance)
    await tickets.known_department(network)
    type_id, _ = await catalogue(tickets, approvals=0)
    below = await new_ticket(
        tickets, type_id, login=engineer_in_network["username"], title="网络组的工单"
    )
    sibling = await new_ticket(tickets, type_id, login=accountant["username"], title="财务部的工单")
    headers = await tickets.as_user(lead["username"])
    seen = await ok(
        await tickets.client.get("/v1/tickets", params={"pageSize": 100}, headers=headers)
    )
    ids = {t["ticketId"] for t in seen["tickets"]}
    assert below["ticketId"] in ids
    assert sibling["ticketId"] not in ids
    assert (
        await tickets.client.get(f"/v1/tickets/{sibling['ticketId']}", headers=headers)
    ).status_code == 404

"""The department tree: create, rename, move; cycles and non-empty deletes are refused."""

from __future__ import annotations

from tests.e2e.identity.helpers import admin, new_enterprise, new_user, ok, reason, violations


async def _department(identity, enterprise_id: str, name: str, parent: str = "") -> dict:
    body = {"displayName": name, "parentDepartmentId": parent}
    return await ok(
        await identity.client.post(
            f"/v1/enterprises/{enterprise_id}/departments", json=body, headers=await admin(identity)
        )
    )


async def test_tree_is_listed_parents_first_and_moves(identity):
    enterprise = await new_enterprise(identity)
    eid = enterprise["enterpriseId"]
    it = await _department(identity, eid, "IT部")
    network = await _department(identity, eid, "网络组", it["departmentId"])
    admin_dept = await _department(identity, eid, "行政部")
    listed = await ok(
        await identity.client.get(
            f"/v1/enterprises/{eid}/departments", headers=await admin(identity)
        )
    )
    names = [d["displayName"] for d in listed["departments"]]
    assert names.index("IT部") < names.index("网络组")
    moved = await ok(
        await identity.client.patch(
            f"/v1/enterprises/{eid}/departments/{network['departmentId']}",
            params={"updateMask": "parentDepartmentId,displayName"},
            json={"parentDepartmentId": admin_dept["departmentId"], "displayName": "网络与安全组"},
            headers=await admin(identity),
        )
    )
    assert (moved["parentDepartmentId"], moved["displayName"]) == (
        admin_dept["departmentId"],
        "网络与安全组",
    )


async def test_cyclic_move_is_refused_naming_the_field(identity):
    enterprise = await new_enterprise(identity)
    eid = enterprise["enterpriseId"]
    top = await _department(identity, eid, "总部")
    child = await _department(identity, eid, "分部", top["departmentId"])
    response = await identity.client.patch(
        f"/v1/enterprises/{eid}/departments/{top['departmentId']}",
        params={"updateMask": "parentDepartmentId"},
        json={"parentDepartmentId": child["departmentId"]},
        headers=await admin(identity),
    )
    assert response.status_code == 400
    assert reason(response.json()) == "DEPARTMENT_CYCLE"
    assert violations(response.json()) == ["department.parentDepartmentId"]


async def test_delete_is_refused_while_children_or_users_remain(identity):
    enterprise = await new_enterprise(identity)
    eid = enterprise["enterpriseId"]
    parent = await _department(identity, eid, "上级")
    child = await _department(identity, eid, "下级", parent["departmentId"])
    await new_user(identity, eid, departmentId=child["departmentId"])
    headers = await admin(identity)
    base = f"/v1/enterprises/{eid}/departments"
    has_children = await identity.client.delete(f"{base}/{parent['departmentId']}", headers=headers)
    assert (has_children.status_code, reason(has_children.json())) == (
        409,
        "DEPARTMENT_HAS_CHILDREN",
    )
    has_users = await identity.client.delete(f"{base}/{child['departmentId']}", headers=headers)
    assert (has_users.status_code, reason(has_users.json())) == (409, "DEPARTMENT_HAS_USERS")
    empty = await _department(identity, eid, "空部门")
    await ok(await identity.client.delete(f"{base}/{empty['departmentId']}", headers=headers))
    assert (
        await identity.client.get(f"{base}/{empty['departmentId']}", headers=headers)
    ).status_code == 404


async def test_sibling_names_are_unique(identity):
    enterprise = await new_enterprise(identity)
    await _department(identity, enterprise["enterpriseId"], "财务部")
    again = await identity.client.post(
        f"/v1/enterprises/{enterprise['enterpriseId']}/departments",
        json={"displayName": "财务部"},
        headers=await admin(identity),
    )
    assert again.status_code == 409
    assert violations(again.json()) == ["department.displayName"]

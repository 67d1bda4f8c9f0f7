"""A demo catalogue and the demo people's ids, for the tickets gateway tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tests.e2e.identity.helpers import ok, reason, violations

__all__ = ["Cast", "cast_of", "catalogue", "ok", "reason", "violations"]

FORM = [
    {
        "key": "floor",
        "label": "楼层",
        "type": "FORM_FIELD_TYPE_NUMBER",
        "required": True,
        "min": 1,
        "max": 50,
    },
    {
        "key": "building",
        "label": "楼栋",
        "type": "FORM_FIELD_TYPE_SINGLE_SELECT",
        "options": ["A", "B"],
    },
]


@dataclass
class Cast:
    """The demo people and organisations, by role in a ticket's story."""

    enterprise_id: str
    provider_id: str
    other_provider_id: str
    wang: str
    li: str
    zhao: str


async def cast_of(tickets) -> Cast:
    headers = await tickets.as_user("admin", "admin-demo-2026")
    client = tickets.client

    async def org(path: str, name: str, plural: str) -> str:
        found = await ok(await client.get(path, params={"displayName": name}, headers=headers))
        return found[plural][0][f"{plural[:-1]}Id"]

    enterprise = await org("/v1/enterprises", "华东制造有限公司", "enterprises")
    provider = await org("/v1/providers", "快修网络服务", "providers")
    other = await org("/v1/providers", "蓝鲸IT运维", "providers")

    async def engineer(provider_id: str, phone: str) -> str:
        found = await ok(
            await client.get(f"/v1/providers/{provider_id}/engineers", headers=headers)
        )
        return next(e["engineerId"] for e in found["engineers"] if e["phone"] == phone)

    cast = Cast(
        enterprise,
        provider,
        other,
        await engineer(provider, "13900000001"),
        await engineer(provider, "13900000002"),
        await engineer(other, "13900000003"),
    )
    for person in (cast.wang, cast.li, cast.zhao):
        await tickets.known(person)
    for provider_id in (provider, other):
        await tickets.known_provider(provider_id)
    await tickets.designated(enterprise, provider)
    return cast


async def catalogue(
    tickets,
    *,
    approvals: int,
    auto_close: str = "3600s",
    response: str = "3600s",
    resolution: str = "86400s",
) -> tuple[str, str]:
    """A service level with 0, 1 or 2 approval steps and a Wi-Fi type using it; returns ids."""
    headers = await tickets.as_user("admin", "admin-demo-2026")
    steps = [
        {"permissionCode": "ticket.approve.l1", "side": "APPROVER_SIDE_ENTERPRISE"},
        {"permissionCode": "ticket.approve.l2", "side": "APPROVER_SIDE_PLATFORM"},
    ][:approvals]
    level = await ok(
        await tickets.client.post(
            "/v1/service-levels",
            headers=headers,
            json={
                "displayName": f"级别-{uuid.uuid4().hex[:6]}",
                "priority": "PRIORITY_HIGH",
                "responseTarget": response,
                "resolutionTarget": resolution,
                "approvalSteps": steps,
                "autoCloseDelay": auto_close,
            },
        )
    )
    it = await ok(
        await tickets.client.post(
            "/v1/service-types", headers=headers, json={"displayName": f"IT-{uuid.uuid4().hex[:6]}"}
        )
    )
    network = await ok(
        await tickets.client.post(
            "/v1/service-types",
            headers=headers,
            json={"displayName": "网络", "parentServiceTypeId": it["serviceTypeId"]},
        )
    )
    wifi = await ok(
        await tickets.client.post(
            "/v1/service-types",
            headers=headers,
            json={
                "displayName": "Wi-Fi",
                "parentServiceTypeId": network["serviceTypeId"],
                "formFields": FORM,
                "defaultServiceLevelId": level["serviceLevelId"],
            },
        )
    )
    assert wifi["level"] == 3
    return wifi["serviceTypeId"], level["serviceLevelId"]


async def new_ticket(tickets, service_type_id: str, *, login: str = "acme-user", **fields) -> dict:
    body = {
        "title": "三楼无线网络断开",
        "description": "会议室连不上 Wi-Fi",
        "serviceTypeId": service_type_id,
        "customFields": {"floor": 3, "building": "A"},
        "channel": "CHANNEL_MINI_PROGRAM",
        **fields,
    }
    return await ok(
        await tickets.client.post("/v1/tickets", json=body, headers=await tickets.as_user(login))
    )

"""Dispatch through the gateway: rules route a new ticket to a provider and an engineer with
nobody acting; the decision explains itself; round robin stays fair under concurrency; rules
and decisions are only for those allowed. Each test makes its own service type, so its rules
never touch another test's tickets, and removes its rules afterwards."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from tests.e2e.dispatch.conftest import DispatchStack
from tests.e2e.identity.helpers import phone, unique
from tests.e2e.tickets.helpers import (
    Cast,
    cast_of,
    catalogue,
    new_ticket,
    ok,
    reason,
    violations,
)

ADMIN = ("admin", "admin-demo-2026")


@pytest.fixture
async def world(dispatch: DispatchStack) -> AsyncIterator[tuple[DispatchStack, Cast, str]]:
    """The cast, a fresh service type, and every rule made in the test removed afterwards."""
    cast = await cast_of(dispatch.tickets)
    type_id, _ = await catalogue(dispatch.tickets, approvals=0)
    await dispatch.knows_provider(cast.provider_id)
    for engineer in (cast.wang, cast.li):
        await dispatch.knows_engineer(engineer)
    yield dispatch, cast, type_id
    headers = await dispatch.as_user(*ADMIN)
    listed = await ok(
        await dispatch.client.get(
            "/v1/dispatch-rules", params={"showDisabled": True}, headers=headers
        )
    )
    for rule in listed.get("dispatchRules", []):
        if type_id in rule.get("serviceTypeIds", []):
            await dispatch.client.delete(
                f"/v1/dispatch-rules/{rule['dispatchRuleId']}", headers=headers
            )


async def _rule(dispatch: DispatchStack, **fields: object) -> dict:
    body = {"displayName": unique("规则"), "enabled": True, **fields}
    return await ok(
        await dispatch.client.post(
            "/v1/dispatch-rules", json=body, headers=await dispatch.as_user(*ADMIN)
        )
    )


async def _assigned(dispatch: DispatchStack, ticket_id: str, timeout: float = 20.0) -> dict:
    headers = await dispatch.as_user(*ADMIN)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ticket = await ok(await dispatch.client.get(f"/v1/tickets/{ticket_id}", headers=headers))
        if ticket.get("engineerId"):
            return ticket
        await asyncio.sleep(0.1)
    raise AssertionError(f"ticket {ticket_id} was never assigned")


async def _decisions(dispatch: DispatchStack, ticket_id: str, login=ADMIN) -> list[dict]:
    headers = await dispatch.as_user(*login)
    for _ in range(100):
        found = await dispatch.client.get(
            f"/v1/tickets/{ticket_id}/dispatch-decisions", headers=headers
        )
        if found.status_code == 200 and found.json().get("dispatchDecisions"):
            return found.json()["dispatchDecisions"]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no decision about {ticket_id}")


async def test_a_matching_ticket_is_assigned_with_nobody_acting(world):
    dispatch, cast, type_id = world
    rule = await _rule(
        dispatch,
        serviceTypeIds=[type_id],
        providerId=cast.provider_id,
        strategy="ASSIGNMENT_STRATEGY_LEAST_LOADED",
        requiredSkills=["network"],
    )
    assert rule["version"] == 1
    ticket = await new_ticket(dispatch.tickets, type_id)
    assigned = await _assigned(dispatch, ticket["ticketId"])
    assert assigned["providerId"] == cast.provider_id
    assert assigned["engineerId"] in (cast.wang, cast.li)
    assert assigned["status"] == "TICKET_STATUS_ASSIGNED"
    [decision] = await _decisions(dispatch, ticket["ticketId"])
    assert decision["kind"] == "DECISION_KIND_ENGINEER_CHOSEN"
    assert (decision["dispatchRuleId"], decision["dispatchRuleVersion"]) == (
        rule["dispatchRuleId"],
        1,
    )
    assert decision["engineerId"] == assigned["engineerId"]
    candidates = {c["engineerId"]: c["scores"] for c in decision["candidates"]}
    assert {cast.wang, cast.li} <= set(candidates)
    assert set(candidates[cast.wang]) >= {"skill_match", "load", "round_robin"}
    history = await ok(
        await dispatch.client.get(
            f"/v1/tickets/{ticket['ticketId']}/history", headers=await dispatch.as_user(*ADMIN)
        )
    )
    assigned_by = [h for h in history["entries"] if h["action"] == "assigned"]
    assert assigned_by and assigned_by[0]["actor"]["userId"] == "svc-dispatch"


async def test_no_matching_rule_leaves_the_ticket_for_manual_assignment(world):
    dispatch, _, type_id = world
    ticket = await new_ticket(dispatch.tickets, type_id)
    [decision] = await _decisions(dispatch, ticket["ticketId"])
    assert decision["kind"] == "DECISION_KIND_NO_MATCH"
    assert "manual" in decision["explanation"]
    current = await ok(
        await dispatch.client.get(
            f"/v1/tickets/{ticket['ticketId']}", headers=await dispatch.as_user(*ADMIN)
        )
    )
    assert not current.get("providerId")


async def test_round_robin_shares_parallel_tickets_evenly(world):
    dispatch, cast, type_id = world
    provider_admin = await dispatch.as_user("fastfix-admin")
    extra = []
    for i in range(3):
        made = await ok(
            await dispatch.client.post(
                f"/v1/providers/{cast.provider_id}/engineers",
                json={
                    "displayName": f"工程师{i}",
                    "phone": phone(),
                    "skills": ["network"],
                    "password": "demo-2026-x",
                },
                headers=provider_admin,
            )
        )
        extra.append(made["engineerId"])
    team = [cast.wang, cast.li, *extra]
    for engineer in team:
        await dispatch.knows_engineer(engineer)
        await ok(
            await dispatch.client.put(
                f"/v1/engineers/{engineer}/availability",
                json={"available": True, "maxOpenTickets": 0},
                headers=provider_admin,
            )
        )
    await _rule(
        dispatch,
        serviceTypeIds=[type_id],
        providerId=cast.provider_id,
        strategy="ASSIGNMENT_STRATEGY_ROUND_ROBIN",
    )
    requester = await dispatch.as_user("acme-user")  # one sign-in: hashing is slow on purpose

    async def raise_one(i: int) -> dict:
        body = {
            "title": f"并发{i}",
            "serviceTypeId": type_id,
            "customFields": {"floor": 3, "building": "A"},
        }
        return await ok(await dispatch.client.post("/v1/tickets", json=body, headers=requester))

    made = await asyncio.gather(*(raise_one(i) for i in range(50)))
    assigned = [await _assigned(dispatch, t["ticketId"], timeout=60) for t in made]
    shares = Counter(t["engineerId"] for t in assigned)
    assert set(shares) == set(team)
    assert set(shares.values()) == {10}, shares
    for engineer in extra:  # retire the extra engineers: other tests count on two
        await dispatch.client.post(
            f"/v1/providers/{cast.provider_id}/engineers/{engineer}:disable",
            json={},
            headers=provider_admin,
        )


async def test_rules_and_decisions_are_for_those_allowed(world):
    dispatch, cast, type_id = world
    rule = await _rule(
        dispatch,
        serviceTypeIds=[type_id],
        providerId=cast.provider_id,
        strategy="ASSIGNMENT_STRATEGY_POOL",
    )
    ticket = await new_ticket(dispatch.tickets, type_id)
    await _decisions(dispatch, ticket["ticketId"])
    client = dispatch.client
    for login in ("fastfix-admin", "acme-admin", "acme-user", "engineer-wang"):
        headers = await dispatch.as_user(login)
        created = await client.post(
            "/v1/dispatch-rules",
            json={
                "displayName": "x",
                "providerId": cast.provider_id,
                "stage": "RULE_STAGE_PROVIDER",
            },
            headers=headers,
        )
        assert created.status_code == 403, (login, created.text)
        read = await client.get(f"/v1/dispatch-rules/{rule['dispatchRuleId']}", headers=headers)
        assert read.status_code == (404 if login == "fastfix-admin" else 403), login
    seen = await _decisions(dispatch, ticket["ticketId"], login=("fastfix-admin", "demo-2026"))
    assert seen[0]["providerId"] == cast.provider_id
    for login, status in (("bluewhale-admin", 404), ("acme-user", 403), ("engineer-wang", 403)):
        refused = await client.get(
            f"/v1/tickets/{ticket['ticketId']}/dispatch-decisions",
            headers=await dispatch.as_user(login),
        )
        assert refused.status_code == status, (login, refused.text)
    availability = f"/v1/engineers/{cast.wang}/availability"
    for login, status in (
        ("engineer-wang", 200),
        ("fastfix-admin", 200),
        ("engineer-li", 404),
        ("bluewhale-admin", 404),
        ("acme-admin", 404),
        ("acme-user", 404),
    ):
        seen_by = await client.get(availability, headers=await dispatch.as_user(login))
        assert seen_by.status_code == status, (login, seen_by.text)
    for login in ("bluewhale-admin", "engineer-li", "acme-admin"):
        changed = await client.put(
            availability, json={"available": False}, headers=await dispatch.as_user(login)
        )
        assert changed.status_code == 404, (login, changed.text)


async def test_a_provider_admin_keeps_rules_for_his_own_engineers_and_sees_no_other(world):
    dispatch, cast, type_id = world
    client = dispatch.client
    platform = await _rule(
        dispatch,
        serviceTypeIds=[type_id],
        providerId=cast.provider_id,
        strategy="ASSIGNMENT_STRATEGY_POOL",
    )
    fastfix = await dispatch.as_user("fastfix-admin")
    own = await ok(
        await client.post(
            "/v1/dispatch-rules",
            json={
                "displayName": unique("我们的轮流"),
                "enabled": True,
                "serviceTypeIds": [type_id],
                "strategy": "ASSIGNMENT_STRATEGY_ROUND_ROBIN",
                "requiredSkills": ["network"],
            },
            headers=fastfix,
        )
    )
    assert (own["stage"], own["providerId"]) == ("RULE_STAGE_ENGINEER", cast.provider_id)
    ticket = await new_ticket(dispatch.tickets, type_id)
    assigned = await _assigned(dispatch, ticket["ticketId"])  # the platform's rule only pools it
    assert assigned["engineerId"] in (cast.wang, cast.li)
    [decision] = await _decisions(
        dispatch, ticket["ticketId"], login=("fastfix-admin", "demo-2026")
    )
    assert (decision["dispatchRuleId"], decision["providerRuleId"]) == (
        own["dispatchRuleId"],
        platform["dispatchRuleId"],
    )
    assert decision["strategy"] == "ASSIGNMENT_STRATEGY_ROUND_ROBIN"
    mine = await ok(await client.get("/v1/dispatch-rules", headers=fastfix))
    assert [r["dispatchRuleId"] for r in mine["dispatchRules"]] == [own["dispatchRuleId"]]
    path = f"/v1/dispatch-rules/{own['dispatchRuleId']}"
    bluewhale = await dispatch.as_user("bluewhale-admin")
    assert not (await ok(await client.get("/v1/dispatch-rules", headers=bluewhale))).get(
        "dispatchRules"
    )
    for method, kwargs in (
        ("GET", {}),
        ("PATCH", {"json": {"enabled": False}, "params": {"updateMask": "enabled"}}),
        ("DELETE", {}),
    ):
        refused = await client.request(method, path, headers=bluewhale, **kwargs)
        assert refused.status_code == 404, (method, refused.text)
    for login in ("acme-admin", "acme-user", "engineer-wang"):
        refused = await client.get(path, headers=await dispatch.as_user(login))
        assert refused.status_code == 403, (login, refused.text)
    handed = await client.patch(
        path,
        json={"providerId": "someone-else"},
        params={"updateMask": "providerId"},
        headers=fastfix,
    )
    assert handed.status_code == 403, handed.text
    renamed = await ok(
        await client.patch(
            path,
            json={"displayName": "改名"},
            params={"updateMask": "displayName"},
            headers=fastfix,
        )
    )
    assert (renamed["displayName"], renamed["version"]) == ("改名", 2)
    admin = await dispatch.as_user(*ADMIN)
    engineer_stage = await ok(
        await client.get(
            "/v1/dispatch-rules", params={"stage": "RULE_STAGE_ENGINEER"}, headers=admin
        )
    )
    assert own["dispatchRuleId"] in [r["dispatchRuleId"] for r in engineer_stage["dispatchRules"]]
    assert platform["dispatchRuleId"] not in [
        r["dispatchRuleId"] for r in engineer_stage["dispatchRules"]
    ]


async def test_rule_edits_make_versions_and_bad_rules_name_the_field(world):
    dispatch, cast, type_id = world
    headers = await dispatch.as_user(*ADMIN)
    rule = await _rule(
        dispatch,
        serviceTypeIds=[type_id],
        providerId=cast.provider_id,
        strategy="ASSIGNMENT_STRATEGY_POOL",
    )
    edited = await ok(
        await dispatch.client.patch(
            f"/v1/dispatch-rules/{rule['dispatchRuleId']}",
            params={"updateMask": "strategy,claimWindow,thenStrategy"},
            json={
                "strategy": "ASSIGNMENT_STRATEGY_CLAIM_WINDOW",
                "claimWindow": "600s",
                "thenStrategy": "ASSIGNMENT_STRATEGY_ROUND_ROBIN",
            },
            headers=headers,
        )
    )
    assert (edited["version"], edited["strategy"]) == (2, "ASSIGNMENT_STRATEGY_CLAIM_WINDOW")
    bad = await dispatch.client.post(
        "/v1/dispatch-rules",
        json={"displayName": "", "providerId": "nope", "enterpriseIds": [cast.enterprise_id]},
        headers=headers,
    )
    assert bad.status_code == 400
    assert {"dispatchRule.displayName", "dispatchRule.providerId"} <= set(violations(bad.json()))
    missing = await dispatch.client.get("/v1/dispatch-rules/nope", headers=headers)
    assert (missing.status_code, reason(missing.json())) == (404, "DISPATCH_RULE_NOT_FOUND")


async def _assigned_with_a_start_window(world) -> tuple[dict, str]:
    """A ticket assigned by a round-robin rule whose engineers must start within 2 seconds;
    returns it and its engineer."""
    dispatch, cast, type_id = world
    await _rule(
        dispatch,
        serviceTypeIds=[type_id],
        providerId=cast.provider_id,
        strategy="ASSIGNMENT_STRATEGY_ROUND_ROBIN",
        escalateAfter="2s",
    )
    ticket = await new_ticket(dispatch.tickets, type_id)
    return ticket, (await _assigned(dispatch, ticket["ticketId"]))["engineerId"]


async def test_an_engineer_who_does_not_start_loses_the_ticket_to_the_next_one(world):
    """Re-dispatch through the running dispatcher: the first engineer does not start within
    the rule's escalate_after, the other one gets the ticket (tickets' history names both
    assignments by svc-dispatch); he does not start either and nobody is left: the
    provider's admins take over (a decision, the ticket stays where it is)."""
    dispatch, cast, _ = world
    ticket, first = await _assigned_with_a_start_window(world)
    headers = await dispatch.as_user(*ADMIN)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        current = await ok(
            await dispatch.client.get(f"/v1/tickets/{ticket['ticketId']}", headers=headers)
        )
        if current["engineerId"] != first:
            break
        await asyncio.sleep(0.2)
    second = current["engineerId"]
    assert second in (cast.wang, cast.li) and second != first
    assert current["status"] == "TICKET_STATUS_ASSIGNED"
    for _ in range(150):
        decisions = await _decisions(dispatch, ticket["ticketId"])
        if decisions[-1]["kind"] == "DECISION_KIND_ESCALATED_TO_ADMIN":
            break
        await asyncio.sleep(0.2)
    kinds = [d["kind"] for d in decisions]
    assert kinds == ["DECISION_KIND_ENGINEER_CHOSEN", "DECISION_KIND_ESCALATED",
                     "DECISION_KIND_ESCALATED_TO_ADMIN"]  # fmt: skip
    assert decisions[1]["replacesEngineerId"] == first
    assert decisions[1]["engineerId"] == second
    history = await ok(
        await dispatch.client.get(f"/v1/tickets/{ticket['ticketId']}/history", headers=headers)
    )
    by_dispatch = [h for h in history["entries"] if h["action"] == "assigned"
                   and h["actor"]["userId"] == "svc-dispatch"]  # fmt: skip
    assert len(by_dispatch) == 2
    still = await ok(
        await dispatch.client.get(f"/v1/tickets/{ticket['ticketId']}", headers=headers)
    )
    assert still["engineerId"] == second  # left with him; his provider's admins decide


async def test_a_started_ticket_is_not_taken_back(world):
    dispatch, cast, _ = world
    ticket, holder = await _assigned_with_a_start_window(world)
    login = "engineer-wang" if holder == cast.wang else "engineer-li"
    started = await dispatch.client.post(
        f"/v1/tickets/{ticket['ticketId']}:start", json={},
        headers=await dispatch.as_user(login),
    )  # fmt: skip
    assert (await ok(started))["status"] == "TICKET_STATUS_IN_PROGRESS"
    await asyncio.sleep(4)
    decisions = await _decisions(dispatch, ticket["ticketId"])
    assert [d["kind"] for d in decisions] == ["DECISION_KIND_ENGINEER_CHOSEN"]


async def test_a_dry_run_shows_each_past_ticket_today_and_with_the_draft_and_assigns_nothing(
    world,
):
    dispatch, cast, type_id = world
    ticket = await new_ticket(dispatch.tickets, type_id)  # no rule: left for manual assignment
    await _decisions(dispatch, ticket["ticketId"])
    created = ticket["stamps"]["createTime"]
    draft = {
        "displayName": "草案",
        "enabled": True,
        "serviceTypeIds": [type_id],
        "providerId": cast.provider_id,
        "strategy": "ASSIGNMENT_STRATEGY_ROUND_ROBIN",
    }
    body = {"draftRules": [draft], "startTime": created, "endTime": "2100-01-01T00:00:00Z",
            "pageSize": 1000}  # fmt: skip
    headers = await dispatch.as_user(*ADMIN)
    answer = await ok(
        await dispatch.client.post("/v1/dispatch-rules:dryRun", json=body, headers=headers)
    )
    [mine] = [r for r in answer["results"] if r["ticketId"] == ticket["ticketId"]]
    assert mine["changed"] and answer["changedCount"] >= 1
    assert mine["current"]["kind"] == "DECISION_KIND_NO_MATCH"
    assert mine["draft"]["providerId"] == cast.provider_id
    assert mine["draft"]["engineerId"] in (cast.wang, cast.li)
    assert mine["draft"]["candidates"]
    # Nothing happened: no assignment, no new decision.
    current = await ok(
        await dispatch.client.get(f"/v1/tickets/{ticket['ticketId']}", headers=headers)
    )
    assert not current.get("providerId")
    assert len(await _decisions(dispatch, ticket["ticketId"])) == 1
    bad = await dispatch.client.post(
        "/v1/dispatch-rules:dryRun",
        json=body | {"endTime": created, "startTime": "2100-01-01T00:00:00Z"},
        headers=headers,
    )
    assert bad.status_code == 400 and violations(bad.json()) == ["endTime"]
    unknown = await dispatch.client.post(
        "/v1/dispatch-rules:dryRun",
        json=body | {"draftRules": [draft | {"providerId": "nobody"}]},
        headers=headers,
    )
    assert unknown.status_code == 400
    assert violations(unknown.json()) == ["draftRules[0].providerId"]
    # A provider's draft is a rule of its own: it never chooses the provider, so a ticket no
    # platform rule sends to fastfix is not among fastfix's results.
    theirs = await ok(
        await dispatch.client.post(
            "/v1/dispatch-rules:dryRun", json=body, headers=await dispatch.as_user("fastfix-admin")
        )
    )
    assert ticket["ticketId"] not in [r["ticketId"] for r in theirs.get("results", [])]
    refused = await dispatch.client.post(
        "/v1/dispatch-rules:dryRun", json=body, headers=await dispatch.as_user("acme-user")
    )
    assert refused.status_code == 403


async def test_an_engineer_off_his_shift_is_not_chosen_and_his_admin_sets_the_shift(world):
    dispatch, cast, type_id = world
    client = dispatch.client
    now = datetime.now(UTC)
    closed = (
        {"start": "12:00", "end": "12:30"} if now.hour < 6 else {"start": "00:00", "end": "00:30"}
    )
    calendar = await ok(
        await client.post(
            "/v1/business-calendars",
            headers=await dispatch.as_user(*ADMIN),
            json={
                "displayName": unique("夜班"),
                "timeZone": "UTC",
                "weeklyHours": [{"weekday": d, "intervals": [closed]} for d in range(1, 8)],
            },
        )
    )
    fastfix = await dispatch.as_user("fastfix-admin")
    path = f"/v1/engineers/{cast.li}/availability"
    refused = await client.put(path, json={"available": True, "shiftCalendarId": "nope"},
                               headers=fastfix)  # fmt: skip
    assert refused.status_code == 400 and violations(refused.json()) == [
        "availability.shiftCalendarId"
    ]
    shift = {"available": True, "shiftCalendarId": calendar["businessCalendarId"]}
    set_ = await ok(await client.put(path, json=shift, headers=fastfix))
    assert (set_["shiftCalendarId"], set_.get("onShift", False)) == (
        calendar["businessCalendarId"],
        False,
    )
    try:
        await _rule(dispatch, serviceTypeIds=[type_id], providerId=cast.provider_id,
                    strategy="ASSIGNMENT_STRATEGY_LEAST_LOADED")  # fmt: skip
        ticket = await new_ticket(dispatch.tickets, type_id)
        assigned = await _assigned(dispatch, ticket["ticketId"])
        assert assigned["engineerId"] == cast.wang
        [decision] = await _decisions(dispatch, ticket["ticketId"])
        assert {"subjectId": cast.li, "reason": "OFF_SHIFT"}.items() <= next(
            e for e in decision["exclusions"] if e["subjectId"] == cast.li
        ).items()
    finally:
        await ok(await client.put(path, json={"available": True}, headers=fastfix))


async def test_an_engineer_claims_only_among_the_oldest_pool_tickets_and_within_capacity(world):
    dispatch, cast, type_id = world
    await _rule(dispatch, serviceTypeIds=[type_id], providerId=cast.provider_id,
                strategy="ASSIGNMENT_STRATEGY_POOL", claimLimit=1)  # fmt: skip
    older = await new_ticket(dispatch.tickets, type_id)
    newer = await new_ticket(dispatch.tickets, type_id)
    for ticket in (older, newer):
        await dispatch.sees_in_pool(ticket["ticketId"], cast.provider_id)
    wang = await dispatch.as_user("engineer-wang")
    client = dispatch.client
    picked = await client.post(f"/v1/tickets/{newer['ticketId']}:claim", json={}, headers=wang)
    assert picked.status_code == 409, picked.text
    assert reason(picked.json()) == "TICKET_NOT_CLAIMABLE"
    assert "oldest 1" in picked.json()["message"]
    claimed = await ok(
        await client.post(f"/v1/tickets/{older['ticketId']}:claim", json={}, headers=wang)
    )
    assert claimed["engineerId"] == cast.wang
    fastfix = await dispatch.as_user("fastfix-admin")
    availability = f"/v1/engineers/{cast.wang}/availability"
    await ok(await client.put(availability, json={"available": True, "maxOpenTickets": 1},
                              headers=fastfix))  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # until dispatch sees the claim: then he is full
            full = await client.post(f"/v1/tickets/{newer['ticketId']}:claim", json={},
                                     headers=wang)  # fmt: skip
            if "capacity" in full.json().get("message", ""):
                break
            assert full.status_code == 409, full.text  # never claimed meanwhile
            await asyncio.sleep(0.2)
        assert full.status_code == 409 and "capacity" in full.json()["message"], full.text
    finally:
        await ok(await client.put(availability, json={"available": True}, headers=fastfix))
    li = await dispatch.as_user("engineer-li")
    deadline, taken = time.monotonic() + 20, None
    while time.monotonic() < deadline:  # the older one left the pool: the newer is the oldest
        taken = await client.post(f"/v1/tickets/{newer['ticketId']}:claim", json={}, headers=li)
        if taken.status_code == 200:
            break
        await asyncio.sleep(0.2)
    assert taken is not None and taken.status_code == 200, taken.text

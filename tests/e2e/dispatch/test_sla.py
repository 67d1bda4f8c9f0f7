"""SLA clocks through the gateway: with targets of seconds on the built-in round-the-clock
policy, warnings and the breach arrive on ticketing.dispatch.sla.v1 on time (also when the
timer was down at the deadline); a ticket waiting on the customer does not breach and resumes
when the requester replies; the first response and the resolution are met (SlaMet); calendars
and policies are the platform's, name the bad field, and repair open tickets' deadlines; a
ticket's targets are shown only to those who may see the ticket."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from ticketing.events.v1 import dispatch_events_pb2 as ev
from ticketing.events.v1 import envelope_pb2

from services.dispatch.bootstrap import run_sla_timer
from tests.e2e.dispatch.conftest import DispatchStack
from tests.e2e.identity.helpers import unique
from tests.e2e.tickets.helpers import cast_of, catalogue, new_ticket, ok, violations
from tests.support.kafka_reader import read_until

ADMIN = ("admin", "admin-demo-2026")
TOPIC = "ticketing.dispatch.sla.v1"
KINDS = {
    "ticketing.events.v1.SlaWarningRaised": ev.SlaWarningRaised,
    "ticketing.events.v1.SlaBreached": ev.SlaBreached,
    "ticketing.events.v1.SlaEscalated": ev.SlaEscalated,
    "ticketing.events.v1.SlaMet": ev.SlaMet,
}


async def _events(kafka: str, ticket_id: str, done, timeout: float = 30.0) -> list[tuple]:
    """(type name, payload, occurred, received) of the ticket's SLA events."""

    def mine(records) -> list[tuple]:
        found = []
        for record in records:
            envelope = envelope_pb2.EventEnvelope.FromString(record.value)
            if envelope.aggregate_id != ticket_id:
                continue
            kind = KINDS[envelope.event_type]
            payload = kind.FromString(envelope.payload.value)
            occurred = envelope.occurred_time.ToDatetime(UTC)
            received = datetime.fromtimestamp(record.timestamp / 1000, UTC)
            found.append((envelope.event_type.rsplit(".", 1)[1], payload, occurred, received))
        return found

    records = await read_until(kafka, TOPIC, done=lambda r: done(mine(r)), timeout=timeout)
    return mine(records)


def _names(events: list[tuple]) -> list[str]:
    return [e[0] for e in events]


async def _sla(dispatch: DispatchStack, ticket_id: str, login=ADMIN) -> dict:
    headers = await dispatch.as_user(*login)
    for _ in range(100):
        found = await dispatch.client.get(f"/v1/tickets/{ticket_id}/sla", headers=headers)
        if found.status_code == 200:
            return found.json()
        await asyncio.sleep(0.1)
    raise AssertionError(f"no SLA for {ticket_id}: {found.status_code} {found.text}")


def _target(sla: dict, name: str) -> dict:
    return next(t for t in sla["targets"] if t["target"] == f"SLA_TARGET_{name}")


async def _post(dispatch: DispatchStack, login, ticket_id: str, verb: str, **body) -> dict:
    headers = await dispatch.as_user(*login)
    return await ok(
        await dispatch.client.post(f"/v1/tickets/{ticket_id}:{verb}", json=body, headers=headers)
    )


async def test_warnings_and_the_breach_arrive_on_time(dispatch: DispatchStack, kafka_bootstrap):
    await cast_of(dispatch.tickets)
    type_id, _ = await catalogue(dispatch.tickets, approvals=0, response="3s", resolution="600s")
    ticket = await new_ticket(dispatch.tickets, type_id)
    ticket_id = ticket["ticketId"]
    events = await _events(kafka_bootstrap, ticket_id, lambda found: "SlaBreached" in _names(found))
    assert _names(events) == ["SlaWarningRaised", "SlaWarningRaised", "SlaBreached"]
    created = datetime.fromisoformat(ticket["stamps"]["createTime"].replace("Z", "+00:00"))
    assert [e[1].fraction for e in events[:2]] == [0.75, 0.9]
    for (_, payload, occurred, received), fraction in zip(events, [0.75, 0.9, 1.0], strict=True):
        assert payload.target == 1  # response
        deadline = payload.due_time.ToDatetime(UTC)
        assert abs((deadline - created).total_seconds() - 3) < 0.01
        due = created + timedelta(seconds=3 * fraction)
        assert 0 <= (occurred - due).total_seconds() < 1.0, (fraction, occurred, due)
        assert (received - due).total_seconds() < 3.0
        assert payload.ticket.requester_user_id == ticket["requesterUserId"]
        assert payload.ticket.number == ticket["number"]
    sla = await _sla(dispatch, ticket_id)
    response = _target(sla, "RESPONSE")
    assert response["state"] == "SLA_TARGET_STATE_BREACHED" and response["breached"]
    assert response["remaining"].startswith("-")
    assert _target(sla, "RESOLUTION")["state"] == "SLA_TARGET_STATE_RUNNING"
    assert not sla.get("slaPolicyId")  # the built-in round-the-clock policy


async def test_alerts_missed_while_the_timer_was_down_fire_once_it_is_back(
    dispatch: DispatchStack, kafka_bootstrap
):
    """A second timer (a replica) runs meanwhile: each alert still arrives exactly once."""
    await cast_of(dispatch.tickets)
    type_id, _ = await catalogue(dispatch.tickets, approvals=0, response="2s", resolution="600s")
    stop = asyncio.Event()
    replica = asyncio.create_task(run_sla_timer(dispatch.deps, stop))
    try:
        ticket = await new_ticket(dispatch.tickets, type_id)
        events = await _events(
            kafka_bootstrap, ticket["ticketId"], lambda found: "SlaBreached" in _names(found)
        )
    finally:
        stop.set()
        await replica
    await asyncio.sleep(1.0)  # anything repeated would be on the topic by now
    again = await _events(kafka_bootstrap, ticket["ticketId"], lambda found: False, timeout=2)
    assert _names(again) == _names(events) == ["SlaWarningRaised", "SlaWarningRaised",
                                                "SlaBreached"]  # fmt: skip


async def test_waiting_on_the_customer_pauses_and_targets_are_met(
    dispatch: DispatchStack, kafka_bootstrap
):
    cast = await cast_of(dispatch.tickets)
    type_id, _ = await catalogue(dispatch.tickets, approvals=0, response="600s", resolution="4s")
    ticket = await new_ticket(dispatch.tickets, type_id)
    ticket_id = ticket["ticketId"]
    await _post(dispatch, ADMIN, ticket_id, "assign", providerId=cast.provider_id,
                engineerId=cast.wang)  # fmt: skip
    await _post(dispatch, ("engineer-wang",), ticket_id, "start")
    waiting = await _post(dispatch, ("engineer-wang",), ticket_id, "waitOnCustomer",
                          reason="请问是哪一层？")  # fmt: skip
    assert waiting["status"] == "TICKET_STATUS_WAITING_ON_CUSTOMER"
    assert waiting["statusGroup"] == "STATUS_GROUP_IN_PROGRESS"
    paused_at = time.monotonic()
    for _ in range(50):
        sla = await _sla(dispatch, ticket_id)
        if _target(sla, "RESOLUTION")["state"] == "SLA_TARGET_STATE_PAUSED":
            break
        await asyncio.sleep(0.1)
    resolution = _target(sla, "RESOLUTION")
    assert resolution["state"] == "SLA_TARGET_STATE_PAUSED" and "dueTime" not in resolution
    assert _target(sla, "RESPONSE")["state"] == "SLA_TARGET_STATE_MET"
    await asyncio.sleep(max(0.0, 5.0 - (time.monotonic() - paused_at)))  # past the target
    sla = await _sla(dispatch, ticket_id)
    assert _target(sla, "RESOLUTION")["state"] == "SLA_TARGET_STATE_PAUSED"
    # The requester's public reply resumes the ticket and its clock.
    await ok(
        await dispatch.client.post(
            f"/v1/tickets/{ticket_id}/comments",
            json={"body": "三楼"},
            headers=await dispatch.as_user("acme-user"),
        )
    )
    for _ in range(50):
        sla = await _sla(dispatch, ticket_id)
        if _target(sla, "RESOLUTION")["state"] != "SLA_TARGET_STATE_PAUSED":
            break
        await asyncio.sleep(0.1)
    resolution = _target(sla, "RESOLUTION")
    assert resolution["state"] in ("SLA_TARGET_STATE_RUNNING", "SLA_TARGET_STATE_WARNING")
    [pause] = resolution["pausedIntervals"]
    assert pause["endTime"] > pause["startTime"]
    await _post(dispatch, ("engineer-wang",), ticket_id, "resolve", resolution="重启了 AP")
    events = await _events(
        kafka_bootstrap, ticket_id, lambda found: _names(found).count("SlaMet") == 2
    )
    assert "SlaBreached" not in _names(events)
    met = {e[1].target: e[1] for e in events if e[0] == "SlaMet"}
    assert not met[1].breached and not met[2].breached
    assert met[2].elapsed.ToTimedelta().total_seconds() < 4


async def test_calendars_and_policies_are_the_platforms_and_repair_deadlines(
    dispatch: DispatchStack,
):
    admin = await dispatch.as_user(*ADMIN)
    client = dispatch.client
    bad = await client.post(
        "/v1/business-calendars",
        headers=admin,
        json={"displayName": "x", "timeZone": "Mars/Olympus",
              "weeklyHours": [{"weekday": 8, "intervals": [{"start": "9", "end": "12:00"}]}]},
    )  # fmt: skip
    assert bad.status_code == 400
    assert {"businessCalendar.timeZone", "businessCalendar.weeklyHours[0].weekday"} <= set(
        violations(bad.json())
    )
    office = {"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}
    calendar = await ok(
        await client.post(
            "/v1/business-calendars",
            headers=admin,
            json={
                "displayName": unique("工作日"),
                "holidayCountry": "CN",
                "weeklyHours": [{"weekday": d, "intervals": list(office)} for d in range(1, 6)],
            },
        )
    )
    assert calendar["version"] == 1 and calendar["timeZone"] == "Asia/Shanghai"
    await cast_of(dispatch.tickets)
    _, level_id = await catalogue(dispatch.tickets, approvals=0, response="3600s",
                                  resolution="28800s")  # fmt: skip
    type_id = await _type_of_level(dispatch, level_id)
    ticket = await new_ticket(dispatch.tickets, type_id)
    round_the_clock = _target(await _sla(dispatch, ticket["ticketId"]), "RESOLUTION")["dueTime"]
    policy = await ok(
        await client.post(
            "/v1/sla-policies",
            headers=admin,
            json={"displayName": unique("工作时间"), "serviceLevelIds": [level_id],
                  "businessCalendarId": calendar["businessCalendarId"],
                  "escalations": [{"offset": "3600s", "role": "provider_admin"}]},
        )
    )  # fmt: skip
    assert policy["deadlinesMoved"] >= 1  # the open ticket is now measured in business hours
    sla = await _sla(dispatch, ticket["ticketId"])
    assert sla["slaPolicyId"] == policy["slaPolicyId"]
    assert _target(sla, "RESOLUTION")["dueTime"] != round_the_clock
    taken = await client.post(
        "/v1/sla-policies",
        headers=admin,
        json={"displayName": unique("重复"), "serviceLevelIds": [level_id]},
    )
    assert taken.status_code == 400
    assert violations(taken.json()) == ["slaPolicy.serviceLevelIds"]
    # Round the clock again: the deadline moves back.
    calendar["alwaysOpen"] = True
    updated = await ok(
        await client.put(
            f"/v1/business-calendars/{calendar['businessCalendarId']}",
            headers=admin,
            json=calendar,
        )
    )
    assert updated["version"] == 2 and updated["deadlinesMoved"] >= 1
    sla = await _sla(dispatch, ticket["ticketId"])
    assert _target(sla, "RESOLUTION")["dueTime"] == round_the_clock
    # Only the platform edits them; enterprise users do not even read them.
    for login in (("fastfix-admin",), ("acme-admin",)):
        refused = await client.post(
            "/v1/sla-policies",
            headers=await dispatch.as_user(*login),
            json={"displayName": "mine"},
        )
        assert refused.status_code == 403, login
    refused = await client.get("/v1/sla-policies", headers=await dispatch.as_user("acme-user"))
    assert refused.status_code == 403
    assert (await client.get("/v1/sla-policies")).status_code == 401


async def _type_of_level(dispatch: DispatchStack, level_id: str) -> str:
    headers = await dispatch.as_user(*ADMIN)
    found = await ok(
        await dispatch.client.get("/v1/service-types", params={"pageSize": 1000}, headers=headers)
    )
    return next(
        t["serviceTypeId"]
        for t in found["serviceTypes"]
        if t.get("defaultServiceLevelId") == level_id
    )


async def test_a_tickets_targets_are_shown_only_to_those_who_see_the_ticket(
    dispatch: DispatchStack,
):
    cast = await cast_of(dispatch.tickets)
    type_id, _ = await catalogue(dispatch.tickets, approvals=0)
    ticket = await new_ticket(dispatch.tickets, type_id)
    ticket_id = ticket["ticketId"]
    await _post(dispatch, ADMIN, ticket_id, "assign", providerId=cast.provider_id,
                engineerId=cast.wang)  # fmt: skip
    await _sla(dispatch, ticket_id, ("engineer-wang",))  # waits for the assignment to arrive
    for login in (("acme-user",), ("acme-admin",), ("fastfix-admin",), ("engineer-wang",)):
        assert (await _sla(dispatch, ticket_id, login))["ticketId"] == ticket_id
    for login in (("galaxy-user",), ("galaxy-admin",), ("bluewhale-admin",), ("engineer-zhao",),
                  ("engineer-li",)):  # fmt: skip
        found = await dispatch.client.get(
            f"/v1/tickets/{ticket_id}/sla", headers=await dispatch.as_user(*login)
        )
        assert found.status_code == 404, login
    assert (await dispatch.client.get(f"/v1/tickets/{ticket_id}/sla")).status_code == 401


async def test_an_escalation_level_raises_the_priority_through_tickets(dispatch: DispatchStack):
    cast = await cast_of(dispatch.tickets)
    type_id, level_id = await catalogue(dispatch.tickets, approvals=0, response="2s",
                                        resolution="600s")  # fmt: skip
    admin = await dispatch.as_user(*ADMIN)
    await ok(
        await dispatch.client.post(
            "/v1/sla-policies",
            headers=admin,
            json={
                "displayName": unique("提级"),
                "serviceLevelIds": [level_id],
                "escalations": [
                    {
                        "offset": "0s",
                        "role": "provider_admin",
                        "action": "SLA_ESCALATION_ACTION_RAISE_PRIORITY",
                    }
                ],
            },
        )
    )
    ticket = await new_ticket(dispatch.tickets, type_id)
    ticket_id = ticket["ticketId"]
    assert ticket["priority"] == "PRIORITY_HIGH"  # the level's
    deadline, current = time.monotonic() + 30, ticket
    while time.monotonic() < deadline and current["priority"] != "PRIORITY_URGENT":
        await asyncio.sleep(0.2)
        current = await ok(await dispatch.client.get(f"/v1/tickets/{ticket_id}", headers=admin))
    assert current["priority"] == "PRIORITY_URGENT"
    history = await ok(await dispatch.client.get(f"/v1/tickets/{ticket_id}/history", headers=admin))
    raised = [h for h in history["entries"] if h["action"] == "updated"]
    assert raised and raised[-1]["actor"]["userId"] == "svc-dispatch"
    decisions = await ok(
        await dispatch.client.get(f"/v1/tickets/{ticket_id}/dispatch-decisions", headers=admin)
    )
    [kind] = [d for d in decisions["dispatchDecisions"]
              if d["kind"] == "DECISION_KIND_PRIORITY_RAISED"]  # fmt: skip
    assert (kind["priority"], kind["state"]) == ("PRIORITY_URGENT", "DECISION_STATE_APPLIED")
    # By hand: only platform staff and the ticket's provider's admins, only upwards.
    other = await new_ticket(dispatch.tickets, type_id)
    path = f"/v1/tickets/{other['ticketId']}:escalate"
    await _post(dispatch, ADMIN, other["ticketId"], "assign", providerId=cast.provider_id)
    for login, statuses in (("bluewhale-admin", {404}), ("acme-user", {403}),
                            ("engineer-wang", {403, 404})):  # fmt: skip
        refused = await dispatch.client.post(path, json={"priority": "PRIORITY_URGENT"},
                                             headers=await dispatch.as_user(login))  # fmt: skip
        assert refused.status_code in statuses, (login, refused.text)
    fastfix = await dispatch.as_user("fastfix-admin")
    lower = await dispatch.client.post(path, json={"priority": "PRIORITY_LOW"}, headers=fastfix)
    assert lower.status_code == 400 and violations(lower.json()) == ["priority"]
    up = await ok(
        await dispatch.client.post(
            path, json={"priority": "PRIORITY_URGENT", "reason": "客户投诉"}, headers=fastfix
        )
    )
    assert up["priority"] == "PRIORITY_URGENT"

"""The start command brings up PostgreSQL, the broker, every service and the gateway, answers
/readyz, and stops everything cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest

from devstack.catalogue import ROOT
from devstack.ports import free_port


@pytest.mark.slow
def test_start_command_is_ready_within_60_seconds_and_stops_on_ctrl_c(tmp_path):
    _start_check_and_stop(tmp_path, {}, own_servers=True)


@pytest.mark.slow
def test_start_command_uses_external_postgresql_and_kafka_when_given(
    tmp_path, postgres_server_url, kafka_bootstrap
):
    external = {
        "TICKETING_DEV_DATABASE_URL": postgres_server_url,
        "TICKETING_DEV_KAFKA_BOOTSTRAP": kafka_bootstrap,
    }
    _start_check_and_stop(tmp_path, external, own_servers=False)


def _start_check_and_stop(tmp_path, extra_env: dict[str, str], *, own_servers: bool) -> None:
    port = free_port()
    env = os.environ | {
        "TICKETING_DEV_DATA_DIR": str(tmp_path / "data"),
        "TICKETING_GATEWAY_PORT": str(port),
        "TICKETING_DEV_FREE_PORTS": "1",
        **extra_env,
    }
    started = time.monotonic()
    stack = subprocess.Popen(
        [sys.executable, "-m", "devstack", "up"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        ready = _wait_ready(f"http://127.0.0.1:{port}/readyz", stack, timeout=60)
        assert ready, f"not ready in 60 s:\n{stack.stdout.read() if stack.poll() else ''}"
        assert time.monotonic() - started < 60
        openapi = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5)
        assert openapi.status_code == 200
        assert "server" not in openapi.headers  # uvicorn's banner is off
        _demo_admin_signs_in(
            f"http://127.0.0.1:{port}", expected_enterprises=2 if own_servers else None
        )
        _ticket_flows_through_every_process(
            f"http://127.0.0.1:{port}",
            dispatched=own_servers,
            maildir=tmp_path / "data" / "mail" if own_servers else None,
        )
    finally:
        stack.send_signal(signal.SIGINT)
        output, _ = stack.communicate(timeout=60)
    assert stack.returncode == 0, output
    assert f"http://127.0.0.1:{port}/docs" in output
    assert "identity  127.0.0.1:" in output and "(gRPC)" in output
    assert "stopped." in output
    logs = {p.name for p in (tmp_path / "data" / "logs").iterdir()}
    assert {"gateway.log", "identity.log", "tickets.log"} <= logs
    assert ({"postgres.log", "broker.log"} <= logs) is own_servers
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


def _wait_ready(url: str, process: subprocess.Popen[str], *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            time.sleep(0.1)  # not listening yet
        time.sleep(0.3)
    return False


def _demo_admin_signs_in(base: str, expected_enterprises: int | None) -> None:
    login = httpx.post(
        f"{base}/v1/auth:login", json={"login": "admin", "password": "admin-demo-2026"}, timeout=10
    )
    assert login.status_code == 200, login.text
    headers = {"authorization": f"Bearer {login.json()['accessToken']}"}
    enterprises = httpx.get(f"{base}/v1/enterprises", headers=headers, timeout=10)
    assert enterprises.status_code == 200
    if expected_enterprises is not None:  # an external database may hold more than the demo
        assert enterprises.json()["totalSize"] == expected_enterprises
    articles = httpx.get(f"{base}/v1/articles", headers=headers, timeout=10)
    assert articles.status_code == 200, articles.text  # every service of tickets is routed
    levels = httpx.get(f"{base}/v1/service-levels", headers=headers, timeout=10)
    assert levels.status_code == 200, levels.text  # tickets verified the token through the JWKS
    assert len(levels.json()["serviceLevels"]) == 3


def _sign_in(base: str, login: str, password: str = "demo-2026") -> dict[str, str]:
    response = httpx.post(
        f"{base}/v1/auth:login", json={"login": login, "password": password}, timeout=10
    )
    assert response.status_code == 200, response.text
    return {"authorization": f"Bearer {response.json()['accessToken']}"}


def _ticket_flows_through_every_process(
    base: str, *, dispatched: bool, maildir: Path | None = None
) -> None:
    """A requester's ticket assigned to an engineer, his receipt in the message centre
    (tickets' relay → notify's notifier), and the ticket counted in today's volume report
    (tickets' relay → reporting's recorder). Tickets learns of the engineer from
    identity's events (identity's relay → broker → tickets' directory consumer). With the demo
    rules (a fresh database), dispatch assigns it first with nobody acting: tickets' relay →
    dispatch's consumer decides → dispatch calls tickets as its service account."""
    requester, admin = _sign_in(base, "acme-user"), _sign_in(base, "admin", "admin-demo-2026")
    types = httpx.get(f"{base}/v1/service-types", headers=requester, timeout=10).json()[
        "serviceTypes"
    ]
    wifi = next(t["serviceTypeId"] for t in types if t["displayName"] == "Wi-Fi")
    ticket = httpx.post(
        f"{base}/v1/tickets",
        headers=requester,
        timeout=10,
        json={"title": "会议室断网", "serviceTypeId": wifi, "customFields": {"floor": 3}},
    ).json()
    if dispatched:
        _wait_dispatched(base, ticket["ticketId"], admin)
        _demo_sla_and_a_breach_told(base, ticket, requester, admin)
        _unstarted_ticket_left_to_the_provider_admin_who_is_told(base, requester, admin)
    _wait_receipt(base, ticket, requester)
    if maildir is not None:
        _wait_email(base, maildir, ticket, admin)
    _wait_reported(base, admin)
    providers = httpx.get(
        f"{base}/v1/providers", params={"displayName": "快修"}, headers=admin, timeout=10
    ).json()
    provider = providers["providers"][0]["providerId"]
    engineers = httpx.get(
        f"{base}/v1/providers/{provider}/engineers", headers=admin, timeout=10
    ).json()
    engineer = engineers["engineers"][0]["engineerId"]
    deadline, response = time.monotonic() + 60, None
    while time.monotonic() < deadline:
        response = httpx.post(
            f"{base}/v1/tickets/{ticket['ticketId']}:assign",
            headers=admin,
            timeout=10,
            json={"providerId": provider, "engineerId": engineer},
        )
        if response.status_code == 200:
            break
        time.sleep(1)
    assert response is not None and response.status_code == 200, (
        response.text if response else "no answer"
    )
    assert response.json()["status"] == "TICKET_STATUS_ASSIGNED"


def _wait_receipt(base: str, ticket: dict, requester: dict[str, str]) -> None:
    """Notify's notifier turned the ticket's creation into the requester's receipt."""
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        messages = httpx.get(f"{base}/v1/messages", headers=requester, timeout=10).json()
        if any(m.get("ticketId") == ticket["ticketId"] for m in messages.get("messages", [])):
            return
        time.sleep(0.3)
    raise AssertionError("the requester never got a receipt")


def _wait_email(base: str, maildir: Path, ticket: dict, admin: dict[str, str]) -> None:
    """Notify's deliverer emailed the receipt to the demo requester through the stack's mail
    catcher (SMTP), which keeps it in its Maildir."""
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        for path in (maildir / "new").glob("*") if (maildir / "new").exists() else ():
            mail = message_from_bytes(path.read_bytes(), policy=policy.default)
            if mail["To"] == "acme-user@example.com" and ticket["number"] in mail["Subject"]:
                return
        time.sleep(0.3)
    log = httpx.get(
        f"{base}/v1/notification-deliveries",
        params={"ticketId": ticket["ticketId"]},
        headers=admin,
        timeout=10,
    ).text
    raise AssertionError(f"the requester's receipt never arrived by email; deliveries: {log}")


def _wait_reported(base: str, admin: dict[str, str]) -> None:
    """Reporting's recorder folded the ticket into its facts: today's bucket counts it."""
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        report = httpx.get(f"{base}/v1/reports/volume", headers=admin, timeout=10)
        assert report.status_code == 200, report.text
        if report.json()["buckets"][-1].get("created", 0) >= 1:
            break
        time.sleep(0.3)
    else:
        raise AssertionError("the ticket never reached reporting")
    # The demo catalogue's names came with tickets' catalogue events (seeded through the use
    # cases): the service types counted are named, not shown as ids.
    top = httpx.get(
        f"{base}/v1/reports/top", params={"dimension": "DIMENSION_SERVICE_TYPE"},
        headers=admin, timeout=10,
    ).json()  # fmt: skip
    assert top["entries"] and all(e.get("displayName") for e in top["entries"]), top


def _demo_sla_and_a_breach_told(
    base: str, ticket: dict, requester: dict[str, str], admin: dict[str, str]
) -> None:
    """The demo SLA policy measures the ticket; a ticket on a level with a 2-second response
    target is breached by dispatch's SLA timer and notify tells the provider's admin (the
    dispatcher's timer → dispatch's relay → ticketing.dispatch.sla.v1 → notify's notifier)."""
    policies = httpx.get(f"{base}/v1/sla-policies", headers=admin, timeout=10).json()
    assert [p["displayName"] for p in policies["slaPolicies"]] == ["标准服务：工作时间"]
    sla = httpx.get(f"{base}/v1/tickets/{ticket['ticketId']}/sla", headers=requester, timeout=10)
    assert sla.status_code == 200, sla.text
    assert len(sla.json()["targets"]) == 2
    fast = {"displayName": "秒级响应", "responseTarget": "2s", "resolutionTarget": "3600s"}
    level = httpx.post(f"{base}/v1/service-levels", headers=admin, timeout=10, json=fast)
    root = httpx.post(f"{base}/v1/service-types", headers=admin, timeout=10,
                      json={"displayName": "演示SLA"})  # fmt: skip
    leaf = httpx.post(f"{base}/v1/service-types", headers=admin, timeout=10, json={
        "displayName": "秒级", "parentServiceTypeId": root.json()["serviceTypeId"],
        "defaultServiceLevelId": level.json()["serviceLevelId"]})  # fmt: skip
    assert leaf.status_code == 200, leaf.text
    urgent = httpx.post(f"{base}/v1/tickets", headers=requester, timeout=10, json={
        "title": "秒级工单", "serviceTypeId": leaf.json()["serviceTypeId"]}).json()  # fmt: skip
    _wait_message(base, _sign_in(base, "fastfix-admin"), urgent["ticketId"], "已超时")
    # Reporting takes dispatch's verdict: the ticket was assigned within the 2 seconds, yet
    # nobody responded, so its response target counts as missed (reporting's recorder).
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        report = httpx.get(f"{base}/v1/reports/sla", headers=admin, timeout=10).json()
        if report.get("responseTotal", 0) > report.get("responseMet", 0):
            return
        time.sleep(0.3)
    raise AssertionError(f"the breach never reached the SLA report: {report}")


def _wait_message(base: str, headers: dict[str, str], ticket_id: str, wanted: str) -> None:
    """Waits until the user's message centre has a message about the ticket whose title
    says `wanted`."""
    deadline, titles = time.monotonic() + 45, []
    while time.monotonic() < deadline:
        messages = httpx.get(f"{base}/v1/messages", headers=headers, timeout=10).json()
        titles = [m["title"] for m in messages.get("messages", [])
                  if m.get("ticketId") == ticket_id]  # fmt: skip
        if any(wanted in t for t in titles):
            return
        time.sleep(0.3)
    raise AssertionError(f"no {wanted!r} message about {ticket_id}: {titles}")


def _unstarted_ticket_left_to_the_provider_admin_who_is_told(
    base: str, requester: dict[str, str], admin: dict[str, str]
) -> None:
    """A rule whose engineers must start within a second: nobody does, the ticket moves to the
    next engineer, then — every engineer tried — dispatch leaves it to the provider's admins
    (ESCALATED_TO_ADMIN), and notify tells 快修's admin (dispatch's relay →
    ticketing.dispatch.decision.v1 → notify's notifier)."""
    levels = httpx.get(f"{base}/v1/service-levels", headers=admin, timeout=10).json()
    standard = next(  # no approval: dispatched as soon as it is raised
        lv["serviceLevelId"] for lv in levels["serviceLevels"] if lv["displayName"] == "标准服务"
    )
    root = httpx.post(f"{base}/v1/service-types", headers=admin, timeout=10,
                      json={"displayName": "演示再分派"})  # fmt: skip
    made = httpx.post(f"{base}/v1/service-types", headers=admin, timeout=10, json={
        "displayName": "无人接手", "parentServiceTypeId": root.json()["serviceTypeId"],
        "defaultServiceLevelId": standard})  # fmt: skip
    assert made.status_code == 200, made.text
    type_id = made.json()["serviceTypeId"]
    providers = httpx.get(f"{base}/v1/providers", params={"displayName": "快修"}, headers=admin,
                          timeout=10).json()["providers"]  # fmt: skip
    rule = httpx.post(f"{base}/v1/dispatch-rules", headers=admin, timeout=10, json={
        "displayName": "一秒内开始", "enabled": True, "priority": 0, "serviceTypeIds": [type_id],
        "providerId": providers[0]["providerId"], "strategy": "ASSIGNMENT_STRATEGY_ROUND_ROBIN",
        "escalateAfter": "1s"})  # fmt: skip
    assert rule.status_code == 200, rule.text
    raised = httpx.post(f"{base}/v1/tickets", headers=requester, timeout=10,
                        json={"title": "无人处理的工单", "serviceTypeId": type_id})  # fmt: skip
    assert raised.status_code == 200, raised.text
    ticket = raised.json()
    _wait_message(base, _sign_in(base, "fastfix-admin"), ticket["ticketId"], "待您指派")
    decisions = httpx.get(f"{base}/v1/tickets/{ticket['ticketId']}/dispatch-decisions",
                          headers=admin, timeout=10).json()["dispatchDecisions"]  # fmt: skip
    assert decisions[-1]["kind"] == "DECISION_KIND_ESCALATED_TO_ADMIN", decisions
    requester_titles = [
        m["title"]
        for m in httpx.get(f"{base}/v1/messages", headers=requester, timeout=10).json()["messages"]
        if m.get("ticketId") == ticket["ticketId"]
    ]
    assert not any("待您指派" in t for t in requester_titles)  # only the provider's admins
    httpx.delete(f"{base}/v1/dispatch-rules/{rule.json()['dispatchRuleId']}", headers=admin,
                 timeout=10)  # fmt: skip


def _wait_dispatched(base: str, ticket_id: str, admin: dict[str, str]) -> None:
    deadline = time.monotonic() + 45  # the dispatcher may still be joining its group
    while time.monotonic() < deadline:
        ticket = httpx.get(f"{base}/v1/tickets/{ticket_id}", headers=admin, timeout=10).json()
        if ticket.get("engineerId"):
            decisions = httpx.get(
                f"{base}/v1/tickets/{ticket_id}/dispatch-decisions", headers=admin, timeout=10
            ).json()["dispatchDecisions"]
            kinds = [d["kind"] for d in decisions]  # provider first, when engineers were unknown
            assert kinds[-1] == "DECISION_KIND_ENGINEER_CHOSEN", decisions
            return
        time.sleep(0.3)
    raise AssertionError("the demo ticket was never dispatched")

"""Dispatch rules with a dry run, decisions and their explanation, transfer, the service log
and its export, notification templates with preview, and webhooks (issue 13)."""

from __future__ import annotations

import csv
import io

from tests.suite.browser.conftest import ADMIN_PASSWORD, DEMO_PASSWORD, Tab
from tests.suite.browser.helpers import Api, wait_for


async def _dispatched(api: Api, ticket_id: str) -> dict:
    found: dict = {}

    async def assigned() -> bool:
        found.update(await api.get(f"/v1/tickets/{ticket_id}"))
        return bool(found.get("engineerId"))

    await wait_for(assigned, 45, "the automatic assignment")
    return found


async def test_a_dry_run_compares_a_draft_with_todays_rules_and_decisions_explain(
    tab: Tab, suite_url: str
):
    requester = await Api.sign_in(suite_url, "acme-user", DEMO_PASSWORD)
    admin = await Api.sign_in(suite_url, "admin", ADMIN_PASSWORD)
    ticket = await requester.raise_ticket("无线网络时断时续", "标准服务")
    await _dispatched(admin, ticket["ticketId"])  # demo rule 1: round robin at 快修

    await tab.sign_in("admin", ADMIN_PASSWORD)
    await tab.page.click("[data-menu='/dispatch-rules']")
    await tab.page.locator("[data-test=rule-name]").first.wait_for()
    before = await admin.get("/v1/dispatch-rules", showDisabled="true")
    await tab.page.click("[data-test=dry-run]")
    draft = tab.page.locator("[data-test=draft-rules]")
    # The draft turns rule 1 (华东制造 → 快修网络服务（轮询）) off: acme's tickets go elsewhere.
    first = draft.locator("tr", has_text="华东制造").locator(".el-checkbox")
    await first.click()
    await tab.page.click("[data-test=run-dry-run]")
    results = tab.page.locator("[data-test=dry-run-results]")
    await results.wait_for()
    assert int(await results.get_attribute("data-changed") or "0") >= 1
    await tab.screenshot("admin-dispatch-dry-run")
    after = await admin.get("/v1/dispatch-rules", showDisabled="true")
    assert after == before  # nothing saved

    # The ticket's decision, with candidates, scores and the rule and version it used.
    await tab.open(f"/tickets/{ticket['ticketId']}")
    await tab.page.locator(".el-tabs__item", has_text="分派记录").click()
    decision = tab.page.locator("[data-test=decision][data-kind=DECISION_KIND_ENGINEER_CHOSEN]")
    await decision.first.wait_for()
    text = await decision.first.inner_text()
    assert "华东制造" in text and "v1" in text
    assert await decision.first.locator("[data-test=candidates] tr").count() >= 2
    await tab.screenshot("admin-ticket-decisions")
    assert tab.errors == []


async def test_a_provider_admin_keeps_a_rule_for_his_own_engineers(tab: Tab, suite_url: str):
    provider_admin = await Api.sign_in(suite_url, "fastfix-admin", DEMO_PASSWORD)
    await tab.sign_in("fastfix-admin")
    await tab.page.click("[data-menu='/dispatch-rules']")
    await tab.settle()
    assert await tab.page.locator("[data-test=rule-name]").count() == 0  # the platform's: hidden
    await tab.page.click("[data-test=create]")
    await tab.page.fill("input[name=ruleName]", "快修内部轮流")
    assert await tab.page.locator("[data-test=rule-provider] .is-disabled").count() >= 1
    assert await tab.page.locator("[data-test=rule-stage-choice]").count() == 0
    await tab.page.click("[data-test=rule-strategy]")
    await tab.page.locator(".rule-strategy-options .el-select-dropdown__item",
                           has_text="轮询").click()  # fmt: skip
    await tab.page.locator(".el-dialog .el-switch").first.click()  # saved disabled: routes nothing
    await tab.page.click("[data-test=save]")
    await tab.page.locator("[data-test=rule-name]", has_text="快修内部轮流").wait_for()
    mine = (await provider_admin.get("/v1/dispatch-rules", showDisabled="true"))["dispatchRules"]
    try:
        assert [(r["displayName"], r["stage"], r["enabled"]) for r in mine] == [
            ("快修内部轮流", "RULE_STAGE_ENGINEER", False)
        ]
        assert mine[0]["providerId"] == (await provider_admin.get("/v1/users/me"))["organizationId"]
        assert mine[0]["strategy"] == "ASSIGNMENT_STRATEGY_ROUND_ROBIN"
        await tab.screenshot("provider-dispatch-rules")
        assert tab.errors == []
    finally:
        for rule in mine:
            await provider_admin.call("DELETE", f"/v1/dispatch-rules/{rule['dispatchRuleId']}")


async def test_a_provider_admin_transfers_a_ticket_between_his_engineers(tab: Tab, suite_url: str):
    requester = await Api.sign_in(suite_url, "acme-user", DEMO_PASSWORD)
    admin = await Api.sign_in(suite_url, "admin", ADMIN_PASSWORD)
    provider_admin = await Api.sign_in(suite_url, "fastfix-admin", DEMO_PASSWORD)
    ticket = await requester.raise_ticket("会议室电话无拨号音", "标准服务")
    before = await _dispatched(admin, ticket["ticketId"])

    await tab.sign_in("fastfix-admin")
    await tab.open(f"/tickets/{ticket['ticketId']}")
    await tab.page.click("[data-test=transfer]")
    await tab.page.click("[data-test=transfer-engineer]")
    await tab.page.locator(".transfer-engineer-options .el-select-dropdown__item").first.click()
    await tab.page.fill("input[name=transferReason]", "王工外出")
    await tab.page.click("[data-test=confirm-transfer]")
    await tab.page.locator("[data-action=transferred]").wait_for()
    after = await provider_admin.get(f"/v1/tickets/{ticket['ticketId']}")
    assert after["engineerId"] and after["engineerId"] != before["engineerId"]
    assert tab.errors == []


async def test_the_service_log_lists_and_exports_with_its_filters(tab: Tab, suite_url: str):
    requester = await Api.sign_in(suite_url, "galaxy-user", DEMO_PASSWORD)
    admin = await Api.sign_in(suite_url, "admin", ADMIN_PASSWORD)
    ticket = await requester.raise_ticket("收银机无法联网", "标准服务")
    # The log holds finished tickets: he withdraws it.
    cancelled = await requester.call(
        "POST", f"/v1/tickets/{ticket['ticketId']}:cancel", json={"reason": "已自行恢复"}
    )
    assert cancelled.status_code == 200, cancelled.text

    async def logged() -> bool:
        log = await admin.get("/v1/reports/service-log", pageSize=100)
        return any(e["ticketId"] == ticket["ticketId"] for e in log.get("entries", []))

    await wait_for(logged, 45, "the ticket in the service log")
    await tab.sign_in("admin", ADMIN_PASSWORD)
    await tab.page.click("[data-menu='/service-log']")
    await tab.page.locator("[data-test=service-log] tr", has_text=ticket["number"]).wait_for()
    async with tab.page.expect_download() as download_info:
        await tab.page.click("[data-test=export-csv]")
    download = await download_info.value
    path = await download.path()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert any(ticket["number"] in row for row in rows)
    assert download.suggested_filename.endswith(".csv")
    await tab.screenshot("admin-service-log")
    assert tab.errors == []


async def test_a_template_is_previewed_and_an_unknown_variable_is_named(tab: Tab):
    await tab.sign_in("admin", ADMIN_PASSWORD)
    await tab.page.click("[data-menu='/notification-templates']")
    await tab.page.locator("[data-test=templates] [data-test=edit]").first.click()
    title = tab.page.locator(".el-dialog:visible input[name=titleTemplate]")
    await title.fill("{{ no_such_thing }}")
    await tab.page.click(".el-dialog:visible [data-test=preview]")
    error = tab.page.locator(
        ".el-dialog:visible .el-form-item:has(input[name=titleTemplate]) .el-form-item__error"
    )
    await error.wait_for()
    assert "no_such_thing" in await error.inner_text()
    await title.fill("工单 {{ ticket.number }} 有新进展")
    await tab.page.click(".el-dialog:visible [data-test=preview]")
    rendered = tab.page.locator("[data-test=rendered-title]")
    await rendered.wait_for()
    assert (await rendered.inner_text()).startswith("工单 ")
    assert "{{" not in await rendered.inner_text()
    await tab.screenshot("admin-template-preview")
    assert tab.errors_besides("status of 400 (Bad Request) (http://127.0.0.1") == []


async def test_an_enterprise_admin_subscribes_a_webhook_and_sees_its_secret_once(
    tab: Tab, suite_url: str
):
    await tab.sign_in("acme-admin")
    await tab.page.click("[data-menu='/webhooks']")
    await tab.page.click("[data-test=create]")
    dialog = tab.page.locator(".el-dialog:visible")
    await dialog.locator("input[name=url]").fill("http://127.0.0.1:9/hook")  # private: refused
    await dialog.locator("[data-test=save]").click()
    error = dialog.locator(".el-form-item:has(input[name=url]) .el-form-item__error")
    await error.wait_for()
    await dialog.locator("input[name=url]").fill("https://8.8.8.8/ticketing-hook")
    await dialog.locator(".el-switch").click()  # paused: nothing is sent from the test
    await dialog.locator("[data-test=save]").click()
    secret = tab.page.locator("input[data-test=secret]")
    await secret.wait_for()
    assert (await secret.input_value()).startswith("whsec_")
    await tab.page.keyboard.press("Escape")
    row = tab.page.locator("[data-test=webhooks] tr", has_text="8.8.8.8")
    await row.wait_for()
    admin = await Api.sign_in(suite_url, "acme-admin", DEMO_PASSWORD)
    subscriptions = (await admin.get("/v1/webhook-subscriptions"))["subscriptions"]
    mine = [s for s in subscriptions if "8.8.8.8" in s["url"]]
    assert len(mine) == 1 and not mine[0].get("active") and not mine[0].get("secret")
    await row.locator("[data-test=delete]").click()
    await tab.page.locator(".el-message-box .el-button--primary").click()
    await row.wait_for(state="detached")
    assert tab.errors_besides("status of 400 (Bad Request) (http://127.0.0.1") == []


async def test_an_enterprise_admin_gives_a_system_an_api_key_and_revokes_it(
    tab: Tab, suite_url: str
):
    """API 拓展接入: the key is shown once, reads the enterprise's tickets with
    `Authorization: ApiKey`, and stops working when revoked."""
    await tab.sign_in("acme-admin")
    await tab.page.click("[data-menu='/api-keys']")
    await tab.page.click("[data-test=create-key]")
    dialog = tab.page.locator(".el-dialog:visible")
    await dialog.locator("input[name=displayName]").fill("ERP 集成")
    await dialog.locator("[data-test=key-permissions]").click()
    await tab.page.locator(
        ".key-permission-options .el-select-dropdown__item", has_text="ticket.read"
    ).first.click()
    await dialog.locator("[data-test=save-key]").click()
    secret_box = tab.page.locator("input[data-test=key-secret]")
    await secret_box.wait_for()
    secret = await secret_box.input_value()
    assert secret.startswith("tk_")
    await tab.page.keyboard.press("Escape")
    key = Api(suite_url, {"Authorization": f"ApiKey {secret}"})
    assert "tickets" in await key.get("/v1/tickets")
    row = tab.page.locator("[data-test=api-keys] tr", has_text="ERP 集成")
    await row.locator("[data-test=revoke]").click()
    await tab.page.locator(".el-message-box .el-button--primary").click()
    await row.locator("[data-test=key-state]", has_text="已吊销").wait_for()

    async def refused() -> bool:
        return (await key.call("GET", "/v1/tickets")).status_code == 401

    await wait_for(refused, timeout=10, what="the revoked key refused")
    assert tab.errors == []


async def test_a_business_calendar_is_made_beside_the_demo_sla(tab: Tab, suite_url: str):
    await tab.sign_in("admin", ADMIN_PASSWORD)
    await tab.page.click("[data-menu='/sla']")
    await tab.page.locator("[data-test=calendar-name]", has_text="工作日").first.wait_for()
    await tab.page.click("[data-test=create-calendar]")
    dialog = tab.page.locator(".el-dialog:visible")
    await dialog.locator("input[name=calendarName]").fill("周六值班")
    await dialog.locator("input[name=hours-6]").fill("10:00-16:00")
    await dialog.locator("[data-test=save-calendar]").click()
    await tab.page.locator("[data-test=calendar-name]", has_text="周六值班").wait_for()
    admin = await Api.sign_in(suite_url, "admin", ADMIN_PASSWORD)
    calendars = (await admin.get("/v1/business-calendars"))["businessCalendars"]
    made = next(c for c in calendars if c["displayName"] == "周六值班")
    saturday = next(d for d in made["weeklyHours"] if d["weekday"] == 6)
    assert saturday["intervals"] == [{"start": "10:00", "end": "16:00"}]
    assert made["holidayCountry"] == "CN" and len(made["weeklyHours"]) == 6
    await tab.page.locator(".el-tabs__item", has_text="SLA 策略").click()
    await tab.page.locator("[data-test=policy-name]", has_text="标准服务").wait_for()
    await tab.screenshot("admin-sla")
    assert tab.errors == []

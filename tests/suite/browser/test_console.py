"""The admin console in a real browser against the real suite (issue 13)."""

from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.suite.browser.conftest import ADMIN_PASSWORD, DEMO_PASSWORD, Tab
from tests.suite.browser.helpers import Api, wait_for

# What each demo role finds in its menu: the pages its permission codes open.
_ADMIN_PAGES = {"/users", "/roles", "/permissions", "/security-logs"}
MENUS = {
    "admin": {"/dashboard", "/tickets", "/approvals", "/enterprises", "/providers"} | _ADMIN_PAGES,
    "acme-admin": {"/dashboard", "/tickets", "/approvals", "/enterprises", "/providers", "/users"}
    | {"/roles"},
    "acme-user": {"/tickets"},
    "fastfix-admin": {"/dashboard", "/tickets", "/enterprises", "/providers", "/users", "/roles"},
    "engineer-wang": {"/tickets"},
}
MENUS["admin"] |= {"/catalog", "/dispatch-rules", "/sla"}
MENUS["fastfix-admin"] |= {"/service-log", "/dispatch-rules"}  # his own engineer-stage rules
MENUS["admin"] |= {"/service-log", "/notification-templates", "/webhooks"}
MENUS["fastfix-admin"] |= {"/webhooks"}
MENUS["acme-admin"] |= {"/service-log", "/webhooks"}
for _login in ("admin", "fastfix-admin", "acme-admin"):  # `integration`: API keys too
    MENUS[_login] |= {"/api-keys"}
for _pages in MENUS.values():
    _pages |= {"/messages", "/knowledge"}  # everyone's message centre; everyone reads articles


def _password(login: str) -> str:
    return ADMIN_PASSWORD if login == "admin" else DEMO_PASSWORD


async def _menu(tab: Tab) -> set[str]:
    return set(
        await tab.page.eval_on_selector_all("[data-menu]", "els => els.map(e => e.dataset.menu)")
    )


@pytest.mark.parametrize("login", sorted(MENUS))
async def test_each_role_opens_every_page_it_may_see_without_an_error(tab: Tab, login: str):
    await tab.sign_in(login, _password(login))
    assert await _menu(tab) == MENUS[login]
    for path in sorted(MENUS[login]):
        await tab.page.click(f"[data-menu='{path}']")
        await tab.page.wait_for_url(re.compile(f"/console{path}$"))
        await tab.settle()
        await tab.screenshot(f"{login}{path.replace('/', '-')}")
    assert tab.errors == []


async def test_a_restricted_user_sees_no_forbidden_menu_or_button_and_the_server_refuses(
    tab: Tab, suite_url: str
):
    requester = await Api.sign_in(suite_url, "acme-user", DEMO_PASSWORD)
    ticket = await requester.raise_ticket("打印机卡纸", "加急服务")  # waits for approval
    await tab.sign_in("acme-user")
    await tab.open("/enterprises")  # not his: back to his first page
    await tab.page.wait_for_url(re.compile("/console/tickets$"))
    await tab.open(f"/tickets/{ticket['ticketId']}")
    await tab.page.wait_for_selector("[data-test=ticket-status]")
    for button in ("approve", "reject", "assign", "resolve"):
        assert await tab.page.query_selector(f"[data-test={button}]") is None, button
    refused = await requester.call("POST", f"/v1/tickets/{ticket['ticketId']}:approve", json={})
    assert refused.status_code == 403
    assert tab.errors == []


async def test_admin_journey_enterprise_created_ticket_approved_and_assigned(
    tab: Tab, browser, suite_url: str
):
    # An enterprise, with the server's field error shown on the field first.
    await tab.sign_in("admin", ADMIN_PASSWORD)
    await tab.page.click("[data-menu='/enterprises']")
    await tab.page.click("[data-test=create]")
    await tab.page.click("[data-test=save]")
    name_error = tab.page.locator(".el-form-item:has(input[name=displayName]) .el-form-item__error")
    await name_error.wait_for()
    assert (await name_error.inner_text()).strip()
    await tab.page.fill("input[name=displayName]", "浏览器测试企业")
    await tab.page.fill("input[name=industry]", "制造业")
    await tab.page.click("[data-test=save]")
    await tab.page.locator("[data-test=enterprise-name]", has_text="浏览器测试企业").wait_for()
    await tab.screenshot("admin-enterprises-created")

    # A requester raises a ticket that needs his enterprise admin's approval; she approves it
    # in her approval queue.
    requester = await Api.sign_in(suite_url, "acme-user", DEMO_PASSWORD)
    ticket = await requester.raise_ticket("会议室投影仪无信号", "加急服务")
    assert ticket["status"] == "TICKET_STATUS_PENDING_APPROVAL"
    approver_context = await browser.new_context(viewport={"width": 1440, "height": 900})
    approver = Tab(await approver_context.new_page(), suite_url)
    await approver.sign_in("acme-admin")
    await approver.page.click("[data-menu='/approvals']")
    row = approver.page.locator("[data-test=approvals] tr", has_text=ticket["number"])
    await row.locator("[data-test=approve]").click()
    await approver.page.locator(".el-message-box .el-button--primary").click()
    await row.wait_for(state="detached")
    await approver_context.close()

    # The platform admin assigns it by hand to an engineer of 快修网络服务.
    await tab.open(f"/tickets/{ticket['ticketId']}")
    status = tab.page.locator("[data-test=ticket-status]")
    await status.wait_for()
    await tab.page.locator("[data-test=assign]").wait_for()
    await tab.page.click("[data-test=assign]")
    await tab.page.click("[data-test=assign-provider]")
    await tab.page.locator(
        ".assign-provider-options .el-select-dropdown__item", has_text="快修网络服务"
    ).click()
    await tab.page.click("[data-test=assign-engineer]")
    await tab.page.locator(
        ".assign-engineer-options .el-select-dropdown__item", has_text="李工"
    ).click()
    await tab.page.click("[data-test=confirm-assign]")
    await status.filter(has_text="已分派").wait_for()
    await tab.page.locator("[data-action=assigned]").last.wait_for()
    # 负责工程师: the provider, the engineer and his number (the demo's 李工 is E002).
    handler = tab.page.locator("[data-test=ticket-handler]")
    await handler.filter(has_text="快修网络服务 · 李工 (E002)").wait_for()
    # By hand, to the engineer chosen (a manual assignment wins over dispatch's).
    admin = await Api.sign_in(suite_url, "admin", ADMIN_PASSWORD)
    assigned = await admin.get(f"/v1/tickets/{ticket['ticketId']}")
    engineers = await admin.get(f"/v1/providers/{assigned['providerId']}/engineers")
    chosen = next(e for e in engineers["engineers"] if e["displayName"] == "李工")
    assert assigned["engineerId"] == chosen["engineerId"]
    await tab.screenshot("admin-ticket-assigned")

    # It is in the list, with its number.
    await tab.page.click("[data-menu='/tickets']")
    await tab.page.locator("[data-test=ticket-link]", has_text=ticket["number"]).wait_for()
    assert tab.errors_besides("status of 400 (Bad Request) (http://127.0.0.1") == []


async def test_markup_saved_in_a_name_renders_as_text_and_runs_nothing(tab: Tab, suite_url: str):
    admin = await Api.sign_in(suite_url, "admin", ADMIN_PASSWORD)
    markup = "<img src=x onerror=alert(1)>"
    created = await admin.call("POST", "/v1/enterprises", json={"displayName": markup})
    assert created.status_code == 200, created.text
    await tab.sign_in("admin", ADMIN_PASSWORD)
    await tab.open("/enterprises")
    await tab.page.fill("input[name=search]", "onerror")
    await tab.page.keyboard.press("Enter")
    cell = tab.page.locator("[data-test=enterprise-name]", has_text="onerror")
    await cell.wait_for()
    assert await cell.inner_text() == markup
    assert await tab.page.locator("[data-test=enterprises] img").count() == 0
    await tab.page.wait_for_timeout(300)
    assert tab.dialogs == []
    assert tab.errors == []


async def test_dashboard_chart_shows_the_reporting_apis_numbers(tab: Tab, suite_url: str):
    requester = await Api.sign_in(suite_url, "acme-user", DEMO_PASSWORD)
    await requester.raise_ticket("dashboard 计数", "标准服务")
    admin = await Api.sign_in(suite_url, "admin", ADMIN_PASSWORD)

    async def counted() -> bool:
        report = await admin.get("/v1/reports/volume", interval="INTERVAL_DAY")
        return sum(b.get("created", 0) for b in report.get("buckets", [])) > 0

    await wait_for(counted, 45, "the ticket in reporting")
    await tab.sign_in("admin", ADMIN_PASSWORD)
    async with (
        tab.page.expect_response(re.compile("/v1/reports/volume")) as answer,
        tab.page.expect_response(re.compile("/v1/reports/top")) as top_answer,
    ):
        await tab.open("/dashboard")
    request_url = (await answer.value).request.url
    top_url = (await top_answer.value).request.url
    chart = tab.page.locator("[data-chart=volume]")
    await chart.wait_for()
    await tab.settle()
    shown = json.loads(await chart.get_attribute("data-series") or "{}")

    query = dict(parse_qsl(urlsplit(request_url).query))
    buckets = (await admin.get("/v1/reports/volume", **query))["buckets"]
    series = {s["name"]: s["data"] for s in shown["series"]}
    created, closed, backlog = series["新建"], series["关闭"], series["积压"]
    assert created == [b.get("created", 0) for b in buckets]
    assert closed == [b.get("closed", 0) for b in buckets]
    assert backlog == [b.get("backlog", 0) for b in buckets]
    assert sum(created) > 0
    assert query["filter.timeZone"] == "Asia/Shanghai"

    # The TOP-10 (customers by tickets, by default): the API's entries, in its order.
    top = tab.page.locator("[data-chart=top]")
    top_query = dict(parse_qsl(urlsplit(top_url).query))
    entries = (await admin.get("/v1/reports/top", **top_query))["entries"]
    shown_top = json.loads(await top.get_attribute("data-series") or "{}")
    assert shown_top["categories"] == [e.get("displayName") or e["id"] for e in entries]
    assert shown_top["series"][0]["data"] == [e.get("count", 0) for e in entries]
    assert sum(shown_top["series"][0]["data"]) > 0

    # Durations (by provider, hours), satisfaction (ratings per score), workload (per engineer).
    filters = {k: v for k, v in top_query.items() if k.startswith("filter.")}
    await tab.settle()

    async def series(name: str) -> dict:
        chart = tab.page.locator(f"[data-chart={name}]")
        return json.loads(await chart.get_attribute("data-series") or "{}")

    groups = (await admin.get("/v1/reports/durations", groupBy="DIMENSION_PROVIDER", **filters))[
        "groups"
    ]
    durations = await series("durations")
    assert durations["categories"] == [g.get("displayName") or g["id"] for g in groups]
    service_hours = [  # as the console rounds: Math.round(hours * 100) / 100
        math.floor(float(g.get("service", {}).get("average", "0s")[:-1]) / 3600 * 100 + 0.5) / 100
        for g in groups
    ]
    assert durations["series"][0]["data"] == service_hours
    satisfaction = await admin.get("/v1/reports/satisfaction", interval="INTERVAL_WEEK", **filters)
    by_score = satisfaction.get("byScore", {})
    assert (await series("satisfaction"))["series"][0]["data"] == [
        by_score.get(str(score), 0) for score in range(1, 6)
    ]
    workload = (await admin.get("/v1/reports/workload", **filters)).get("entries", [])
    shown_workload = await series("workload")
    assert shown_workload["series"][0]["data"] == [e.get("open", 0) for e in workload]
    assert shown_workload["series"][1]["data"] == [e.get("handled", 0) for e in workload]

    # The same numbers as a table.
    await tab.page.click("[data-test=volume-as-table] .el-switch__core")
    table = tab.page.locator("[data-test=volume-table]")
    await table.wait_for()
    await tab.screenshot("admin-dashboard")
    stats = await admin.get("/v1/tickets:stats")
    pending = await tab.page.locator("[data-stat=STATUS_GROUP_PENDING]").inner_text()
    assert int(pending) == stats["byStatusGroup"].get("STATUS_GROUP_PENDING", 0)
    assert tab.errors == []


async def test_the_ticket_list_filters_as_the_api_does(tab: Tab, suite_url: str):
    requester = await Api.sign_in(suite_url, "galaxy-user", DEMO_PASSWORD)
    await requester.raise_ticket("货架扫码枪失灵", "标准服务")
    admin = await Api.sign_in(suite_url, "admin", ADMIN_PASSWORD)
    galaxy = (await admin.get("/v1/enterprises", displayName="星河"))["enterprises"][0]
    expected = await admin.get("/v1/tickets", enterpriseId=galaxy["enterpriseId"])

    await tab.sign_in("admin", ADMIN_PASSWORD)
    await tab.page.click("[data-menu='/tickets']")
    await tab.page.click("[data-test=enterprise-filter]")
    await tab.page.locator(".el-select-dropdown__item:visible", has_text="星河零售集团").click()
    async with tab.page.expect_response(lambda r: "enterpriseId=" in r.url):
        await tab.page.click("[data-test=search]")
    await tab.settle()
    links = tab.page.locator("[data-test=ticket-link]")
    await links.first.wait_for()
    shown = await links.all_inner_texts()
    assert shown == [t["number"] for t in expected["tickets"]]
    assert tab.errors == []


async def test_a_provider_admin_filters_his_tickets_by_engineer(tab: Tab, suite_url: str):
    provider_admin = await Api.sign_in(suite_url, "fastfix-admin", DEMO_PASSWORD)
    me = await provider_admin.get("/v1/users/me")
    engineers = await provider_admin.get(f"/v1/providers/{me['organizationId']}/engineers")
    wang = next(e for e in engineers["engineers"] if e["displayName"] == "王工")
    expected = await provider_admin.get("/v1/tickets", engineerId=wang["engineerId"])

    await tab.sign_in("fastfix-admin")
    await tab.page.click("[data-menu='/tickets']")
    await tab.page.click("[data-test=engineer-filter]")
    await tab.page.locator(".el-select-dropdown__item:visible", has_text="王工").click()
    async with tab.page.expect_response(lambda r: "engineerId=" in r.url):
        await tab.page.click("[data-test=search]")
    await tab.settle()
    shown = await tab.page.locator("[data-test=ticket-link]").all_inner_texts()
    assert shown == [t["number"] for t in expected.get("tickets", [])]
    assert tab.errors == []

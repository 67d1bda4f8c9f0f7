"""Users, roles with the permission tree, the menu and button catalogue, the security log and
the message centre's live unread count, in the browser (issue 13)."""

from __future__ import annotations

import base64
import json
import re
import uuid

from tests.suite.browser.conftest import ADMIN_PASSWORD, DEMO_PASSWORD, Tab
from tests.suite.browser.helpers import Api, wait_for


async def test_an_enterprise_admin_makes_a_role_from_the_tree_and_a_user_who_holds_it(
    tab: Tab, browser, suite_url: str
):
    suffix = uuid.uuid4().hex[:6]
    role_name, username = f"报修专员{suffix}", f"clerk-{suffix}"
    await tab.sign_in("acme-admin")
    await tab.page.click("[data-menu='/roles']")
    await tab.page.click("[data-test=create]")
    await tab.page.fill(".el-dialog input[name=displayName]", role_name)
    tree = tab.page.locator("[data-test=permission-tree]")
    # She grants only what she holds: 知识库 has no 编辑 button in her tree.
    assert await tree.locator(".el-tree-node__content", has_text="编辑知识库").count() == 0
    for label in ("提交工单", "知识库"):
        node = tree.locator(".el-tree-node__content", has_text=re.compile(f"^{label}$"))
        await node.locator(".el-checkbox").click()
    await tab.page.click("[data-test=save]")
    await tab.page.locator("[data-test=role-name]", has_text=role_name).wait_for()
    await tab.screenshot("acme-admin-roles")

    admin = await Api.sign_in(suite_url, "acme-admin", DEMO_PASSWORD)
    roles = (await admin.get("/v1/roles", pageSize=100))["roles"]
    role = next(r for r in roles if r["displayName"] == role_name)
    # The granted button and, half-checked, the menu above it.
    assert set(role["permissionCodes"]) == {"ticket.create", "ticket.read", "knowledge.read"}

    await tab.page.click("[data-menu='/users']")
    await tab.page.click("[data-test=create]")
    await tab.page.click("[data-test=save]")  # empty: the server names the field
    await tab.page.locator(
        ".el-form-item:has(input[name=displayName]) .el-form-item__error"
    ).wait_for()
    await tab.page.fill(".el-dialog input[name=displayName]", f"报修员{suffix}")
    await tab.page.fill(".el-dialog input[name=username]", username)
    await tab.page.fill(".el-dialog input[name=password]", "clerk-pass-2026")
    await tab.page.click("[data-test=user-roles]")
    await tab.page.locator(
        ".user-role-options .el-select-dropdown__item", has_text=role_name
    ).click()
    await tab.page.keyboard.press("Escape")
    await tab.page.click("[data-test=save]")
    await tab.page.locator("[data-test=user-name]", has_text=f"报修员{suffix}").wait_for()
    assert tab.errors_besides("status of 400 (Bad Request) (http://127.0.0.1") == []

    # The new user sees what the role grants, and no more.
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    clerk = Tab(await context.new_page(), suite_url)
    await clerk.sign_in(username, "clerk-pass-2026")
    menu = await clerk.page.eval_on_selector_all(
        "[data-menu]", "els => els.map(e => e.dataset.menu)"
    )
    assert set(menu) == {"/tickets", "/messages", "/knowledge"}
    await context.close()


async def test_the_catalogue_renames_a_menu_and_the_security_log_filters(tab: Tab, suite_url: str):
    await tab.sign_in("admin", ADMIN_PASSWORD)
    await tab.page.click("[data-menu='/permissions']")
    row = tab.page.locator("[data-test=permissions] tr", has_text="knowledge.write")
    await row.locator("[data-test=rename]").click()
    await tab.page.locator(".el-message-box input").fill("知识库编辑")
    await tab.page.locator(".el-message-box .el-button--primary").click()
    await row.locator("[data-test=permission-name]", has_text="知识库编辑").wait_for()
    admin = await Api.sign_in(suite_url, "admin", ADMIN_PASSWORD)
    catalogue = (await admin.get("/v1/permissions"))["permissions"]
    assert (
        next(p for p in catalogue if p["code"] == "knowledge.write")["displayName"] == "知识库编辑"
    )
    await tab.screenshot("admin-permissions")

    # Off (asked first), then on again: the catalogue says so.
    await row.locator(".el-switch").click()
    await tab.page.locator(".el-message-box .el-button--primary").click()
    await row.locator(".el-switch:not(.is-checked)").wait_for()
    catalogue = (await admin.get("/v1/permissions", showDisabled="true"))["permissions"]
    assert next(p for p in catalogue if p["code"] == "knowledge.write").get("enabled") is not True
    await row.locator(".el-switch").click()
    await row.locator(".el-switch.is-checked").wait_for()
    catalogue = (await admin.get("/v1/permissions"))["permissions"]
    assert next(p for p in catalogue if p["code"] == "knowledge.write")["enabled"] is True

    anonymous = Api(suite_url, {})
    failed = await anonymous.call(
        "POST", "/v1/auth:login", json={"login": "galaxy-user", "password": "wrong-password"}
    )
    assert failed.status_code == 401, failed.text
    await tab.page.click("[data-menu='/security-logs']")
    await tab.page.click("[data-test=kind-filter]")
    await tab.page.locator(
        ".security-kind-options .el-select-dropdown__item", has_text="登录失败"
    ).click()
    await tab.page.click("[data-test=search]")
    kinds = tab.page.locator("[data-test=security-kind]")
    await kinds.first.wait_for()
    await tab.settle()
    assert set(await kinds.evaluate_all("els => els.map(e => e.dataset.kind)")) == {
        "SECURITY_EVENT_KIND_LOGIN_FAILED"
    }
    assert await tab.page.locator("[data-test=security-logs] tr", has_text="galaxy-user").count()
    assert tab.errors == []


async def test_the_unread_count_follows_new_messages_live(tab: Tab, suite_url: str):
    requester = await Api.sign_in(suite_url, "galaxy-user", DEMO_PASSWORD)
    await tab.sign_in("galaxy-user")
    badge = tab.page.locator("[data-test=unread] .el-badge__content")

    async def unread() -> int:
        return (await requester.get("/v1/messages:unreadCount")).get("total", 0)

    before = await unread()
    ticket = await requester.raise_ticket("门禁卡失效", "标准服务")  # his receipt (回执)
    await wait_for(lambda: _more(unread, before), 45, "the receipt")
    expected = await unread()
    await badge.filter(has_text=str(expected)).wait_for(timeout=30_000)  # pushed, no reload

    await tab.page.click("[data-test=unread]")
    await tab.page.locator("[data-test=messages] tr", has_text=ticket["number"]).first.wait_for()
    await tab.screenshot("galaxy-user-messages")
    await tab.page.click("[data-test=mark-all-read]")
    await badge.wait_for(state="hidden")
    assert await unread() == 0
    assert tab.errors == []


async def _more(count, before: int) -> bool:  # type: ignore[no-untyped-def]
    return bool(await count() > before)


# A 1×1 PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


async def test_a_requester_uploads_an_image_and_sees_its_preview(tab: Tab, suite_url: str):
    requester = await Api.sign_in(suite_url, "acme-user", DEMO_PASSWORD)
    ticket = await requester.raise_ticket("屏幕闪烁（附照片）", "标准服务")
    await tab.sign_in("acme-user")
    await tab.open(f"/tickets/{ticket['ticketId']}")
    await tab.page.locator(".el-tabs__item", has_text="附件").click()
    await tab.page.set_input_files(
        "[data-test=attachment-input]",
        files=[{"name": "screen.png", "mimeType": "image/png", "buffer": PIXEL}],
    )
    preview = tab.page.locator("[data-test=attachment] img")
    await preview.wait_for()
    assert (await preview.get_attribute("src") or "").startswith("blob:")
    files = await requester.get(f"/v1/tickets/{ticket['ticketId']}/attachments")
    assert [f["filename"] for f in files["attachments"]] == ["screen.png"]
    assert tab.errors == []


async def test_the_access_token_is_renewed_before_it_expires(tab: Tab):
    await tab.sign_in("acme-user")
    key = "ticketing.console.session"
    before = json.loads(await tab.page.evaluate(f"sessionStorage.getItem('{key}')"))
    # As if the access token were about to expire: the next call renews it first.
    due = {**before, "expiresAt": 0}
    await tab.page.evaluate(f"sessionStorage.setItem('{key}', {json.dumps(json.dumps(due))})")
    await tab.page.reload()
    await tab.page.wait_for_selector("[data-test=who]")
    await tab.settle()
    after = json.loads(await tab.page.evaluate(f"sessionStorage.getItem('{key}')"))
    assert after["accessToken"] != before["accessToken"]
    assert after["refreshToken"] != before["refreshToken"]  # single use: a new one came back
    assert after["expiresAt"] > 0
    assert tab.errors == []


async def test_signing_out_ends_the_session_everywhere(tab: Tab, suite_url: str):
    await tab.sign_in("galaxy-user")
    key = "ticketing.console.session"
    stored = json.loads(await tab.page.evaluate(f"sessionStorage.getItem('{key}')"))
    await tab.page.click("[data-test=sign-out]")
    await tab.page.wait_for_url("**/console/login")
    assert await tab.page.evaluate(f"sessionStorage.getItem('{key}')") is None
    # The refresh token is revoked on the server, not only forgotten by the tab.
    refused = await Api(suite_url, {}).call(
        "POST", "/v1/auth:refresh", json={"refreshToken": stored["refreshToken"]}
    )
    assert refused.status_code == 401
    await tab.open("/tickets")  # signed out: back to the sign-in page
    await tab.page.wait_for_url(re.compile(r"/console/login\?next=/tickets$"))
    assert tab.errors == []


async def test_the_language_switch_is_kept_on_the_account(tab: Tab, suite_url: str):
    """The header's language switch saves the user's locale (notify writes his messages in
    it); signing in again brings the console back in that language."""
    await tab.sign_in("galaxy-user")
    switch = tab.page.locator("[data-test=locale]")
    await switch.filter(has_text="English").wait_for()
    await switch.click()
    await switch.filter(has_text="中文").wait_for()  # the console is in English now
    me = await Api.sign_in(suite_url, "galaxy-user", DEMO_PASSWORD)
    await wait_for(lambda: _locale_is(me, "en"))
    await tab.page.evaluate("localStorage.clear()")  # a new browser: only the account knows
    await tab.page.click("[data-test=sign-out]")
    await tab.page.wait_for_url("**/console/login")  # the console's own navigation first
    await tab.sign_in("galaxy-user")
    await switch.filter(has_text="中文").wait_for()
    await switch.click()  # back to Chinese, for the other tests
    await wait_for(lambda: _locale_is(me, "zh-CN"))
    assert tab.errors == []


async def _locale_is(api: Api, locale: str) -> bool:
    return (await api.get("/v1/users/me"))["locale"] == locale


async def test_the_time_zone_is_kept_on_the_account_and_times_show_in_it(tab: Tab, suite_url: str):
    """The header's time zone is the account's (notify writes times and keeps quiet hours in
    it); the console shows times in it, whatever the browser's zone (Asia/Shanghai here)."""
    await tab.sign_in("galaxy-user")
    await tab.open("/messages")
    first = tab.page.locator("[data-test=message-time]").first
    await first.wait_for()
    before = await first.inner_text()
    me = await Api.sign_in(suite_url, "galaxy-user", DEMO_PASSWORD)

    async def choose(zone: str) -> None:
        await tab.page.click("[data-test=time-zone]")
        await tab.page.keyboard.type(zone)
        await tab.page.keyboard.press("Enter")
        await wait_for(lambda: _zone_is(me, zone), what=f"the account's zone {zone}")

    await choose("America/New_York")

    async def shifted() -> bool:
        return await first.inner_text() != before  # thirteen or twelve hours earlier

    await wait_for(shifted, what="times shown in the chosen zone")
    await choose("Asia/Shanghai")  # back, for the other tests
    await wait_for(lambda: _text_is(first, before), what="times back in Shanghai's zone")
    assert tab.errors == []


async def _zone_is(api: Api, zone: str) -> bool:
    return (await api.get("/v1/users/me")).get("timeZone") == zone


async def _text_is(locator, text: str) -> bool:  # type: ignore[no-untyped-def]
    return await locator.inner_text() == text

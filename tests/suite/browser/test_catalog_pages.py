"""The service catalogue with its form designer and levels, providers and their engineers, an
enterprise's departments and designated providers, and the knowledge base (issue 13)."""

from __future__ import annotations

import uuid

from tests.suite.browser.conftest import ADMIN_PASSWORD, DEMO_PASSWORD, Tab
from tests.suite.browser.helpers import Api


async def test_a_service_type_with_a_form_field_and_a_level(tab: Tab, suite_url: str):
    suffix = uuid.uuid4().hex[:6]
    await tab.sign_in("admin", ADMIN_PASSWORD)
    await tab.page.click("[data-menu='/catalog']")
    await tab.page.click("[data-test=create-type]")
    editor = tab.page.locator("[data-test=type-editor]")
    await editor.locator("input[name=typeName]").fill(f"门禁{suffix}")
    await editor.locator("[data-test=add-field]").click()
    await editor.locator("input[name=field-key-0]").fill("card_no")
    await editor.locator("input[name=field-label-0]").fill("卡号")
    await editor.locator("[data-test=field-type-0]").click()
    await tab.page.locator(
        ".field-type-options-0 .el-select-dropdown__item", has_text="数字"
    ).click()
    await editor.locator("[data-test=save-type]").click()
    await tab.page.locator("[data-test=type-name]", has_text=f"门禁{suffix}").wait_for()
    await tab.screenshot("admin-catalog")

    admin = await Api.sign_in(suite_url, "admin", ADMIN_PASSWORD)
    types = (await admin.get("/v1/service-types", pageSize=500))["serviceTypes"]
    created = next(t for t in types if t["displayName"] == f"门禁{suffix}")
    assert (
        created["formFields"]
        == [{"key": "card_no", "label": "卡号", "type": "FORM_FIELD_TYPE_NUMBER"}]
        or created["formFields"][0]["key"] == "card_no"
    )
    assert created["formFields"][0]["type"] == "FORM_FIELD_TYPE_NUMBER"

    await tab.page.click(".el-tabs__item:has-text('服务级别')")
    await tab.page.click("[data-test=create-level]")
    dialog = tab.page.locator(".el-dialog:visible")
    await dialog.locator("input[name=levelName]").fill(f"白金{suffix}")
    await dialog.locator(".el-checkbox", has_text="企业审核").click()
    await dialog.locator("[data-test=save-level]").click()
    await tab.page.locator("[data-test=level-name]", has_text=f"白金{suffix}").wait_for()
    levels = (await admin.get("/v1/service-levels", pageSize=100))["serviceLevels"]
    level = next(lv for lv in levels if lv["displayName"] == f"白金{suffix}")
    assert level["responseTarget"] == "7200s" and level["resolutionTarget"] == "86400s"
    assert [s["side"] for s in level["approvalSteps"]] == ["APPROVER_SIDE_ENTERPRISE"]
    assert tab.errors == []


async def test_a_provider_admin_registers_an_engineer_with_skills(tab: Tab, suite_url: str):
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    await tab.sign_in("fastfix-admin")
    await tab.page.click("[data-menu='/providers']")
    row = tab.page.locator("[data-test=providers] tr", has_text="快修网络服务")
    await row.locator("[data-test=engineers]").click()
    await tab.page.click("[data-test=create-engineer]")
    dialog = tab.page.locator(".el-dialog:visible")
    await dialog.locator("input[name=displayName]").fill("赵工程师")
    await dialog.locator("input[name=phone]").fill(phone)
    await dialog.locator("[data-test=skills] input").fill("printer")
    await tab.page.locator(".skills-options .el-select-dropdown__item", has_text="printer").click()
    await tab.page.keyboard.press("Escape")
    await dialog.locator("input[name=password]").fill("engineer-2026")
    await dialog.locator("[data-test=save-engineer]").click()
    engineer_row = tab.page.locator("[data-test=engineers] tr", has_text=phone)
    await engineer_row.wait_for()
    assert "printer" in await engineer_row.inner_text()
    assert "未绑定" in await engineer_row.inner_text()  # no WeChat yet
    await engineer_row.locator("[data-test=disable-engineer]").click()
    await tab.page.locator(".el-message-box .el-button--primary").click()
    await engineer_row.locator("[data-test=enable-engineer]").wait_for()
    await tab.screenshot("fastfix-admin-engineers")
    assert tab.errors == []


async def test_departments_and_designated_providers_of_an_enterprise(tab: Tab, suite_url: str):
    suffix = uuid.uuid4().hex[:6]
    admin = await Api.sign_in(suite_url, "admin", ADMIN_PASSWORD)
    created = await admin.call("POST", "/v1/enterprises", json={"displayName": f"结构{suffix}"})
    enterprise = created.json()
    await tab.sign_in("admin", ADMIN_PASSWORD)
    await tab.page.click("[data-menu='/enterprises']")
    row = tab.page.locator("[data-test=enterprises] tr", has_text=f"结构{suffix}")
    await row.locator("[data-test=structure]").click()
    drawer = tab.page.locator(".el-drawer")
    await drawer.locator("[data-test=create-department]").click()
    await tab.page.locator(".el-dialog:visible input[name=departmentName]").fill(f"门店{suffix}")
    await tab.page.locator(".el-dialog:visible [data-test=save-department]").click()
    await drawer.locator("[data-test=department-name]", has_text=f"门店{suffix}").wait_for()

    await drawer.locator(".el-tabs__item", has_text="指定服务商").click()
    await drawer.locator("[data-test=designate-provider]").click()
    await tab.page.locator(
        ".designate-options .el-select-dropdown__item", has_text="快修网络服务"
    ).click()
    await drawer.locator("[data-test=designate]").click()
    await drawer.locator("[data-test=designated-name]", has_text="快修网络服务").wait_for()
    designations = await admin.get(f"/v1/enterprises/{enterprise['enterpriseId']}/designations")
    assert [d["providerDisplayName"] for d in designations["designations"]] == ["快修网络服务"]
    departments = await admin.get(f"/v1/enterprises/{enterprise['enterpriseId']}/departments")
    assert [d["displayName"] for d in departments["departments"]] == [f"门店{suffix}"]
    assert tab.errors == []


async def test_an_article_is_drafted_published_and_found(tab: Tab, suite_url: str):
    title = f"打印机脱机怎么办 {uuid.uuid4().hex[:4]}"
    await tab.sign_in("admin", ADMIN_PASSWORD)
    await tab.page.click("[data-menu='/knowledge']")
    await tab.page.click("[data-test=create]")
    dialog = tab.page.locator(".el-dialog:visible")
    await dialog.locator("input[name=title]").fill(title)
    await dialog.locator("input[name=category]").fill("打印机")
    await dialog.locator("textarea[name=body]").fill("1. 检查电源\n2. 重新连接网络")
    await dialog.locator("[data-test=save]").click()
    row = tab.page.locator("[data-test=articles] tr", has_text=title)
    await row.locator("[data-test=publish]").click()
    await row.locator("[data-test=unpublish]").wait_for()

    # A requester finds it by a word of its text.
    reader = Tab(tab.page, suite_url)
    await tab.page.context.clear_cookies()
    await tab.page.evaluate("sessionStorage.clear()")
    await reader.sign_in("acme-user", DEMO_PASSWORD)
    await reader.open("/knowledge")
    await tab.page.fill("input[name=search]", "脱机")
    await tab.page.click("[data-test=search]")
    await tab.page.locator("[data-test=article-title]", has_text=title).click()
    body = tab.page.locator("[data-test=article-body]")
    await body.wait_for()
    assert "重新连接网络" in await body.inner_text()
    assert await tab.page.locator("[data-test=create]").count() == 0  # no write permission
    assert tab.errors == []

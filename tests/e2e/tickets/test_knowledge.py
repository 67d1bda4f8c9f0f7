"""The knowledge base: drafts stay with editors, search works in Chinese and English,
suggestions follow a title being typed, feedback is counted once per reader."""

from __future__ import annotations

import uuid

from tests.e2e.tickets.helpers import ok


async def _article(tickets, title: str, body: str, *, published: bool = True, **fields) -> dict:
    admin = await tickets.as_user("admin", "admin-demo-2026")
    state = "ARTICLE_STATE_PUBLISHED" if published else "ARTICLE_STATE_DRAFT"
    return await ok(
        await tickets.client.post(
            "/v1/articles",
            headers=admin,
            json={"title": title, "body": body, "state": state, **fields},
        )
    )


async def test_chinese_and_english_search_and_suggestions(tickets):
    tag = uuid.uuid4().hex[:6]
    printer = await _article(
        tickets, f"打印机卡纸怎么办 {tag}", "先关闭电源，再打开后盖取出纸张。", tags=["打印机"]
    )
    vpn = await _article(
        tickets, f"How to reset your VPN password {tag}", "Open the portal and choose reset."
    )
    draft = await _article(tickets, f"打印机驱动安装 {tag}", "草稿", published=False)
    user = await tickets.as_user("acme-user")
    zh = await ok(
        await tickets.client.get("/v1/articles", params={"query": "打印机 卡纸"}, headers=user)
    )
    ids = [a["articleId"] for a in zh["articles"]]
    assert ids[0] == printer["articleId"]
    assert draft["articleId"] not in ids  # requesters see published articles only
    en = await ok(
        await tickets.client.get("/v1/articles", params={"query": "vpn passwords"}, headers=user)
    )
    assert en["articles"][0]["articleId"] == vpn["articleId"]
    suggested = await ok(
        await tickets.client.get(
            "/v1/articles:suggest", params={"q": "打印机一直卡纸"}, headers=user
        )
    )
    assert suggested["articles"][0]["articleId"] == printer["articleId"]
    nothing = await ok(
        await tickets.client.get("/v1/articles:suggest", params={"q": "   "}, headers=user)
    )
    assert nothing["articles"] == []
    hidden = await tickets.client.get(f"/v1/articles/{draft['articleId']}", headers=user)
    assert hidden.status_code == 404


async def test_feedback_counts_once_per_reader(tickets):
    article = await _article(
        tickets, f"Wi-Fi 连不上 {uuid.uuid4().hex[:6]}", "忘记网络后重新连接。"
    )
    path = f"/v1/articles/{article['articleId']}:feedback"
    for login, helpful in (("acme-user", True), ("acme-user", True), ("galaxy-user", False)):
        counted = await ok(
            await tickets.client.post(
                path, json={"helpful": helpful}, headers=await tickets.as_user(login)
            )
        )
    assert (counted["helpfulCount"], counted["notHelpfulCount"]) == (1, 1)


async def test_only_editors_write(tickets):
    user = await tickets.as_user("acme-user")
    response = await tickets.client.post("/v1/articles", json={"title": "x"}, headers=user)
    assert response.status_code == 403
    admin = await tickets.as_user("admin", "admin-demo-2026")
    missing = await tickets.client.post("/v1/articles", json={"body": "x"}, headers=admin)
    assert missing.status_code == 400

"""What SMS and WeChat subscribe messages carry. Both providers send only pre-registered
templates (an SMS template code, a WeChat template id) filled with short parameters, so a
notice becomes parameters here, not free text: the ticket's number, a short status and the
title, cut to the providers' limits (WeChat: `thing` ≤ 20 characters, `phrase` ≤ 5)."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from services.notify.domain.notices import NoticeKind, TicketNotice

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
_K = NoticeKind
STATUS: dict[NoticeKind, str] = {
    _K.CREATED: "已提交",
    _K.APPROVED: "审核通过",
    _K.REJECTED: "审核未通过",
    _K.ASSIGNED: "已分派",
    _K.CLAIMED: "已领取",
    _K.TRANSFERRED: "已转派",
    _K.STARTED: "处理中",
    _K.PUBLIC_REPLY: "新回复",
    _K.INTERNAL_NOTE: "内部备注",
    _K.WAITING_ON_CUSTOMER: "待您回复",
    _K.RESOLVED: "已解决",
    _K.REOPENED: "重新打开",
    _K.CLOSED: "已关闭",
    _K.CANCELLED: "已取消",
    _K.RATED: "已评价",
    _K.SLA_WARNING: "即将超时",
    _K.SLA_BREACHED: "已超时",
    _K.SLA_ESCALATED: "超时升级",
    _K.DISPATCH_ESCALATED: "待您指派",
}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sms_params(notice: TicketNotice) -> str:
    """TemplateParam for an SMS template such as
    「您的工单${number}${status}：${title}」 (JSON, as the provider's API takes it)."""
    return json.dumps(
        {
            "number": notice.ticket.number,
            "status": STATUS[notice.kind],
            "title": _cut(notice.ticket.title, 20),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def wechat_data(notice: TicketNotice) -> str:
    """The `data` of a WeChat subscribe message for a template with the keywords 工单编号
    (character_string1), 工单标题 (thing2), 工单状态 (phrase3), 更新时间 (time4)."""
    return json.dumps(
        {
            "character_string1": {"value": notice.ticket.number},
            "thing2": {"value": _cut(notice.ticket.title, 20)},
            "phrase3": {"value": _cut(STATUS[notice.kind], 5)},
            "time4": {
                "value": notice.occurred_at.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M")
            },
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )

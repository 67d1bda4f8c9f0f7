"""What a message says: a title and a body per notice kind and locale, rendered in Jinja2's
sandbox (a template can read the variables below and nothing else; an unknown variable is an
error, found when a template is checked, never a blank in a sent message).

Variables: `ticket` (number, title), `actor` (who acted; "系统"/"the system" for timers),
`text` (the comment or reason), `score` (a rating), `level` (the approval level now pending),
`auto_close_at` (local time the resolved ticket closes itself)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

from services.notify.domain.notices import (
    Actor,
    ApprovalWait,
    ApproverSide,
    NoticeKind,
    TicketFacts,
    TicketNotice,
)

DEFAULT_LOCALE = "zh-CN"
DEFAULT_TIME_ZONE = "Asia/Shanghai"  # identity's default for a person
LOCAL_ZONE = ZoneInfo(DEFAULT_TIME_ZONE)
VARIABLES = frozenset(
    {"ticket", "actor", "text", "score", "level", "auto_close_at", "target", "due_at"}
)
_TARGETS = {
    "zh-CN": {"response": "响应", "resolution": "解决"},
    "en": {"response": "response", "resolution": "resolution"},
}


@dataclass(frozen=True)
class Template:
    title: str
    body: str


_K = NoticeKind
_ZH: dict[NoticeKind, Template] = {
    _K.CREATED: Template(
        "工单 {{ ticket.number }} 已提交",
        "工单「{{ ticket.title }}」已提交"
        "{% if level %}，等待第 {{ level }} 级审核{% else %}，等待分派{% endif %}。",
    ),
    _K.APPROVED: Template(
        "工单 {{ ticket.number }} 审核通过",
        "{{ actor }} 审核通过了工单「{{ ticket.title }}」"
        "{% if level %}，等待第 {{ level }} 级审核{% else %}，等待分派{% endif %}。",
    ),
    _K.REJECTED: Template(
        "工单 {{ ticket.number }} 审核未通过",
        "{{ actor }} 驳回了工单「{{ ticket.title }}」：{{ text }}",
    ),
    _K.ASSIGNED: Template(
        "工单 {{ ticket.number }} 已分派",
        "工单「{{ ticket.title }}」已由 {{ actor }} 分派。",
    ),
    _K.CLAIMED: Template(
        "工单 {{ ticket.number }} 已被领取",
        "工程师 {{ actor }} 领取了您的工单「{{ ticket.title }}」。",
    ),
    _K.TRANSFERRED: Template(
        "工单 {{ ticket.number }} 已转派",
        "{{ actor }} 转派了工单「{{ ticket.title }}」{% if text %}：{{ text }}{% endif %}",
    ),
    _K.STARTED: Template(
        "工单 {{ ticket.number }} 处理中",
        "工程师 {{ actor }} 开始处理您的工单「{{ ticket.title }}」。",
    ),
    _K.PUBLIC_REPLY: Template(
        "工单 {{ ticket.number }} 有新回复",
        "{{ actor }}：{{ text }}",
    ),
    _K.INTERNAL_NOTE: Template(
        "工单 {{ ticket.number }} 有内部备注",
        "{{ actor }}（内部）：{{ text }}",
    ),
    _K.WAITING_ON_CUSTOMER: Template(
        "工单 {{ ticket.number }} 需要您的回复",
        "{{ actor }} 需要您补充信息：{{ text }}（回复后工单继续处理）",
    ),
    _K.RESOLVED: Template(
        "工单 {{ ticket.number }} 已解决",
        "工单「{{ ticket.title }}」已解决，请确认。"
        "{% if auto_close_at %}如无异议，将于 {{ auto_close_at }} 自动关闭。{% endif %}",
    ),
    _K.REOPENED: Template(
        "工单 {{ ticket.number }} 被重新打开",
        "{{ actor }} 重新打开了工单「{{ ticket.title }}」：{{ text }}",
    ),
    _K.CLOSED: Template(
        "工单 {{ ticket.number }} 已关闭",
        "工单「{{ ticket.title }}」已关闭，欢迎为本次服务评分。",
    ),
    _K.CANCELLED: Template(
        "工单 {{ ticket.number }} 已取消",
        "{{ actor }} 取消了工单「{{ ticket.title }}」{% if text %}：{{ text }}{% endif %}",
    ),
    _K.RATED: Template(
        "工单 {{ ticket.number }} 收到评分",
        "{{ actor }} 为工单「{{ ticket.title }}」评了 {{ score }} 分。"
        "{% if text %}评价：{{ text }}{% endif %}",
    ),
    _K.SLA_WARNING: Template(
        "工单 {{ ticket.number }} 即将超时",
        "工单「{{ ticket.title }}」的{{ target }}时限将于 {{ due_at }} 到期，请尽快处理。",
    ),
    _K.SLA_BREACHED: Template(
        "工单 {{ ticket.number }} 已超时",
        "工单「{{ ticket.title }}」已超过{{ target }}时限（{{ due_at }}）。",
    ),
    _K.SLA_ESCALATED: Template(
        "工单 {{ ticket.number }} 超时升级",
        "工单「{{ ticket.title }}」的{{ target }}时限（{{ due_at }}）已升级，请跟进。",
    ),
    _K.DISPATCH_ESCALATED: Template(
        "工单 {{ ticket.number }} 待您指派",
        "工单「{{ ticket.title }}」多次重新分派后仍无工程师开始处理，已交由您指派。",
    ),
}
_EN: dict[NoticeKind, Template] = {
    _K.CREATED: Template("Ticket {{ ticket.number }} raised", "“{{ ticket.title }}” was raised."),
    _K.APPROVED: Template(
        "Ticket {{ ticket.number }} approved", "{{ actor }} approved “{{ ticket.title }}”."
    ),
    _K.REJECTED: Template(
        "Ticket {{ ticket.number }} rejected",
        "{{ actor }} rejected “{{ ticket.title }}”: {{ text }}",
    ),
    _K.ASSIGNED: Template(
        "Ticket {{ ticket.number }} assigned", "{{ actor }} assigned “{{ ticket.title }}”."
    ),
    _K.CLAIMED: Template(
        "Ticket {{ ticket.number }} claimed", "{{ actor }} took “{{ ticket.title }}”."
    ),
    _K.TRANSFERRED: Template(
        "Ticket {{ ticket.number }} transferred", "{{ actor }} transferred “{{ ticket.title }}”."
    ),
    _K.STARTED: Template(
        "Ticket {{ ticket.number }} in progress", "{{ actor }} started on “{{ ticket.title }}”."
    ),
    _K.PUBLIC_REPLY: Template("New reply on {{ ticket.number }}", "{{ actor }}: {{ text }}"),
    _K.INTERNAL_NOTE: Template(
        "Internal note on {{ ticket.number }}", "{{ actor }} (internal): {{ text }}"
    ),
    _K.WAITING_ON_CUSTOMER: Template(
        "Ticket {{ ticket.number }} needs your reply",
        "{{ actor }} asks: {{ text }} (work goes on when you reply)",
    ),
    _K.RESOLVED: Template(
        "Ticket {{ ticket.number }} resolved",
        "“{{ ticket.title }}” is resolved; please confirm."
        "{% if auto_close_at %} Unless you object, it closes itself at {{ auto_close_at }}."
        "{% endif %}",
    ),
    _K.REOPENED: Template(
        "Ticket {{ ticket.number }} reopened",
        "{{ actor }} reopened “{{ ticket.title }}”: {{ text }}",
    ),
    _K.CLOSED: Template(
        "Ticket {{ ticket.number }} closed",
        "“{{ ticket.title }}” is closed. Please rate the service.",
    ),
    _K.CANCELLED: Template(
        "Ticket {{ ticket.number }} cancelled", "{{ actor }} cancelled “{{ ticket.title }}”."
    ),
    _K.RATED: Template(
        "Ticket {{ ticket.number }} rated", "{{ actor }} rated “{{ ticket.title }}” {{ score }}/5."
    ),
    _K.SLA_WARNING: Template(
        "Ticket {{ ticket.number }} is close to its {{ target }} deadline",
        "The {{ target }} target of “{{ ticket.title }}” is due at {{ due_at }}.",
    ),
    _K.SLA_BREACHED: Template(
        "Ticket {{ ticket.number }} missed its {{ target }} deadline",
        "The {{ target }} target of “{{ ticket.title }}” was due at {{ due_at }}.",
    ),
    _K.SLA_ESCALATED: Template(
        "Ticket {{ ticket.number }} escalated",
        "The {{ target }} target of “{{ ticket.title }}” (due {{ due_at }}) is escalated to you.",
    ),
    _K.DISPATCH_ESCALATED: Template(
        "Ticket {{ ticket.number }} needs an engineer",
        "No engineer started “{{ ticket.title }}” after it was re-dispatched; "
        "it is left to you to assign.",
    ),
}
DEFAULTS: dict[str, dict[NoticeKind, Template]] = {"zh-CN": _ZH, "en": _EN}
_SYSTEM_ACTOR = {"zh-CN": "系统", "en": "the system"}

_ENV = SandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
)


_EMAIL_FOOTER = {
    "zh-CN": "\n\n工单编号：{{ ticket.number }}\n——\n此邮件由服务工单平台自动发送，请勿直接回复。",
    "en": "\n\nTicket {{ ticket.number }}\n--\nSent by the service ticket platform; "
    "replies to this address are not read.",
}


def template_for(
    kind: NoticeKind, locale: str = DEFAULT_LOCALE, channel: str = "in_app"
) -> Template:
    """The built-in text: an email says what the in-app message says, with the ticket's
    number and a no-reply line below."""
    text = DEFAULTS.get(locale, _ZH).get(kind) or _ZH[kind]
    if channel == "email":
        return Template(text.title, text.body + _EMAIL_FOOTER.get(locale, _EMAIL_FOOTER["zh-CN"]))
    return text


def unknown_variables(source: str) -> set[str]:
    """Variables a template reads that no notice provides (refused when a template is saved);
    raises `TemplateError` when it does not parse."""
    return set(meta.find_undeclared_variables(_ENV.parse(source))) - VARIABLES


def render(
    template: Template,
    notice: TicketNotice,
    locale: str = DEFAULT_LOCALE,
    channel: str = "in_app",
    time_zone: str = "",
) -> Template:
    """The title and body for `notice`, its times in `time_zone` (default China's); a template
    that fails renders as its kind's default (a message is never lost to a template edit)."""
    variables = _variables(notice, locale, _zone(time_zone))
    try:
        return Template(_render(template.title, variables), _render(template.body, variables))
    except TemplateError:
        fallback = template_for(notice.kind, locale, channel)
        return Template(_render(fallback.title, variables), _render(fallback.body, variables))


def _render(source: str, variables: dict[str, Any]) -> str:
    return _compiled(source).render(variables).strip()


@functools.lru_cache(maxsize=1024)
def _compiled(source: str) -> jinja2.Template:
    """A template's compiled form, kept: compiling was an eighth of the notifier's time under
    load (py-spy), and the same few sources render for every message."""
    return _ENV.from_string(source)


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else LOCAL_ZONE
    except (ValueError, KeyError):  # identity checks zones; an old event may carry anything
        return LOCAL_ZONE


def _variables(notice: TicketNotice, locale: str, zone: ZoneInfo) -> dict[str, Any]:
    ticket = notice.ticket
    close_at, due_at = ticket.auto_close_at, notice.due_at
    return {
        "target": _TARGETS.get(locale, _TARGETS["zh-CN"]).get(notice.sla_target, ""),
        "due_at": due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if due_at else "",
        "ticket": {"number": ticket.number, "title": ticket.title},
        "actor": notice.actor.display_name or _SYSTEM_ACTOR.get(locale, "系统"),
        "text": notice.text,
        "score": notice.score,
        "level": ticket.approval.level if ticket.approval else 0,
        "auto_close_at": close_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if close_at else "",
    }


CHANNELS = ("in_app", "email")  # SMS and WeChat get theirs with their delivery
LOCALES = ("zh-CN", "en")


@dataclass(frozen=True)
class TemplateKey:
    """Which text a template is: one kind of event, on one channel, in one locale."""

    kind: NoticeKind
    channel: str = "in_app"
    locale: str = DEFAULT_LOCALE

    @property
    def id(self) -> str:
        return f"{self.kind.value}.{self.channel}.{self.locale}"

    @staticmethod
    def parse(template_id: str) -> TemplateKey | None:
        parts = template_id.split(".")
        if len(parts) != 3 or parts[1] not in CHANNELS or parts[2] not in LOCALES:
            return None
        try:
            return TemplateKey(NoticeKind(parts[0]), parts[1], parts[2])
        except ValueError:
            return None


def every_key() -> list[TemplateKey]:
    return [TemplateKey(k, c, loc) for k in NoticeKind for c in CHANNELS for loc in LOCALES]


def problems(template: Template, kind: NoticeKind) -> list[tuple[str, str]]:
    """(field, problem) for each part that would not render: empty, not parsing, reading a
    variable no notice provides, or failing on a sample event of its kind (an attribute the
    variable does not have, something the sandbox refuses)."""
    variables = _variables(sample(kind), DEFAULT_LOCALE, LOCAL_ZONE)
    found = []
    for name, source in (("title_template", template.title), ("body_template", template.body)):
        if not source.strip():
            found.append((name, "is required"))
            continue
        try:
            unknown = unknown_variables(source)
        except TemplateError as error:
            found.append((name, f"does not parse: {error}"))
            continue
        if unknown:
            known = ", ".join(sorted(VARIABLES))
            found.append((name, f"reads unknown {', '.join(sorted(unknown))} (known: {known})"))
            continue
        try:
            _render(source, variables)
        except TemplateError as error:
            found.append((name, f"does not render: {error}"))
    return found


def sample(kind: NoticeKind) -> TicketNotice:
    """A made-up event of the kind, for previews."""
    ticket = TicketFacts(
        ticket_id="sample",
        number="T20261130-000123",
        title="三楼会议室无线网络断开",
        status="in_progress",
        enterprise_id="",
        requester_id="",
        approval=ApprovalWait(1, "ticket.approve.l1", ApproverSide.ENTERPRISE)
        if kind in (NoticeKind.CREATED, NoticeKind.APPROVED)
        else None,
        auto_close_at=datetime(2026, 12, 3, 9, 30, tzinfo=LOCAL_ZONE),
    )
    return TicketNotice(
        kind,
        ticket,
        Actor("", "engineer", "王工"),
        datetime(2026, 11, 30, 9, 30, tzinfo=LOCAL_ZONE),
        text="已更换 AP 电源，请确认",
        score=5,
        sla_target="resolution",
        due_at=datetime(2026, 11, 30, 17, 30, tzinfo=LOCAL_ZONE),
    )

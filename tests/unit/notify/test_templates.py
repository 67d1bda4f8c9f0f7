"""Message texts: the default zh-CN templates render each notice kind, the sandbox refuses
what a template must not reach, and unknown variables are found before a template is used."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from jinja2 import TemplateError

from services.notify.domain.notices import NoticeKind as K
from services.notify.domain.templates import Template, render, template_for, unknown_variables
from tests.unit.notify.samples import ENGINEER, REQUESTER, SYSTEM, awaiting_approval, notice


@pytest.mark.parametrize("kind", list(K))
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_kind_has_a_default_that_renders(kind, locale):
    text = render(template_for(kind, locale), notice(kind, ENGINEER, text="原因"), locale)
    assert "T20261130-000001" in text.title
    assert text.body


def test_created_awaiting_approval_says_so():
    text = render(template_for(K.CREATED), notice(K.CREATED, REQUESTER, **awaiting_approval()))
    assert text.title == "工单 T20261130-000001 已提交"
    assert text.body == "工单「打印机卡纸」已提交，等待第 1 级审核。"


def test_resolved_gives_the_auto_close_time_in_local_time():
    closes = datetime(2026, 12, 3, 1, 30, tzinfo=UTC)
    text = render(template_for(K.RESOLVED), notice(K.RESOLVED, ENGINEER, auto_close_at=closes))
    assert "2026-12-03 09:30 自动关闭" in text.body


def test_a_timer_acts_as_the_system():
    text = render(template_for(K.CANCELLED), notice(K.CANCELLED, SYSTEM))
    assert text.body.startswith("系统 取消了工单")


def test_unknown_variables_are_found_and_known_ones_pass():
    assert unknown_variables("{{ ticket.number }} {{ actor }} {{ secret }}") == {"secret"}
    assert unknown_variables("{% if level %}{{ level }}{% endif %}{{ text }}") == set()
    with pytest.raises(TemplateError):
        unknown_variables("{{ ticket.number")


def test_the_sandbox_refuses_internals_and_a_broken_template_falls_back_to_the_default():
    evil = Template("{{ ticket.__class__.__mro__ }}", "{{ actor.__init__.__globals__ }}")
    text = render(evil, notice(K.STARTED, ENGINEER))
    assert text == render(template_for(K.STARTED), notice(K.STARTED, ENGINEER))
    assert "李工" in text.body


def test_sla_notices_name_the_target_and_its_local_deadline():
    due = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
    text = render(template_for(K.SLA_BREACHED),
                  notice(K.SLA_BREACHED, SYSTEM, sla_target="response", due_at=due))  # fmt: skip
    assert text.title == "工单 T20261130-000001 已超时"
    assert text.body == "工单「打印机卡纸」已超过响应时限（2026-11-30 17:30）。"
    warning = notice(K.SLA_WARNING, SYSTEM, sla_target="resolution", due_at=due)
    english = render(template_for(K.SLA_WARNING, "en"), warning, "en")
    assert "resolution target" in english.body and "17:30" in english.body

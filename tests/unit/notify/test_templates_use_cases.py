"""Template use cases on fakes: who may edit, what is refused at save time (naming the field),
and that the next message uses the saved text — or the built-in one after a reset."""

from __future__ import annotations

import pytest

from servicekit.auth.principal import Principal
from servicekit.errors import DomainError, ErrorCode
from services.notify.domain.notices import NoticeKind as K
from services.notify.service_layer import templates
from services.notify.service_layer.notifying import notify_ticket
from tests.unit.notify.fakes import World, world
from tests.unit.notify.samples import ENGINEER, notice

EDITOR = Principal("ops", "platform", permissions=frozenset({"notification.template.write"}))
SERVICE = Principal("svc-dispatch", "platform", permissions=frozenset({"ticket.assign"}))
PROVIDER = Principal(
    "padmin", "provider", "prov", permissions=frozenset({"notification.template.write"})
)


@pytest.fixture
def w() -> World:
    return world()


async def test_the_list_has_every_kind_in_every_locale_built_in_until_changed(w):
    found = await templates.list_templates(w.deps, EDITOR, kind="", locale="")
    assert len(found) == len(K) * 2 * 2 and not any(t.customized for t in found)  # in-app, email
    only = await templates.list_templates(w.deps, EDITOR, kind="resolved", locale="zh-CN")
    assert [t.key.id for t in only] == ["resolved.in_app.zh-CN", "resolved.email.zh-CN"]
    email = only[1].template
    assert email.title == only[0].template.title and "请勿直接回复" in email.body


async def test_a_saved_text_is_what_the_next_message_says_until_reset(w):
    saved = await templates.update_template(
        w.deps, EDITOR, "started.in_app.zh-CN", title="【处理中】{{ ticket.number }}", body=None
    )
    assert saved.customized and saved.template.body.startswith("工程师")  # body kept
    async with w.unit() as uow:
        await notify_ticket(uow, notice(K.STARTED, ENGINEER), event_id="e1", event_type="X",
                            now=w.clock())  # fmt: skip
        await uow.commit()
    assert w.state.messages[-1].draft.title == "【处理中】T20261130-000001"
    reset = await templates.reset_template(w.deps, EDITOR, "started.in_app.zh-CN")
    assert not reset.customized and reset.template.title == "工单 {{ ticket.number }} 处理中"


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [
        ("{{ secret }}", None, "template.title_template"),
        ("{{ ticket.secret_field }}", None, "template.title_template"),
        ("{{ ticket.__class__ }}", None, "template.title_template"),
        (None, "{{ ticket.number", "template.body_template"),
        ("  ", None, "template.title_template"),
    ],
)
async def test_a_text_that_would_not_render_is_refused_naming_the_field(w, title, body, field):
    with pytest.raises(DomainError) as refused:
        await templates.update_template(w.deps, EDITOR, "closed.in_app.en", title=title, body=body)
    assert refused.value.code is ErrorCode.INVALID_ARGUMENT
    assert [v.field for v in refused.value.violations] == [field]
    assert w.state.templates == {}


async def test_unknown_template_ids_are_not_found(w):
    for bad in ("nope", "resolved.sms.zh-CN", "resolved.in_app.fr", "bogus.in_app.en"):
        with pytest.raises(DomainError) as refused:
            await templates.update_template(w.deps, EDITOR, bad, title="x", body=None)
        assert refused.value.code is ErrorCode.NOT_FOUND


@pytest.mark.parametrize("who", [SERVICE, PROVIDER])
async def test_only_platform_editors_may_read_or_change_templates(w, who):
    with pytest.raises(DomainError) as refused:
        await templates.list_templates(w.deps, who, kind="", locale="")
    assert refused.value.code is ErrorCode.PERMISSION_DENIED


async def test_preview_renders_a_draft_against_a_sample_event(w):
    body = "{{ actor }}：{{ text }}（{{ auto_close_at }} 关闭）"
    text = await templates.preview(
        w.deps, EDITOR, kind="resolved", locale="", title="{{ ticket.number }} 已解决", body=body
    )
    assert text.title == "T20261130-000123 已解决"
    assert text.body == "王工：已更换 AP 电源，请确认（2026-12-03 09:30 关闭）"
    with pytest.raises(DomainError) as refused:
        await templates.preview(w.deps, EDITOR, kind="nope", locale="", title="x", body="y")
    assert refused.value.violations[0].field == "event_kind"

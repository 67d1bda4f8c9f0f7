"""Message templates (消息模板): platform staff holding notification.template.write read the
text each kind of event renders, change it, put it back, and preview a draft against a
sample event. A text that would not render is refused when saved (400 naming the field), so
a message never goes out blank; the built-in text applies wherever nobody changed it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from servicekit.auth.principal import Principal
from servicekit.authz import require_permission
from servicekit.errors import FieldViolation, invalid_argument, not_found, permission_denied
from services.notify.domain.notices import NoticeKind
from services.notify.domain.templates import (
    LOCALES,
    Template,
    TemplateKey,
    every_key,
    problems,
    render,
    sample,
    template_for,
)
from services.notify.service_layer.deps import Deps
from services.notify.service_layer.ports import StoredTemplate

WRITE = "notification.template.write"


@dataclass(frozen=True)
class Effective:
    """A template as it is in effect: customized, or the built-in text."""

    key: TemplateKey
    template: Template
    customized: bool
    updated_at: datetime | None = None


def _allowed(p: Principal) -> None:
    require_permission(p, WRITE)
    if not p.is_platform:
        raise permission_denied("TEMPLATES_ARE_PLATFORMS", "templates are the platform's")


async def list_templates(deps: Deps, p: Principal, *, kind: str, locale: str) -> list[Effective]:
    _allowed(p)
    async with deps.uow() as uow:
        stored = await uow.templates.customized()
    return [
        _effective(key, stored.get(key.id))
        for key in every_key()
        if (not kind or key.kind.value == kind) and (not locale or key.locale == locale)
    ]


async def update_template(
    deps: Deps, p: Principal, template_id: str, *, title: str | None, body: str | None
) -> Effective:
    """`title`/`body`: None keeps that part as it is."""
    _allowed(p)
    key = _key(template_id)
    async with deps.uow() as uow:
        current = _effective(key, await uow.templates.get(key)).template
        changed = Template(
            title if title is not None else current.title,
            body if body is not None else current.body,
        )
        _check(changed, key.kind, prefix="template.")
        stored = StoredTemplate(key, changed, deps.clock(), p.user_id)
        await uow.templates.save(stored)
        await uow.commit()
    return _effective(key, stored)


async def reset_template(deps: Deps, p: Principal, template_id: str) -> Effective:
    _allowed(p)
    key = _key(template_id)
    async with deps.uow() as uow:
        await uow.templates.remove(key)
        await uow.commit()
    return _effective(key, None)


async def preview(
    deps: Deps, p: Principal, *, kind: str, locale: str, title: str, body: str
) -> Template:
    _allowed(p)
    try:
        notice_kind = NoticeKind(kind)
    except ValueError:
        raise invalid_argument(
            "EVENT_KIND_UNKNOWN",
            [FieldViolation("event_kind", f"is one of {', '.join(k.value for k in NoticeKind)}")],
        ) from None
    locale = locale or "zh-CN"
    if locale not in LOCALES:
        raise invalid_argument(
            "LOCALE_UNKNOWN", [FieldViolation("locale", f"is one of {', '.join(LOCALES)}")]
        )
    draft = Template(title, body)
    _check(draft, notice_kind, prefix="")
    return render(draft, sample(notice_kind), locale)


def _key(template_id: str) -> TemplateKey:
    key = TemplateKey.parse(template_id)
    if key is None:
        raise not_found("TEMPLATE_NOT_FOUND", f"no template {template_id!r}")
    return key


def _check(template: Template, kind: NoticeKind, *, prefix: str) -> None:
    if found := problems(template, kind):
        raise invalid_argument(
            "TEMPLATE_INVALID", [FieldViolation(prefix + name, why) for name, why in found]
        )


def _effective(key: TemplateKey, stored: StoredTemplate | None) -> Effective:
    if stored is None:
        return Effective(key, template_for(key.kind, key.locale, key.channel), customized=False)
    return Effective(key, stored.template, customized=True, updated_at=stored.updated_at)

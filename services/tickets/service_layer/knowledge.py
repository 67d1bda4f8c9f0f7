"""The knowledge base: editors (knowledge.write) write and publish; everyone signed in reads
published articles, searches them and gets suggestions while typing a ticket title."""

from __future__ import annotations

import uuid

from servicekit.auth.principal import Principal
from servicekit.authz import require_permission
from servicekit.errors import FieldViolation, invalid_argument, not_found
from servicekit.field_mask import copy_fields, fields_to_update
from servicekit.paging import page_of
from services.tickets.domain.knowledge import Article, ArticleState, terms
from services.tickets.service_layer.deps import Deps
from services.tickets.service_layer.ports import TicketsUnit

EDITABLE = {"title", "body", "category", "tags", "service_type_ids", "state"}


def _editor(p: Principal) -> bool:
    return p.has("knowledge.write")


async def create_article(deps: Deps, p: Principal, *, draft: Article) -> Article:
    require_permission(p, "knowledge.write")
    _validate(draft)
    draft.id = uuid.uuid4().hex
    async with deps.uow() as uow:
        article = await uow.knowledge.add(draft)
        await uow.commit()
    return article


async def get_article(deps: Deps, p: Principal, article_id: str) -> Article:
    async with deps.uow() as uow:
        return await _get(uow, p, article_id)


async def update_article(deps: Deps, p: Principal, *, draft: Article, mask: list[str]) -> Article:
    require_permission(p, "knowledge.write")
    names = fields_to_update(mask, EDITABLE)
    async with deps.uow() as uow:
        article = await _get(uow, p, draft.id)
        copy_fields(article, draft, names)
        _validate(article)
        saved = await uow.knowledge.save(article)
        await uow.commit()
    return saved


async def delete_article(deps: Deps, p: Principal, article_id: str) -> None:
    require_permission(p, "knowledge.write")
    async with deps.uow() as uow:
        await _get(uow, p, article_id)
        await uow.knowledge.remove(article_id)
        await uow.commit()


async def search_articles(
    deps: Deps,
    p: Principal,
    *,
    query: str,
    state: ArticleState | None,
    category: str,
    tag: str,
    page_size: int,
    page_token: str,
) -> tuple[list[Article], str]:
    require_permission(p, "knowledge.read")
    page = page_of(page_size, page_token, default=20, maximum=100)
    async with deps.uow() as uow:
        found = await uow.knowledge.search(
            query_terms=terms(query),
            state=state if _editor(p) else ArticleState.PUBLISHED,
            category=category,
            tag=tag,
            service_type_id="",
            offset=page.offset,
            limit=page.limit,
        )
    return found, page.next_token(len(found))


async def suggest(
    deps: Deps, p: Principal, *, text: str, service_type_id: str, limit: int
) -> list[Article]:
    """Published articles for a ticket title being typed; nothing for an empty title."""
    require_permission(p, "knowledge.read")
    wanted = terms(text)
    if not wanted:
        return []
    async with deps.uow() as uow:
        found = await uow.knowledge.search(
            query_terms=wanted,
            state=ArticleState.PUBLISHED,
            category="",
            tag="",
            service_type_id="",
            offset=0,
            limit=min(limit or 5, 20) * 2,
        )
    if service_type_id:  # same-type articles first, keeping the search order otherwise
        found.sort(key=lambda a: service_type_id not in a.service_type_ids)
    return found[: min(limit or 5, 20)]


async def feedback(deps: Deps, p: Principal, article_id: str, *, helpful: bool) -> Article:
    require_permission(p, "knowledge.read")
    async with deps.uow() as uow:
        await _get(uow, p, article_id)
        await uow.knowledge.record_feedback(article_id, p.user_id, helpful)
        article = await _get(uow, p, article_id)
        await uow.commit()
    return article


async def _get(uow: TicketsUnit, p: Principal, article_id: str) -> Article:
    require_permission(p, "knowledge.read")
    article = await uow.knowledge.get(article_id, published_only=not _editor(p))
    if article is None:
        raise not_found("ARTICLE_NOT_FOUND", f"no article {article_id!r}")
    return article


def _validate(article: Article) -> None:
    problems = []
    if not article.title.strip():
        problems.append(FieldViolation("article.title", "is required"))
    elif len(article.title) > 200:
        problems.append(FieldViolation("article.title", "must be at most 200 characters"))
    if len(article.body) > 100_000:
        problems.append(FieldViolation("article.body", "must be at most 100000 characters"))
    if problems:
        raise invalid_argument("ARTICLE_INVALID", problems)

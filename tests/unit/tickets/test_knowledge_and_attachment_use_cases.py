"""The knowledge base and ticket attachments through their use cases, on fakes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from servicekit.errors import DomainError, ErrorCode
from services.tickets.domain.knowledge import Article, ArticleState
from services.tickets.service_layer import attachments, knowledge, lifecycle
from tests.unit.tickets.conftest import (
    COLLEAGUE,
    ENT_ADMIN,
    PLATFORM,
    REQUESTER,
    event_names,
    raise_ticket,
)
from tests.unit.tickets.fakes import World

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def _article(w: World, title: str, *, published: bool = True, **fields: object) -> Article:
    state = ArticleState.PUBLISHED if published else ArticleState.DRAFT
    draft = Article(id="", title=title, state=state, **fields)  # type: ignore[arg-type]
    return await knowledge.create_article(w.deps, PLATFORM, draft=draft)


async def test_articles_are_written_by_editors_and_validated(w: World):
    with pytest.raises(DomainError) as refused:
        await knowledge.create_article(w.deps, REQUESTER, draft=Article(id="", title="x"))
    assert refused.value.code is ErrorCode.PERMISSION_DENIED
    with pytest.raises(DomainError) as invalid:
        await knowledge.create_article(w.deps, PLATFORM, draft=Article(id="", title=" "))
    assert invalid.value.violations[0].field == "article.title"


async def test_readers_see_published_articles_only(w: World):
    draft = await _article(w, "Printer secrets", published=False)
    public = await _article(w, "Printer paper jams")
    assert (await knowledge.get_article(w.deps, REQUESTER, public.id)).id == public.id
    with pytest.raises(DomainError) as hidden:
        await knowledge.get_article(w.deps, REQUESTER, draft.id)
    assert hidden.value.code is ErrorCode.NOT_FOUND
    found, _ = await knowledge.search_articles(
        w.deps,
        REQUESTER,
        query="printer",
        state=None,
        category="",
        tag="",
        page_size=10,
        page_token="",
    )
    assert [a.id for a in found] == [public.id]
    everything, _ = await knowledge.search_articles(
        w.deps,
        PLATFORM,
        query="printer",
        state=None,
        category="",
        tag="",
        page_size=10,
        page_token="",
    )
    assert len(everything) == 2


async def test_update_and_delete_article(w: World):
    article = await _article(w, "Old title")
    renamed = await knowledge.update_article(
        w.deps, PLATFORM, draft=replace(article, title="New title"), mask=["title"]
    )
    assert renamed.title == "New title"
    await knowledge.delete_article(w.deps, PLATFORM, article.id)
    with pytest.raises(DomainError):
        await knowledge.get_article(w.deps, PLATFORM, article.id)


async def test_suggest_prefers_the_service_types_articles(w: World):
    general = await _article(w, "Printer paper jams")
    typed = await _article(w, "Printer paper jams on tray 2", service_type_ids=["printer"])
    assert await knowledge.suggest(w.deps, REQUESTER, text="", service_type_id="", limit=5) == []
    found = await knowledge.suggest(
        w.deps, REQUESTER, text="paper jams", service_type_id="printer", limit=5
    )
    assert [a.id for a in found] == [typed.id, general.id]


async def test_feedback_counts_once_per_reader(w: World):
    article = await _article(w, "Reset the router")
    await knowledge.feedback(w.deps, REQUESTER, article.id, helpful=False)
    counted = await knowledge.feedback(w.deps, REQUESTER, article.id, helpful=True)
    assert (counted.helpful_count, counted.not_helpful_count) == (1, 0)


async def test_upload_list_download_remove(w: World):
    ticket = await raise_ticket(w)
    added = await attachments.upload(
        w.deps, REQUESTER, ticket.id, filename="../report.pdf", content=PDF
    )
    assert added.filename == "report.pdf" and added.content_type == "application/pdf"
    assert [a.id for a in await attachments.list_attachments(w.deps, REQUESTER, ticket.id)] == [
        added.id
    ]
    found, content = await attachments.download(w.deps, REQUESTER, ticket.id, added.id)
    assert found.id == added.id
    assert content == PDF
    with pytest.raises(DomainError) as not_yours:
        await attachments.remove(w.deps, ENT_ADMIN, ticket.id, added.id)
    assert not_yours.value.reason == "ATTACHMENT_NOT_YOURS"
    await attachments.remove(w.deps, REQUESTER, ticket.id, added.id)
    assert await attachments.list_attachments(w.deps, REQUESTER, ticket.id) == []
    assert event_names(w)[-2:] == ["TicketAttachmentAdded", "TicketAttachmentRemoved"]


async def test_upload_refuses_disguised_files_and_outsiders(w: World):
    ticket = await raise_ticket(w)
    with pytest.raises(DomainError) as refused:
        await attachments.upload(w.deps, REQUESTER, ticket.id, filename="photo.png", content=PDF)
    assert refused.value.reason == "ATTACHMENT_REFUSED"
    with pytest.raises(DomainError) as hidden:
        await attachments.upload(w.deps, COLLEAGUE, ticket.id, filename="a.pdf", content=PDF)
    assert hidden.value.code is ErrorCode.NOT_FOUND
    assert not w.state.attachments


async def test_no_attachments_on_a_finished_ticket(w: World):
    ticket = await raise_ticket(w)
    await lifecycle.cancel(w.deps, REQUESTER, ticket.id, "never mind")
    with pytest.raises(DomainError) as refused:
        await attachments.upload(w.deps, REQUESTER, ticket.id, filename="a.pdf", content=PDF)
    assert refused.value.reason == "TICKET_INVALID_TRANSITION"

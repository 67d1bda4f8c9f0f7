"""CatalogService and TicketService: proto in, use case, proto out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from google.protobuf import empty_pb2
from ticketing.tickets.v1 import (
    catalog_pb2,
    catalog_pb2_grpc,
    knowledge_pb2,
    knowledge_pb2_grpc,
    tickets_pb2,
    tickets_pb2_grpc,
)

from servicekit.authz import require_caller
from servicekit.idempotency import fingerprint
from servicekit.proto_values import datetime_of
from servicekit.rpc.interceptors import Context
from services.tickets import mapping
from services.tickets.domain.tickets import Ticket
from services.tickets.service_layer import attachments, catalog, knowledge, lifecycle, tickets
from services.tickets.service_layer.deps import Deps
from services.tickets.service_layer.names import names_for
from services.tickets.service_layer.ports import TicketFilter


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    def __init__(self, deps: Deps):
        self._deps = deps

    async def CreateServiceType(
        self, request: catalog_pb2.CreateServiceTypeRequest, context: Context
    ) -> catalog_pb2.ServiceType:
        draft = mapping.service_type_draft(request.service_type)
        return mapping.service_type_pb(
            await catalog.create_service_type(self._deps, require_caller(), draft=draft)
        )

    async def GetServiceType(
        self, request: catalog_pb2.GetServiceTypeRequest, context: Context
    ) -> catalog_pb2.ServiceType:
        require_caller()
        return mapping.service_type_pb(
            await catalog.get_service_type(self._deps, request.service_type_id)
        )

    async def ListServiceTypes(
        self, request: catalog_pb2.ListServiceTypesRequest, context: Context
    ) -> catalog_pb2.ListServiceTypesResponse:
        require_caller()
        found = await catalog.list_service_types(
            self._deps,
            parent_id=request.parent_service_type_id,
            show_disabled=request.show_disabled,
        )
        return catalog_pb2.ListServiceTypesResponse(
            service_types=[mapping.service_type_pb(t) for t in found]
        )

    async def UpdateServiceType(
        self, request: catalog_pb2.UpdateServiceTypeRequest, context: Context
    ) -> catalog_pb2.ServiceType:
        draft = mapping.service_type_draft(request.service_type)
        updated = await catalog.update_service_type(
            self._deps, require_caller(), draft=draft, mask=list(request.update_mask.paths)
        )
        return mapping.service_type_pb(updated)

    async def DeleteServiceType(
        self, request: catalog_pb2.DeleteServiceTypeRequest, context: Context
    ) -> empty_pb2.Empty:
        await catalog.delete_service_type(self._deps, require_caller(), request.service_type_id)
        return empty_pb2.Empty()

    async def CreateServiceLevel(
        self, request: catalog_pb2.CreateServiceLevelRequest, context: Context
    ) -> catalog_pb2.ServiceLevel:
        draft = mapping.service_level_draft(request.service_level)
        return mapping.service_level_pb(
            await catalog.create_service_level(self._deps, require_caller(), draft=draft)
        )

    async def GetServiceLevel(
        self, request: catalog_pb2.GetServiceLevelRequest, context: Context
    ) -> catalog_pb2.ServiceLevel:
        require_caller()
        return mapping.service_level_pb(
            await catalog.get_service_level(self._deps, request.service_level_id)
        )

    async def ListServiceLevels(
        self, request: catalog_pb2.ListServiceLevelsRequest, context: Context
    ) -> catalog_pb2.ListServiceLevelsResponse:
        require_caller()
        found = await catalog.list_service_levels(self._deps)
        return catalog_pb2.ListServiceLevelsResponse(
            service_levels=[mapping.service_level_pb(x) for x in found]
        )

    async def UpdateServiceLevel(
        self, request: catalog_pb2.UpdateServiceLevelRequest, context: Context
    ) -> catalog_pb2.ServiceLevel:
        draft = mapping.service_level_draft(request.service_level)
        updated = await catalog.update_service_level(
            self._deps, require_caller(), draft=draft, mask=list(request.update_mask.paths)
        )
        return mapping.service_level_pb(updated)

    async def DeleteServiceLevel(
        self, request: catalog_pb2.DeleteServiceLevelRequest, context: Context
    ) -> empty_pb2.Empty:
        await catalog.delete_service_level(self._deps, require_caller(), request.service_level_id)
        return empty_pb2.Empty()


def _filter(
    request: tickets_pb2.ListTicketsRequest, user_id: str, organization_id: str
) -> TicketFilter:
    return TicketFilter(
        statuses=tuple(
            mapping.STATUS_FROM[s] for s in request.statuses if s in mapping.STATUS_FROM
        ),
        service_type_ids=frozenset({request.service_type_id}) if request.service_type_id else None,
        service_level_id=request.service_level_id,
        priority=mapping.PRIORITY_FROM.get(request.priority),
        enterprise_id=request.enterprise_id,
        provider_id=request.provider_id,
        engineer_id=user_id if request.assigned_to_me else request.engineer_id,
        requester_id=user_id if request.mine else "",
        pool_of_provider=organization_id if request.pool else "",
        created_from=datetime_of(request, "create_time_start"),
        created_to=datetime_of(request, "create_time_end"),
        updated_from=datetime_of(request, "update_time_start"),
        updated_to=datetime_of(request, "update_time_end"),
        query=request.query.strip(),
        order=mapping.ORDER_FROM.get(request.order_by, "create_time_desc"),
    )


class TicketServicer(tickets_pb2_grpc.TicketServiceServicer):
    def __init__(self, deps: Deps):
        self._deps = deps

    async def CreateTicket(
        self, request: tickets_pb2.CreateTicketRequest, context: Context
    ) -> tickets_pb2.Ticket:
        ticket = await tickets.create_ticket(
            self._deps,
            require_caller(),
            draft=mapping.ticket_draft(request.ticket),
            priority=mapping.requested_priority(request.ticket),
            request_id=request.request_id,
            fingerprint=fingerprint(request),
        )
        return await self._ticket(ticket)

    async def GetTicket(
        self, request: tickets_pb2.GetTicketRequest, context: Context
    ) -> tickets_pb2.Ticket:
        return await self._ticket(
            await tickets.get_ticket(self._deps, require_caller(), request.ticket_id)
        )

    async def ListTickets(
        self, request: tickets_pb2.ListTicketsRequest, context: Context
    ) -> tickets_pb2.ListTicketsResponse:
        principal = require_caller()
        page, token = await tickets.list_tickets(
            self._deps,
            principal,
            where=_filter(request, principal.user_id, principal.organization_id),
            group=mapping.GROUP_FROM.get(request.status_group),
            page_size=request.page_size,
            page_token=request.page_token,
        )
        names = await names_for(self._deps, tickets=page.items)
        return tickets_pb2.ListTicketsResponse(
            tickets=[mapping.ticket_pb(t, names) for t in page.items],
            next_page_token=token,
            total_size=page.total,
            total_size_capped=page.capped,
        )

    async def UpdateTicket(
        self, request: tickets_pb2.UpdateTicketRequest, context: Context
    ) -> tickets_pb2.Ticket:
        updated = await tickets.update_ticket(
            self._deps,
            require_caller(),
            ticket_id=request.ticket.ticket_id,
            draft=mapping.ticket_draft(request.ticket),
            priority=mapping.requested_priority(request.ticket),
            mask=list(request.update_mask.paths),
        )
        return await self._ticket(updated)

    async def ApproveTicket(
        self, request: tickets_pb2.ApproveTicketRequest, context: Context
    ) -> tickets_pb2.Ticket:
        return await self._step(lifecycle.approve, request.ticket_id, request.comment)

    async def RejectTicket(
        self, request: tickets_pb2.RejectTicketRequest, context: Context
    ) -> tickets_pb2.Ticket:
        return await self._step(lifecycle.reject, request.ticket_id, request.reason)

    async def AssignTicket(
        self, request: tickets_pb2.AssignTicketRequest, context: Context
    ) -> tickets_pb2.Ticket:
        ticket = await lifecycle.assign(
            self._deps,
            require_caller(),
            request.ticket_id,
            provider_id=request.provider_id,
            engineer_id=request.engineer_id,
            note=request.note,
            request_id=request.request_id,
            automatic=request.automatic,
            replaces_engineer_id=request.replaces_engineer_id,
        )
        return await self._ticket(ticket)

    async def EscalateTicket(
        self, request: tickets_pb2.EscalateTicketRequest, context: Context
    ) -> tickets_pb2.Ticket:
        ticket = await lifecycle.escalate(
            self._deps,
            require_caller(),
            request.ticket_id,
            priority=mapping.required_priority(request.priority),
            reason=request.reason,
            request_id=request.request_id,
        )
        return await self._ticket(ticket)

    async def SetTicketPriority(
        self, request: tickets_pb2.SetTicketPriorityRequest, context: Context
    ) -> tickets_pb2.Ticket:
        ticket = await lifecycle.set_priority(
            self._deps,
            require_caller(),
            request.ticket_id,
            priority=mapping.required_priority(request.priority),
            reason=request.reason,
        )
        return await self._ticket(ticket)

    async def ClaimTicket(
        self, request: tickets_pb2.ClaimTicketRequest, context: Context
    ) -> tickets_pb2.Ticket:
        return await self._step(lifecycle.claim, request.ticket_id)

    async def TransferTicket(
        self, request: tickets_pb2.TransferTicketRequest, context: Context
    ) -> tickets_pb2.Ticket:
        ticket = await lifecycle.transfer(
            self._deps,
            require_caller(),
            request.ticket_id,
            engineer_id=request.engineer_id,
            reason=request.reason,
        )
        return await self._ticket(ticket)

    async def StartTicket(
        self, request: tickets_pb2.StartTicketRequest, context: Context
    ) -> tickets_pb2.Ticket:
        return await self._step(lifecycle.start, request.ticket_id)

    async def ResolveTicket(
        self, request: tickets_pb2.ResolveTicketRequest, context: Context
    ) -> tickets_pb2.Ticket:
        return await self._step(
            lifecycle.resolve, request.ticket_id, request.resolution, list(request.attachment_ids)
        )

    async def ConfirmTicket(
        self, request: tickets_pb2.ConfirmTicketRequest, context: Context
    ) -> tickets_pb2.Ticket:
        return await self._step(lifecycle.confirm, request.ticket_id)

    async def WaitOnCustomer(
        self, request: tickets_pb2.WaitOnCustomerRequest, context: Context
    ) -> tickets_pb2.Ticket:
        return await self._step(lifecycle.wait_on_customer, request.ticket_id, request.reason)

    async def ResumeTicket(
        self, request: tickets_pb2.ResumeTicketRequest, context: Context
    ) -> tickets_pb2.Ticket:
        return await self._step(lifecycle.resume, request.ticket_id, request.note)

    async def ReopenTicket(
        self, request: tickets_pb2.ReopenTicketRequest, context: Context
    ) -> tickets_pb2.Ticket:
        return await self._step(lifecycle.reopen, request.ticket_id, request.reason)

    async def CancelTicket(
        self, request: tickets_pb2.CancelTicketRequest, context: Context
    ) -> tickets_pb2.Ticket:
        return await self._step(lifecycle.cancel, request.ticket_id, request.reason)

    async def RateTicket(
        self, request: tickets_pb2.RateTicketRequest, context: Context
    ) -> tickets_pb2.Ticket:
        return await self._step(lifecycle.rate, request.ticket_id, request.score, request.comment)

    async def CreateComment(
        self, request: tickets_pb2.CreateCommentRequest, context: Context
    ) -> tickets_pb2.Comment:
        comment = await lifecycle.add_comment(
            self._deps,
            require_caller(),
            request.ticket_id,
            body=request.comment.body,
            internal=request.comment.visibility == tickets_pb2.COMMENT_VISIBILITY_INTERNAL,
            attachment_ids=list(request.comment.attachment_ids),
        )
        names = await names_for(self._deps, comments=[comment])
        return mapping.comment_pb(comment, names)

    async def ListComments(
        self, request: tickets_pb2.ListCommentsRequest, context: Context
    ) -> tickets_pb2.ListCommentsResponse:
        found, token = await lifecycle.list_comments(
            self._deps, require_caller(), request.ticket_id, request.page_size, request.page_token
        )
        names = await names_for(self._deps, comments=found)
        return tickets_pb2.ListCommentsResponse(
            comments=[mapping.comment_pb(c, names) for c in found], next_page_token=token
        )

    async def CreateAttachment(
        self, request: tickets_pb2.CreateAttachmentRequest, context: Context
    ) -> tickets_pb2.Attachment:
        attachment = await attachments.upload(
            self._deps,
            require_caller(),
            request.ticket_id,
            filename=request.filename,
            content=request.content,
        )
        names = await names_for(self._deps, attachments=[attachment])
        return mapping.attachment_pb(attachment, names)

    async def ListAttachments(
        self, request: tickets_pb2.ListAttachmentsRequest, context: Context
    ) -> tickets_pb2.ListAttachmentsResponse:
        found = await attachments.list_attachments(self._deps, require_caller(), request.ticket_id)
        names = await names_for(self._deps, attachments=found)
        return tickets_pb2.ListAttachmentsResponse(
            attachments=[mapping.attachment_pb(a, names) for a in found]
        )

    async def GetAttachment(
        self, request: tickets_pb2.GetAttachmentRequest, context: Context
    ) -> tickets_pb2.AttachmentContent:
        attachment, content = await attachments.download(
            self._deps, require_caller(), request.ticket_id, request.attachment_id
        )
        return tickets_pb2.AttachmentContent(
            attachment=mapping.attachment_pb(attachment), content=content
        )

    async def DeleteAttachment(
        self, request: tickets_pb2.DeleteAttachmentRequest, context: Context
    ) -> empty_pb2.Empty:
        await attachments.remove(
            self._deps, require_caller(), request.ticket_id, request.attachment_id
        )
        return empty_pb2.Empty()

    async def ListTicketHistory(
        self, request: tickets_pb2.ListTicketHistoryRequest, context: Context
    ) -> tickets_pb2.ListTicketHistoryResponse:
        found, token = await lifecycle.list_history(
            self._deps, require_caller(), request.ticket_id, request.page_size, request.page_token
        )
        names = await names_for(self._deps, history=found)
        return tickets_pb2.ListTicketHistoryResponse(
            entries=[mapping.history_pb(h, names) for h in found], next_page_token=token
        )

    async def GetTicketStats(
        self, request: tickets_pb2.GetTicketStatsRequest, context: Context
    ) -> tickets_pb2.TicketStats:
        groups, months = await tickets.stats(self._deps, require_caller(), months=request.months)
        return tickets_pb2.TicketStats(
            by_status_group={f"STATUS_GROUP_{name}": count for name, count in groups.items()},
            by_month=[tickets_pb2.MonthCount(month=m, count=c) for m, c in months],
            total=sum(groups.values()),
        )

    async def _step(
        self, use_case: Callable[..., Awaitable[Ticket]], ticket_id: str, *args: object
    ) -> tickets_pb2.Ticket:
        return await self._ticket(await use_case(self._deps, require_caller(), ticket_id, *args))

    async def _ticket(self, ticket: Ticket) -> tickets_pb2.Ticket:
        return mapping.ticket_pb(ticket, await names_for(self._deps, tickets=[ticket]))


class KnowledgeServicer(knowledge_pb2_grpc.KnowledgeServiceServicer):
    def __init__(self, deps: Deps):
        self._deps = deps

    async def CreateArticle(
        self, request: knowledge_pb2.CreateArticleRequest, context: Context
    ) -> knowledge_pb2.Article:
        article = await knowledge.create_article(
            self._deps, require_caller(), draft=mapping.article_draft(request.article)
        )
        return mapping.article_pb(article)

    async def GetArticle(
        self, request: knowledge_pb2.GetArticleRequest, context: Context
    ) -> knowledge_pb2.Article:
        return mapping.article_pb(
            await knowledge.get_article(self._deps, require_caller(), request.article_id)
        )

    async def ListArticles(
        self, request: knowledge_pb2.ListArticlesRequest, context: Context
    ) -> knowledge_pb2.ListArticlesResponse:
        found, token = await knowledge.search_articles(
            self._deps,
            require_caller(),
            query=request.query,
            state=mapping.ARTICLE_STATE_FROM.get(request.state),
            category=request.category,
            tag=request.tag,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return knowledge_pb2.ListArticlesResponse(
            articles=[mapping.article_pb(a) for a in found], next_page_token=token
        )

    async def UpdateArticle(
        self, request: knowledge_pb2.UpdateArticleRequest, context: Context
    ) -> knowledge_pb2.Article:
        article = await knowledge.update_article(
            self._deps,
            require_caller(),
            draft=mapping.article_draft(request.article),
            mask=list(request.update_mask.paths),
        )
        return mapping.article_pb(article)

    async def DeleteArticle(
        self, request: knowledge_pb2.DeleteArticleRequest, context: Context
    ) -> empty_pb2.Empty:
        await knowledge.delete_article(self._deps, require_caller(), request.article_id)
        return empty_pb2.Empty()

    async def SuggestArticles(
        self, request: knowledge_pb2.SuggestArticlesRequest, context: Context
    ) -> knowledge_pb2.SuggestArticlesResponse:
        found = await knowledge.suggest(
            self._deps,
            require_caller(),
            text=request.q,
            service_type_id=request.service_type_id,
            limit=request.page_size,
        )
        return knowledge_pb2.SuggestArticlesResponse(
            articles=[mapping.article_pb(a) for a in found]
        )

    async def SubmitArticleFeedback(
        self, request: knowledge_pb2.SubmitArticleFeedbackRequest, context: Context
    ) -> knowledge_pb2.Article:
        article = await knowledge.feedback(
            self._deps, require_caller(), request.article_id, helpful=request.helpful
        )
        return mapping.article_pb(article)

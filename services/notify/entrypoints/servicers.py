"""NotificationService: proto in, use case, proto out."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ticketing.notify.v1 import notify_pb2 as pb
from ticketing.notify.v1 import notify_pb2_grpc

from servicekit.authz import require_caller
from servicekit.paging import cursor_of
from servicekit.rpc.interceptors import Context
from services.notify import mapping
from services.notify.service_layer import inbox
from services.notify.service_layer.deps import Deps
from services.notify.service_layer.live import Feeds


class NotificationServicer(notify_pb2_grpc.NotificationServiceServicer):
    def __init__(self, deps: Deps):
        self._deps = deps
        self._feeds = Feeds(deps)

    async def ListMessages(
        self, request: pb.ListMessagesRequest, context: Context
    ) -> pb.ListMessagesResponse:
        found, token, unread = await inbox.list_messages(
            self._deps,
            require_caller(),
            unread_only=request.unread_only,
            category=mapping.CATEGORY_FROM.get(request.category),
            cursor=cursor_of(request.page_size, request.page_token),
        )
        return pb.ListMessagesResponse(
            messages=[mapping.message_pb(m) for m in found],
            next_page_token=token,
            unread_count=unread.total,
        )

    async def StreamMessages(
        self, request: pb.StreamMessagesRequest, context: Context
    ) -> AsyncIterator[pb.StreamMessagesResponse]:
        caller = require_caller()
        last_event_id = dict(context.invocation_metadata() or ()).get("last-event-id", "")
        items = self._feeds.stream(caller, str(last_event_id))
        first = await anext(items)  # a bad Last-Event-ID fails here, before the stream starts
        await context.send_initial_metadata(())  # the stream is accepted (gateway: 200)
        yield mapping.stream_item_pb(first)
        async for item in items:
            yield mapping.stream_item_pb(item)

    async def GetUnreadCount(
        self, request: pb.GetUnreadCountRequest, context: Context
    ) -> pb.UnreadCount:
        return mapping.unread_pb(await inbox.unread_count(self._deps, require_caller()))

    async def MarkMessageRead(
        self, request: pb.MarkMessageReadRequest, context: Context
    ) -> pb.Message:
        message = await inbox.mark_read(self._deps, require_caller(), request.message_id)
        return mapping.message_pb(message)

    async def MarkAllMessagesRead(
        self, request: pb.MarkAllMessagesReadRequest, context: Context
    ) -> pb.MarkAllMessagesReadResponse:
        marked = await inbox.mark_all_read(self._deps, require_caller())
        return pb.MarkAllMessagesReadResponse(marked_count=marked)

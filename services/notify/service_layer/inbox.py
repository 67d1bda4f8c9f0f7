"""The message centre (消息中心): a signed-in user lists his messages, counts the unread ones
and marks them read. Nobody reads or marks another's messages: a message id that is not the
caller's is "not found", whoever asks."""

from __future__ import annotations

from servicekit.auth.principal import Principal
from servicekit.errors import not_found
from servicekit.paging import Cursor
from services.notify.domain.messages import Category, Message, UnreadCount
from services.notify.service_layer.deps import Deps
from services.notify.service_layer.ports import MessageQuery


async def list_messages(
    deps: Deps,
    p: Principal,
    *,
    unread_only: bool,
    category: Category | None,
    cursor: Cursor,
) -> tuple[list[Message], str, UnreadCount]:
    """Newest first; the page token is the last message's position, so messages arriving
    between pages neither repeat nor push others out."""
    query = MessageQuery(
        user_id=p.user_id,
        unread_only=unread_only,
        category=category,
        before_seq=cursor.after,
        limit=cursor.limit,
    )
    async with deps.uow() as uow:
        found = await uow.messages.find(query)
        unread = await uow.messages.unread(p.user_id)
    token = cursor.next_token(found[-1].seq if found else 0, returned=len(found))
    return found, token, unread


async def unread_count(deps: Deps, p: Principal) -> UnreadCount:
    async with deps.uow() as uow:
        return await uow.messages.unread(p.user_id)


async def mark_read(deps: Deps, p: Principal, message_id: str) -> Message:
    async with deps.uow() as uow:
        message = await uow.messages.mark_read(p.user_id, message_id, deps.clock())
        if message is None:
            raise not_found("MESSAGE_NOT_FOUND", f"no message {message_id!r}")
        await uow.commit()
    return message


async def mark_all_read(deps: Deps, p: Principal) -> int:
    async with deps.uow() as uow:
        marked = await uow.messages.mark_all_read(p.user_id, deps.clock())
        await uow.commit()
    return marked

"""Live message streams, shared per user within a process.

However many streams one user has open in this process (a phone, two browser tabs), one feed
reads his new messages and unread count per wake-up and hands them to every stream; so a
wake-up costs one read per user, not one per connection. Each stream keeps its own position:
one that resumes (Last-Event-ID) catches up by itself, then takes the feed's items, skipping
what it already sent — nothing lost, nothing twice. A stream that cannot keep up (its queue is
full) is ended; its client reconnects with Last-Event-ID and catches up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from servicekit.auth.principal import Principal
from servicekit.errors import FieldViolation, invalid_argument
from services.notify.domain.messages import Message, UnreadCount
from services.notify.service_layer.deps import Deps

log = logging.getLogger(__name__)
BATCH = 100
QUEUE = 1000


@dataclass(frozen=True)
class StreamItem:
    """One event of a user's stream: a new message, or the unread count after a change."""

    message: Message | None = None
    unread: UnreadCount | None = None


class Overflowed(Exception):
    """The stream fell too far behind its feed."""


@dataclass(eq=False)
class _Feed:
    user_id: str
    position: int = 0  # the newest message handed out
    unread: UnreadCount = field(default_factory=UnreadCount)
    subscribers: set[asyncio.Queue[StreamItem | None]] = field(default_factory=set)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def hand_out(self, item: StreamItem) -> None:
        for queue in list(self.subscribers):
            try:
                queue.put_nowait(item)
            except asyncio.QueueFull:
                self.subscribers.discard(queue)
                with contextlib.suppress(asyncio.QueueFull):
                    queue.get_nowait()
                    queue.put_nowait(None)  # ends that stream


class Feeds:
    def __init__(self, deps: Deps):
        self._deps = deps
        self._feeds: dict[str, _Feed] = {}

    @property
    def users(self) -> int:
        return len(self._feeds)

    async def stream(self, p: Principal, last_event_id: str) -> AsyncIterator[StreamItem]:
        """The caller's new messages and unread count as they change (the count first). With
        `last_event_id` (a message position), everything after it first, once, in order."""
        after = _position(last_event_id)
        queue: asyncio.Queue[StreamItem | None] = asyncio.Queue(QUEUE)
        feed = await self._join(p.user_id, queue)
        try:
            # Where this stream starts, fixed before its first yield: the feed moves on while
            # the client reads, and what it hands out meanwhile waits in the queue.
            sent_unread = feed.unread
            last = feed.position if after is None else after
            catch_up_to = feed.position
            yield StreamItem(unread=sent_unread)
            if after is not None:
                async for message in self._catch_up(p.user_id, after, catch_up_to):
                    yield StreamItem(message=message)
                    last = message.seq
            while True:
                item = await queue.get()
                if item is None:
                    raise Overflowed(p.user_id)
                if item.message is not None and item.message.seq > last:
                    last = item.message.seq
                    yield item
                elif item.unread is not None and item.unread != sent_unread:
                    sent_unread = item.unread
                    yield item
        finally:
            self._leave(feed, queue)

    async def _join(self, user_id: str, queue: asyncio.Queue[StreamItem | None]) -> _Feed:
        feed = self._feeds.get(user_id)
        if feed is None:
            feed = self._feeds[user_id] = _Feed(user_id)
            feed.task = asyncio.create_task(self._run(feed), name=f"feed-{user_id}")
        feed.subscribers.add(queue)
        if not feed.ready.is_set():
            waiter = asyncio.ensure_future(feed.ready.wait())
            assert feed.task is not None
            await asyncio.wait({waiter, feed.task}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if not feed.ready.is_set():  # the feed could not start (its database is away)
                self._leave(feed, queue)
                feed.task.result()
                raise RuntimeError("the feed ended before it started")
        return feed

    def _leave(self, feed: _Feed, queue: asyncio.Queue[StreamItem | None]) -> None:
        feed.subscribers.discard(queue)
        if not feed.subscribers and self._feeds.get(feed.user_id) is feed:
            del self._feeds[feed.user_id]
            if feed.task is not None:
                feed.task.cancel()

    async def _catch_up(self, user_id: str, after: int, until: int) -> AsyncIterator[Message]:
        while after < until:
            async with self._deps.uow() as uow:
                found = await uow.messages.after(user_id, after, BATCH)
            for message in found:
                if message.seq > until:
                    return
                yield message
                after = message.seq
            if len(found) < BATCH:
                return

    async def _run(self, feed: _Feed) -> None:
        deps = self._deps
        async with deps.wakeups.watch(feed.user_id) as woken:
            async with deps.uow() as uow:
                feed.position = await uow.messages.latest_seq(feed.user_id)
                feed.unread = await uow.messages.unread(feed.user_id)
            feed.ready.set()
            while True:
                woken.clear()  # before looking: a change during the look wakes the next round
                try:
                    async with deps.uow() as uow:
                        found = await uow.messages.after(feed.user_id, feed.position, BATCH)
                        unread = await uow.messages.unread(feed.user_id)
                except Exception as error:  # the database is away: look again later
                    log.warning("reading a message feed failed: %r", error)
                    found, unread = [], feed.unread
                for message in found:
                    feed.position = message.seq
                    feed.hand_out(StreamItem(message=message))
                if unread != feed.unread:
                    feed.unread = unread
                    feed.hand_out(StreamItem(unread=unread))
                if len(found) == BATCH:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), deps.settings.stream_recheck_seconds)


def _position(last_event_id: str) -> int | None:
    if not last_event_id:
        return None
    if not last_event_id.isdigit() or len(last_event_id) > 18:
        raise invalid_argument(
            "LAST_EVENT_ID_INVALID",
            [FieldViolation("Last-Event-ID", "is not an event id this stream sent")],
        )
    return int(last_event_id)

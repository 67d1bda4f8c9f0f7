"""NotificationService: proto in, use case, proto out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from ticketing.notify.v1 import notify_pb2 as pb
from ticketing.notify.v1 import notify_pb2_grpc

from servicekit.authz import require_caller
from servicekit.errors import FieldViolation, invalid_argument
from servicekit.field_mask import fields_to_update
from servicekit.paging import cursor_of, invalid_page_token, key_of_token, key_token, page_limit
from servicekit.rpc.interceptors import Context
from services.notify import mapping
from services.notify.domain.deliveries import Delivery
from services.notify.domain.preferences import PreferenceError
from services.notify.service_layer import delivering, inbox, preferences, templates, webhooks
from services.notify.service_layer.deps import Deps
from services.notify.service_layer.live import Feeds
from services.notify.service_layer.ports import DeliveryQuery
from services.notify.service_layer.preferences import Change


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

    async def ListTemplates(
        self, request: pb.ListTemplatesRequest, context: Context
    ) -> pb.ListTemplatesResponse:
        found = await templates.list_templates(
            self._deps, require_caller(), kind=request.event_kind, locale=request.locale
        )
        return pb.ListTemplatesResponse(templates=[mapping.template_pb(t) for t in found])

    async def UpdateTemplate(
        self, request: pb.UpdateTemplateRequest, context: Context
    ) -> pb.Template:
        paths = fields_to_update(request.update_mask.paths, ("title_template", "body_template"))
        given = request.template
        updated = await templates.update_template(
            self._deps,
            require_caller(),
            given.template_id,
            title=given.title_template if "title_template" in paths else None,
            body=given.body_template if "body_template" in paths else None,
        )
        return mapping.template_pb(updated)

    async def ResetTemplate(
        self, request: pb.ResetTemplateRequest, context: Context
    ) -> pb.Template:
        reset = await templates.reset_template(self._deps, require_caller(), request.template_id)
        return mapping.template_pb(reset)

    async def PreviewTemplate(
        self, request: pb.PreviewTemplateRequest, context: Context
    ) -> pb.PreviewTemplateResponse:
        text = await templates.preview(
            self._deps,
            require_caller(),
            kind=request.event_kind,
            locale=request.locale,
            title=request.title_template,
            body=request.body_template,
        )
        return pb.PreviewTemplateResponse(title=text.title, body=text.body)

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

    async def GetNotificationPreferences(
        self, request: pb.GetNotificationPreferencesRequest, context: Context
    ) -> pb.NotificationPreferences:
        found = await preferences.my_preferences(self._deps, require_caller())
        return mapping.preferences_pb(found)

    async def UpdateNotificationPreferences(
        self, request: pb.UpdateNotificationPreferencesRequest, context: Context
    ) -> pb.NotificationPreferences:
        change = _change(request.preferences, request.update_mask.paths)
        saved = await preferences.update_my_preferences(self._deps, require_caller(), change)
        return mapping.preferences_pb(saved)

    async def GetEffectiveNotificationPreferences(
        self, request: pb.GetEffectiveNotificationPreferencesRequest, context: Context
    ) -> pb.EffectivePreferences:
        found = await preferences.my_effective_preferences(self._deps, require_caller())
        return mapping.effective_pb(found)

    async def GetOrganizationNotificationPreferences(
        self, request: pb.GetOrganizationNotificationPreferencesRequest, context: Context
    ) -> pb.NotificationPreferences:
        found = await preferences.organization_preferences(
            self._deps, require_caller(), request.organization_id
        )
        return mapping.preferences_pb(found)

    async def UpdateOrganizationNotificationPreferences(
        self, request: pb.UpdateOrganizationNotificationPreferencesRequest, context: Context
    ) -> pb.NotificationPreferences:
        caller = require_caller()
        preferences.check_organization_admin(caller, request.organization_id)
        change = _change(request.preferences, request.update_mask.paths)
        saved = await preferences.update_organization_preferences(
            self._deps, caller, request.organization_id, change
        )
        return mapping.preferences_pb(saved)

    async def ListDeliveries(
        self, request: pb.ListDeliveriesRequest, context: Context
    ) -> pb.ListDeliveriesResponse:
        limit = page_limit(request.page_size, default=50, maximum=200)
        query = DeliveryQuery(
            user_id=request.user_id,
            channel=mapping.CHANNEL_FROM.get(request.channel),
            state=mapping.DELIVERY_STATE_FROM.get(request.state),
            ticket_id=request.ticket_id,
            before=_before(request.page_token),
            limit=limit + 1,
        )
        found = await delivering.list_deliveries(self._deps, require_caller(), query)
        return _delivery_page(found, limit)

    async def GetDelivery(self, request: pb.GetDeliveryRequest, context: Context) -> pb.Delivery:
        found, attempts = await delivering.get_delivery(
            self._deps, require_caller(), request.delivery_id
        )
        return mapping.delivery_pb(found, attempts)

    async def CreateWebhookSubscription(
        self, request: pb.CreateWebhookSubscriptionRequest, context: Context
    ) -> pb.WebhookSubscription:
        given = request.subscription
        draft = webhooks.Draft(
            url=given.url,
            event_types=frozenset(given.event_types),
            active=given.active if given.HasField("active") else None,
            description=given.description,
        )
        made = await webhooks.create_subscription(
            self._deps, require_caller(), given.organization_id, draft
        )
        return mapping.subscription_pb(made, with_secret=True)

    async def ListWebhookSubscriptions(
        self, request: pb.ListWebhookSubscriptionsRequest, context: Context
    ) -> pb.ListWebhookSubscriptionsResponse:
        found = await webhooks.list_subscriptions(
            self._deps, require_caller(), request.organization_id
        )
        return pb.ListWebhookSubscriptionsResponse(
            subscriptions=[mapping.subscription_pb(s) for s in found]
        )

    async def GetWebhookSubscription(
        self, request: pb.GetWebhookSubscriptionRequest, context: Context
    ) -> pb.WebhookSubscription:
        found = await webhooks.get_subscription(
            self._deps, require_caller(), request.subscription_id
        )
        return mapping.subscription_pb(found)

    async def UpdateWebhookSubscription(
        self, request: pb.UpdateWebhookSubscriptionRequest, context: Context
    ) -> pb.WebhookSubscription:
        parts = ("url", "event_types", "active", "description")
        paths = fields_to_update(request.update_mask.paths, parts)
        given = request.subscription
        draft = webhooks.Draft(
            url=given.url if "url" in paths else None,
            event_types=frozenset(given.event_types) if "event_types" in paths else None,
            active=given.active if "active" in paths else None,
            description=given.description if "description" in paths else None,
        )
        changed = await webhooks.update_subscription(
            self._deps, require_caller(), given.subscription_id, draft
        )
        return mapping.subscription_pb(changed)

    async def DeleteWebhookSubscription(
        self, request: pb.DeleteWebhookSubscriptionRequest, context: Context
    ) -> pb.DeleteWebhookSubscriptionResponse:
        await webhooks.delete_subscription(self._deps, require_caller(), request.subscription_id)
        return pb.DeleteWebhookSubscriptionResponse()

    async def RotateWebhookSecret(
        self, request: pb.RotateWebhookSecretRequest, context: Context
    ) -> pb.WebhookSubscription:
        overlap = request.overlap.ToTimedelta() if request.HasField("overlap") else None
        rotated = await webhooks.rotate_secret(
            self._deps, require_caller(), request.subscription_id, overlap
        )
        return mapping.subscription_pb(rotated, with_secret=True)

    async def ListWebhookDeliveries(
        self, request: pb.ListWebhookDeliveriesRequest, context: Context
    ) -> pb.ListDeliveriesResponse:
        limit = page_limit(request.page_size, default=50, maximum=200)
        query = DeliveryQuery(
            state=mapping.DELIVERY_STATE_FROM.get(request.state),
            before=_before(request.page_token),
            limit=limit + 1,
        )
        found = await webhooks.list_deliveries(
            self._deps, require_caller(), request.subscription_id, query
        )
        return _delivery_page(found, limit)

    async def RedeliverWebhook(
        self, request: pb.RedeliverWebhookRequest, context: Context
    ) -> pb.Delivery:
        again = await webhooks.redeliver(
            self._deps, require_caller(), request.subscription_id, request.delivery_id
        )
        return mapping.delivery_pb(again)

    async def RetryDelivery(
        self, request: pb.RetryDeliveryRequest, context: Context
    ) -> pb.Delivery:
        found = await delivering.retry_delivery(self._deps, require_caller(), request.delivery_id)
        return mapping.delivery_pb(found)


def _before(page_token: str) -> tuple[datetime, str] | None:
    if not page_token:
        return None
    created, last_id = key_of_token(page_token, 2)
    try:
        return datetime.fromisoformat(created), last_id
    except ValueError:
        raise invalid_page_token() from None


def _delivery_page(found: list[Delivery], limit: int) -> pb.ListDeliveriesResponse:
    page, more = found[:limit], len(found) > limit
    token = key_token([page[-1].created_at.isoformat(), page[-1].id]) if more else ""
    return pb.ListDeliveriesResponse(
        deliveries=[mapping.delivery_pb(d) for d in page], next_page_token=token
    )


def _change(given: pb.NotificationPreferences, mask: Sequence[str]) -> Change:
    paths = fields_to_update(mask, mapping.PREFERENCE_PARTS)
    try:
        return mapping.change_of(given, paths)
    except PreferenceError as error:
        raise invalid_argument(
            "PREFERENCES_INVALID", [FieldViolation("preferences." + error.field, error.problem)]
        ) from None

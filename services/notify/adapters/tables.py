"""Notify's tables (SQLAlchemy Core). The migrations create exactly these.

The directory of people and roles (its read model of identity, fed by identity's events) and
the message centre: one row per (event, recipient), numbered by a sequence that orders each
user's stream (keyset pages now, server-sent event ids later)."""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Sequence,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from servicekit.idempotency import define_idempotency_table
from servicekit.messaging_tables import define_messaging_tables, text_column

metadata = MetaData()
outbox, inbox = define_messaging_tables(metadata)
idempotency_keys = define_idempotency_table(metadata)
message_sequence = Sequence("message_seq", metadata=metadata)
WAKE_CHANNEL = "notify_messages"  # NOTIFY channel: payload = the user whose messages changed


people = Table(
    "people",
    metadata,
    Column("id", Text, primary_key=True),
    text_column("kind"),
    text_column("organization_id"),
    text_column("display_name"),
    text_column("email"),
    text_column("phone"),
    text_column("wechat_openid"),
    Column("role_ids", ARRAY(Text), nullable=False, server_default="{}"),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("locale", Text, nullable=False, server_default="zh-CN"),
    Column("time_zone", Text, nullable=False, server_default="Asia/Shanghai"),
)
Index("people_by_organization", people.c.organization_id, people.c.kind)

roles = Table(
    "roles",
    metadata,
    Column("id", Text, primary_key=True),
    Column("permission_codes", ARRAY(Text), nullable=False, server_default="{}"),
)

tickets = Table(  # the newest version of each ticket notify has heard of
    "tickets",
    metadata,
    Column("id", Text, primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("creation_seen", Boolean, nullable=False, server_default=text("false")),
)

templates = Table(  # customized message texts; the built-in ones are in domain/templates.py
    "templates",
    metadata,
    Column("id", Text, primary_key=True),  # <kind>.<channel>.<locale>
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    text_column("updated_by"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Text, primary_key=True),
    Column(
        "seq",
        BigInteger,
        message_sequence,
        nullable=False,
        unique=True,
        server_default=message_sequence.next_value(),
    ),
    Column("user_id", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    text_column("ticket_id"),
    text_column("ticket_number"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("read_at", DateTime(timezone=True)),
    UniqueConstraint("event_id", "user_id", name="messages_once_per_event"),
)
Index("messages_of_user", messages.c.user_id, messages.c.seq.desc())
Index(
    "messages_unread_of_user",
    messages.c.user_id,
    messages.c.category,
    postgresql_where=messages.c.read_at.is_(None),
)

preferences = Table(  # one layer of notification preferences: an organisation's or a user's
    "preferences",
    metadata,
    Column("scope", Text, primary_key=True),  # "organization" or "user"
    Column("owner_id", Text, primary_key=True),
    Column("document", JSONB, nullable=False),  # only what the layer sets (see repository)
    Column("updated_at", DateTime(timezone=True), nullable=False),
    text_column("updated_by"),
)

deliveries = Table(  # a notice on its way over email / SMS / WeChat (domain/deliveries.py)
    "deliveries",
    metadata,
    Column("id", Text, primary_key=True),
    Column("event_id", Text, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    text_column("ticket_id"),
    text_column("message_id"),
    text_column("reason"),
    text_column("organization_id"),  # webhooks: the subscribing organisation
    Column("state", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    text_column("last_response"),
    UniqueConstraint("event_id", "user_id", "channel", name="deliveries_once"),
)
Index(
    "deliveries_due",
    deliveries.c.due_at,
    postgresql_where=deliveries.c.state.in_(["pending", "failed"]),
)
Index("deliveries_newest", deliveries.c.created_at.desc(), deliveries.c.id.desc())
Index("deliveries_of_user", deliveries.c.user_id, deliveries.c.created_at.desc())

webhook_subscriptions = Table(  # domain/webhooks.py
    "webhook_subscriptions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("organization_id", Text, nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("event_types", ARRAY(Text), nullable=False),
    Column("secrets", JSONB, nullable=False),  # [{"value", "validUntil"}], current first
    Column("active", Boolean, nullable=False),
    text_column("description"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("delivery_id", Text, primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("response", Text, nullable=False),
    Column("latency_ms", Integer, nullable=False),
)

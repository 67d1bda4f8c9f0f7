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
    MetaData,
    Sequence,
    Table,
    Text,
    UniqueConstraint,
    text,
)

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
    Column("role_ids", ARRAY(Text), nullable=False, server_default="{}"),
    Column("active", Boolean, nullable=False, server_default=text("true")),
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

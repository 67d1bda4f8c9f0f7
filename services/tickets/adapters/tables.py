"""Tickets' tables (SQLAlchemy Core). The migrations create exactly these."""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from servicekit.idempotency import define_idempotency_table
from servicekit.messaging_tables import audit_columns, define_messaging_tables, text_column

metadata = MetaData()
outbox, inbox = define_messaging_tables(metadata)
idempotency_keys = define_idempotency_table(metadata)


service_types = Table(
    "service_types",
    metadata,
    Column("id", Text, primary_key=True),
    Column("display_name", Text, nullable=False),
    Column("parent_id", Text),
    Column("level", Integer, nullable=False),
    Column("sort_order", Integer, nullable=False, server_default="0"),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    Column("form_fields", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    text_column("default_service_level_id"),
    Column("skills", ARRAY(Text), nullable=False, server_default="{}"),
    text_column("description"),
    *audit_columns(),
)
Index(
    "service_types_sibling_name",
    func.coalesce(service_types.c.parent_id, ""),
    service_types.c.display_name,
    unique=True,
)

service_levels = Table(
    "service_levels",
    metadata,
    Column("id", Text, primary_key=True),
    Column("display_name", Text, nullable=False, unique=True),
    Column("priority", Integer, nullable=False),
    Column("response_target_seconds", Integer),
    Column("resolution_target_seconds", Integer),
    Column("approval_steps", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("auto_close_delay_seconds", Integer, nullable=False),
    *audit_columns(),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Text, primary_key=True),
    Column("number", Text, nullable=False, unique=True),
    Column("title", Text, nullable=False),
    text_column("description"),
    Column("service_type_id", Text, nullable=False),
    Column("service_level_id", Text, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("enterprise_id", Text, nullable=False),
    Column("requester_id", Text, nullable=False),
    text_column("requester_department_id"),
    text_column("created_by"),
    text_column("contact_name"),
    text_column("contact_phone"),
    text_column("location"),
    Column("custom_fields", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    text_column("provider_id"),
    text_column("engineer_id"),
    Column("approval_steps", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("pending_approval_level", Integer, nullable=False, server_default="0"),
    Column("approvals", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    text_column("resolution"),
    text_column("cancel_reason"),
    Column("rating", JSONB),
    Column("auto_close_delay_seconds", Integer, nullable=False),
    Column("response_due_at", DateTime(timezone=True)),
    Column("resolution_due_at", DateTime(timezone=True)),
    Column("first_response_at", DateTime(timezone=True)),
    Column("auto_close_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("attachment_ids", ARRAY(Text), nullable=False, server_default="{}"),
    *audit_columns(),
    Column("version", Integer, nullable=False, server_default="0"),
    Column("service_type_path", ARRAY(Text), nullable=False, server_default="{}"),
)
# Every list order (adapters/repositories/tickets.py ORDERS) under every audience scope has an
# index that yields it, so a page costs the page whatever the table holds.
LIST_SCOPES: dict[str, tuple[str | None, str | None]] = {
    # name: (leading column, partial-index predicate)
    "all": (None, None),
    "enterprise": ("enterprise_id", None),
    "provider": ("provider_id", None),
    "engineer": ("engineer_id", None),
    "requester": ("requester_id", None),
    "department": ("requester_department_id", None),
    "status": ("status", None),
    # raised by someone other than the requester (staff on a customer's behalf)
    "creator": ("created_by", "created_by <> requester_id"),
    # a provider's unassigned pool
    "pool": ("provider_id", "status = 'pending_assignment' AND engineer_id = ''"),
}
LIST_ORDER_KEYS = {
    "created": (tickets.c.created_at, tickets.c.id),
    "updated": (tickets.c.updated_at, tickets.c.id),
    "urgency": (-tickets.c.priority, tickets.c.created_at, tickets.c.id),
}
for _scope, (_lead, _where) in LIST_SCOPES.items():
    for _order, _keys in LIST_ORDER_KEYS.items():
        Index(
            f"tickets_{_scope}_by_{_order}",
            *([tickets.c[_lead]] if _lead else []),
            *_keys,
            postgresql_where=text(_where) if _where else None,
        )
# text search (title and description, Chinese and English alike): pg_trgm's trigram indexes,
# and for terms of one or two characters (no trigram) their characters and pairs
for _column in ("title", "description"):
    Index(
        f"tickets_{_column}_trgm",
        tickets.c[_column],
        postgresql_using="gin",
        postgresql_ops={_column: "gin_trgm_ops"},
    )
Index(
    "tickets_text_grams",
    func.ticket_grams(tickets.c.title, tickets.c.description),
    postgresql_using="gin",
)

# Ticket counts by audience key, creation month (UTC) and status, for statistics that do not
# scan the tickets: a row trigger on tickets appends one signed delta per change (with every
# key the ticket counts under; no row is updated in place, so concurrent writers never queue
# on a counter, and the table has no index to maintain), and the timer folds them into
# ticket_counts. Keys: "all", "e:<enterprise>", "d:<department>", "p:<provider>",
# "g:<engineer>", "u:<user>" (requester, or whoever raised it for them).
ticket_counts = Table(
    "ticket_counts",
    metadata,
    Column("key", Text, primary_key=True),
    Column("month", Date, primary_key=True),
    Column("status", Text, primary_key=True),
    Column("count", BigInteger, nullable=False),
)
ticket_count_deltas = Table(
    "ticket_count_deltas",
    metadata,
    Column("keys", ARRAY(Text), nullable=False),
    Column("month", Date, nullable=False),
    Column("status", Text, nullable=False),
    Column("delta", Integer, nullable=False),
)

Index(
    "tickets_auto_close_due", tickets.c.auto_close_at, postgresql_where=text("status = 'resolved'")
)

comments = Table(
    "ticket_comments",
    metadata,
    Column("id", Text, primary_key=True),
    Column("ticket_id", Text, nullable=False, index=True),
    Column("body", Text, nullable=False),
    Column("internal", Boolean, nullable=False),
    Column("author_id", Text, nullable=False),
    Column("author_kind", Text, nullable=False),
    text_column("author_organization_id"),
    Column("attachment_ids", ARRAY(Text), nullable=False, server_default="{}"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

attachments = Table(
    "ticket_attachments",
    metadata,
    Column("id", Text, primary_key=True),
    Column("ticket_id", Text, nullable=False, index=True),
    Column("filename", Text, nullable=False),
    Column("content_type", Text, nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("uploader_id", Text, nullable=False),
    Column("uploader_kind", Text, nullable=False),
    text_column("uploader_organization_id"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("deleted_at", DateTime(timezone=True)),
)

history = Table(
    "ticket_history",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("ticket_id", Text, nullable=False),
    Column("action", Text, nullable=False),
    text_column("actor_id"),
    text_column("actor_kind"),
    text_column("actor_organization_id"),
    Column("from_status", Text, nullable=False),
    Column("to_status", Text, nullable=False),
    Column("changes", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    text_column("note"),
    Column("internal", Boolean, nullable=False, server_default="false"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ticket_history_ticket", history.c.ticket_id, history.c.id)

day_counters = Table(
    "ticket_day_counters",
    metadata,
    Column("day", Date, primary_key=True),
    Column("last", Integer, nullable=False),
)

directory_people = Table(
    "directory_people",
    metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    text_column("organization_id"),
    text_column("department_id"),
    text_column("display_name"),
    Column("active", Boolean, nullable=False),
    text_column("number"),
)

directory_providers = Table(
    "directory_providers",
    metadata,
    Column("id", Text, primary_key=True),
    text_column("display_name"),
)

directory_departments = Table(
    "directory_departments",
    metadata,
    Column("id", Text, primary_key=True),
    Column("enterprise_id", Text, nullable=False, index=True),
    text_column("parent_id"),
)

directory_designations = Table(
    "directory_designations",
    metadata,
    Column("enterprise_id", Text, primary_key=True),
    Column("provider_id", Text, primary_key=True),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Text, primary_key=True),
    Column("title", Text, nullable=False),
    text_column("body"),
    text_column("category"),
    Column("tags", ARRAY(Text), nullable=False, server_default="{}"),
    Column("service_type_ids", ARRAY(Text), nullable=False, server_default="{}"),
    Column("state", Text, nullable=False),
    Column("terms", ARRAY(Text), nullable=False, server_default="{}"),
    Column("title_terms", ARRAY(Text), nullable=False, server_default="{}"),
    *audit_columns(),
)
Index("articles_terms", articles.c.terms, postgresql_using="gin")

article_feedback = Table(
    "article_feedback",
    metadata,
    Column("article_id", Text, primary_key=True),
    Column("user_id", Text, primary_key=True),
    Column("helpful", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

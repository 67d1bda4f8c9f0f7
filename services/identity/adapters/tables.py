"""Identity's tables (SQLAlchemy Core). The migrations create exactly these."""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from servicekit.idempotency import define_idempotency_table
from servicekit.messaging_tables import audit_columns, define_messaging_tables

metadata = MetaData()
outbox, inbox = define_messaging_tables(metadata)
idempotency_keys = define_idempotency_table(metadata)


organizations = Table(
    "organizations",
    metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),  # enterprise | provider
    Column("display_name", Text, nullable=False),
    Column("industry", Text, nullable=False, server_default=""),
    Column("contact_name", Text, nullable=False, server_default=""),
    Column("contact_phone", Text, nullable=False, server_default=""),
    Column("address", Text, nullable=False, server_default=""),
    Column("logo_url", Text, nullable=False, server_default=""),
    Column("tags", ARRAY(Text), nullable=False, server_default="{}"),
    Column("state", Text, nullable=False),
    *audit_columns(),
    Column("deleted_at", DateTime(timezone=True)),
)
Index(
    "organizations_live_name",
    organizations.c.kind,
    organizations.c.display_name,
    unique=True,
    postgresql_where=text("deleted_at IS NULL"),
)

designations = Table(
    "designations",
    metadata,
    Column("enterprise_id", Text, ForeignKey("organizations.id"), primary_key=True),
    Column("provider_id", Text, ForeignKey("organizations.id"), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

departments = Table(
    "departments",
    metadata,
    Column("id", Text, primary_key=True),
    Column("enterprise_id", Text, ForeignKey("organizations.id"), nullable=False, index=True),
    Column("display_name", Text, nullable=False),
    Column("parent_id", Text, ForeignKey("departments.id")),
    Column("sort_order", Integer, nullable=False, server_default="0"),
    *audit_columns(),
)
Index(
    "departments_sibling_name",
    departments.c.enterprise_id,
    func.coalesce(departments.c.parent_id, ""),
    departments.c.display_name,
    unique=True,
)

users = Table(
    "users",
    metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("username", Text),
    Column("display_name", Text, nullable=False),
    Column("phone", Text),
    Column("email", Text, nullable=False, server_default=""),
    Column("organization_id", Text, ForeignKey("organizations.id")),
    Column("department_id", Text, ForeignKey("departments.id")),
    Column("nickname", Text, nullable=False, server_default=""),
    Column("avatar_url", Text, nullable=False, server_default=""),
    Column("nickname_authorized", Boolean, nullable=False, server_default="false"),
    Column("avatar_authorized", Boolean, nullable=False, server_default="false"),
    Column("phone_authorized", Boolean, nullable=False, server_default="false"),
    Column("wechat_openid", Text),
    Column("skills", ARRAY(Text), nullable=False, server_default="{}"),
    Column("employee_number", Text, nullable=False, server_default=""),
    Column("locale", Text, nullable=False, server_default="zh-CN"),
    Column("time_zone", Text, nullable=False, server_default="Asia/Shanghai"),
    Column("password_hash", Text, nullable=False, server_default=""),
    Column("state", Text, nullable=False),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime(timezone=True)),
    Column("last_login_at", DateTime(timezone=True)),
    *audit_columns(),
    Column("deleted_at", DateTime(timezone=True)),
)
Index("users_organization", users.c.organization_id)
for _column in ("username", "phone", "wechat_openid"):
    Index(
        f"users_live_{_column}",
        users.c[_column],
        unique=True,
        postgresql_where=text(f"deleted_at IS NULL AND {_column} IS NOT NULL"),
    )

roles = Table(
    "roles",
    metadata,
    Column("id", Text, primary_key=True),
    Column("display_name", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("organization_id", Text, ForeignKey("organizations.id")),
    Column("permission_codes", ARRAY(Text), nullable=False, server_default="{}"),
    Column("data_scope", Text, nullable=False),
    Column("built_in", Boolean, nullable=False, server_default="false"),
    *audit_columns(),
)
Index(
    "roles_org_name",
    func.coalesce(roles.c.organization_id, ""),
    roles.c.display_name,
    unique=True,
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", Text, ForeignKey("users.id"), primary_key=True),
    Column("role_id", Text, ForeignKey("roles.id"), primary_key=True),
)

permissions = Table(
    "permissions",
    metadata,
    Column("code", Text, primary_key=True),
    Column("display_name", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("parent_code", Text, nullable=False, server_default=""),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    Column("sort_order", Integer, nullable=False, server_default="0"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", Text, primary_key=True),
    Column("family_id", Text, nullable=False, index=True),
    Column("user_id", Text, ForeignKey("users.id"), nullable=False),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Text, primary_key=True),
    Column("organization_id", Text, ForeignKey("organizations.id"), nullable=False, index=True),
    Column("organization_kind", Text, nullable=False),
    Column("display_name", Text, nullable=False),
    Column("permission_codes", ARRAY(Text), nullable=False),
    Column("prefix", Text, nullable=False),
    Column("secret_hash", Text, nullable=False, unique=True),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)

sign_in_attempts = Table(
    "sign_in_attempts",
    metadata,
    Column("key", Text, primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", DateTime(timezone=True), nullable=False),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", Text, primary_key=True),
    Column("private_key", LargeBinary, nullable=False),  # PKCS8, encrypted with the KEK
    Column("public_jwk", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("retired_at", DateTime(timezone=True)),
)

security_logs = Table(
    "security_logs",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("kind", Text, nullable=False),
    Column("user_id", Text, nullable=False, server_default=""),
    Column("login", Text, nullable=False, server_default=""),
    Column("actor_user_id", Text, nullable=False, server_default=""),
    Column("organization_id", Text, nullable=False, server_default=""),
    Column("ip_address", Text, nullable=False, server_default=""),
    Column("user_agent", Text, nullable=False, server_default=""),
    Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("security_logs_user_time", security_logs.c.user_id, security_logs.c.created_at)
Index("security_logs_org_time", security_logs.c.organization_id, security_logs.c.created_at)

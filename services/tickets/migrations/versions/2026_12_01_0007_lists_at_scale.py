"""lists, search and statistics at a million tickets: an index per list order and audience
scope, a trigram index for text search, and ticket counts kept by a trigger

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 03:00:00
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OLD_INDEXES = ("enterprise_id", "provider_id", "engineer_id", "requester_id", "status")
SCOPES = {
    "all": (None, None),
    "enterprise": ("enterprise_id", None),
    "provider": ("provider_id", None),
    "engineer": ("engineer_id", None),
    "requester": ("requester_id", None),
    "department": ("requester_department_id", None),
    "status": ("status", None),
    "creator": ("created_by", "created_by <> requester_id"),
    "pool": ("provider_id", "status = 'pending_assignment' AND engineer_id = ''"),
}
ORDERS = {
    "created": "created_at, id",
    "updated": "updated_at, id",
    "urgency": "(- priority), created_at, id",
}

# Columns that follow from another (an engineer has one provider, a person one enterprise):
# without these the planner multiplies their selectivities and picks bitmap plans that read a
# provider's or an enterprise's every ticket to count a page's worth.
DEPENDENT = {
    "tickets_engineer_provider": ("engineer_id", "provider_id"),
    "tickets_requester_enterprise": ("requester_id", "enterprise_id"),
    "tickets_creator_enterprise": ("created_by", "enterprise_id"),
    "tickets_department_enterprise": ("requester_department_id", "enterprise_id"),
}

# Search terms of one and two characters have no trigram: they are looked up in the single
# characters and neighbouring pairs of the text (lower-cased, no whitespace).
GRAMS_FUNCTION = r"""
CREATE FUNCTION ticket_grams(title text, description text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $$
DECLARE
    t text;
    n int;
    grams text[] := '{}';
BEGIN
    -- PL/pgSQL, not SQL: an SQL function with a query is planned on every call (every insert)
    FOREACH t IN ARRAY ARRAY[title, description] LOOP
        t := regexp_replace(lower(t), '\s+', ' ', 'g');
        n := char_length(t);
        FOR i IN 1 .. n LOOP
            IF substr(t, i, 1) <> ' ' THEN
                grams := grams || substr(t, i, 1);
                IF i < n AND substr(t, i + 1, 1) <> ' ' THEN
                    grams := grams || substr(t, i, 2);
                END IF;
            END IF;
        END LOOP;
    END LOOP;
    RETURN grams;
END
$$
"""

KEYS_FUNCTION = """
CREATE FUNCTION ticket_count_keys(
    enterprise_id text, department_id text, provider_id text, engineer_id text,
    requester_id text, created_by text
) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_remove(ARRAY[
        'all',
        'e:' || enterprise_id,
        CASE WHEN department_id <> '' THEN 'd:' || department_id END,
        CASE WHEN provider_id <> '' THEN 'p:' || provider_id END,
        CASE WHEN engineer_id <> '' THEN 'g:' || engineer_id END,
        'u:' || requester_id,
        CASE WHEN created_by <> '' AND created_by <> requester_id THEN 'u:' || created_by END
    ], NULL)
$$
"""


_KEYS_OF = (
    "ticket_count_keys({r}.enterprise_id, {r}.requester_department_id, {r}.provider_id,"
    " {r}.engineer_id, {r}.requester_id, {r}.created_by)"
)
_MONTH_OF = "(date_trunc('month', {r}.created_at AT TIME ZONE 'UTC'))::date"
COUNTED_COLUMNS = (
    "status",
    "enterprise_id",
    "requester_department_id",
    "provider_id",
    "engineer_id",
    "requester_id",
    "created_by",
    "created_at",
)
# One delta row per ticket change (its keys as an array): a row trigger whose plan is cached,
# appending to a table without indexes, is the cheapest thing a create can do for the counts.
COUNT_FUNCTION = f"""
CREATE FUNCTION tickets_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO ticket_count_deltas (keys, month, status, delta)
        VALUES ({_KEYS_OF.format(r="OLD")}, {_MONTH_OF.format(r="OLD")}, OLD.status, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO ticket_count_deltas (keys, month, status, delta)
        VALUES ({_KEYS_OF.format(r="NEW")}, {_MONTH_OF.format(r="NEW")}, NEW.status, 1);
    END IF;
    RETURN NULL;
END
$$
"""
CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COUNTED_COLUMNS)
TRIGGERS = {
    "tickets_count_insert": "AFTER INSERT ON tickets FOR EACH ROW",
    "tickets_count_update": f"AFTER UPDATE ON tickets FOR EACH ROW WHEN ({CHANGED})",
    "tickets_count_delete": "AFTER DELETE ON tickets FOR EACH ROW",
}


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in OLD_INDEXES:
        op.drop_index(f"tickets_{column}", table_name="tickets")
    for scope, (lead, where) in SCOPES.items():
        for order, keys in ORDERS.items():
            columns = f"{lead}, {keys}" if lead else keys
            partial = f" WHERE {where}" if where else ""
            op.execute(f"CREATE INDEX tickets_{scope}_by_{order} ON tickets ({columns}){partial}")
    for name, (first, second) in DEPENDENT.items():
        op.execute(f"CREATE STATISTICS {name} (dependencies) ON {first}, {second} FROM tickets")
    op.execute("ANALYZE tickets")
    op.execute(GRAMS_FUNCTION)
    op.execute(
        "CREATE INDEX tickets_text_grams ON tickets USING gin (ticket_grams(title, description))"
    )
    for column in ("title", "description"):
        op.execute(
            f"CREATE INDEX tickets_{column}_trgm ON tickets USING gin ({column} gin_trgm_ops)"
        )
    op.execute(
        """
        CREATE TABLE ticket_counts (
            key text NOT NULL, month date NOT NULL, status text NOT NULL,
            count bigint NOT NULL, PRIMARY KEY (key, month, status)
        )
        """
    )
    op.execute(
        "CREATE TABLE ticket_count_deltas ("
        " keys text[] NOT NULL, month date NOT NULL, status text NOT NULL, delta integer NOT NULL)"
    )
    op.execute(KEYS_FUNCTION)
    op.execute(COUNT_FUNCTION)
    for name, when in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION tickets_count_change()")
    op.execute(
        "INSERT INTO ticket_counts (key, month, status, count) "
        f"SELECT key, {_MONTH_OF.format(r='t')}, t.status, count(*) "
        f"FROM tickets t, unnest({_KEYS_OF.format(r='t')}) AS key GROUP BY 1, 2, 3"
    )


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON tickets")
    op.execute("DROP FUNCTION tickets_count_change()")
    op.execute("DROP FUNCTION ticket_count_keys(text, text, text, text, text, text)")
    op.drop_table("ticket_count_deltas")
    op.drop_table("ticket_counts")
    for column in ("title", "description"):
        op.drop_index(f"tickets_{column}_trgm", table_name="tickets")
    op.drop_index("tickets_text_grams", table_name="tickets")
    op.execute("DROP FUNCTION ticket_grams(text, text)")
    for name in DEPENDENT:
        op.execute(f"DROP STATISTICS {name}")
    for scope in SCOPES:
        for order in ORDERS:
            op.drop_index(f"tickets_{scope}_by_{order}", table_name="tickets")
    for column in OLD_INDEXES:
        op.create_index(f"tickets_{column}", "tickets", [column, "created_at"], unique=False)

"""The central record: centers, their events, alerts; the shipping function.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64

# The chain rule of docs/store.md, in SQL: hash = sha256(prev_hash || payload) over UTF-8.
# Returns the first problem among the new rows (seq > p_seq, below p_upto): each must follow
# the one before it, the first new one the head (p_seq, p_hash). The head's own event, if
# the batch carries it (the shipper sends it first), is the first new one's predecessor: a
# first new event that does not link to it is a broken link in the hall's log; one that
# does not link to a head the batch does not carry is a fork. For a gap, the missing seq.
CHECK = """
CREATE FUNCTION novbe_check(p_events jsonb, p_seq bigint, p_hash text, p_upto bigint)
RETURNS TABLE (seq bigint, kind text)
LANGUAGE sql STABLE
AS $fn$
    SELECT CASE WHEN o.kind = 'gap' THEN o.before + 1 ELSE o.seq END, o.kind FROM (
        SELECT r.seq,
               coalesce(lag(r.seq) OVER w, p_seq) AS before,
               CASE
                   WHEN r.seq <> coalesce(lag(r.seq) OVER w, p_seq) + 1 THEN 'gap'
                   WHEN lag(r.seq) OVER w IS NULL AND r.prev_hash IS DISTINCT FROM p_hash THEN 'fork'
                   WHEN lag(r.seq) OVER w IS NOT NULL AND r.prev_hash IS DISTINCT FROM lag(r.hash) OVER w
                       THEN 'link'
                   WHEN r.hash IS DISTINCT FROM
                        encode(sha256(convert_to(r.prev_hash || r.payload, 'UTF8')), 'hex') THEN 'hash'
                   WHEN r.type IS DISTINCT FROM (r.payload::jsonb ->> 'type') THEN 'type'
               END AS kind
          FROM jsonb_to_recordset(p_events)
               AS r(seq bigint, type text, payload text, prev_hash text, hash text)
         WHERE r.seq >= p_seq AND (p_upto IS NULL OR r.seq < p_upto)
        WINDOW w AS (ORDER BY r.seq)
    ) o
    WHERE o.seq > p_seq AND o.kind IS NOT NULL
    ORDER BY o.seq
    LIMIT 1
$fn$
"""

# The first new row whose payload is not JSON at all (only looked for when the check above
# failed on one: one subtransaction per row is too dear for every batch).
NOT_JSON = """
CREATE FUNCTION novbe_first_not_json(p_events jsonb, p_seq bigint)
RETURNS bigint
LANGUAGE plpgsql STABLE
AS $fn$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT x.seq, x.payload
               FROM jsonb_to_recordset(p_events) AS x(seq bigint, payload text)
              WHERE x.seq > p_seq ORDER BY x.seq LOOP
        BEGIN
            PERFORM r.payload::jsonb;
        EXCEPTION WHEN invalid_text_representation THEN
            RETURN r.seq;
        END;
    END LOOP;
    RETURN NULL;
END
$fn$
"""

# One batch of one center, in the caller's transaction. The center's row is locked first, so
# batches of one center are applied one at a time; resent events are compared, new events
# checked, the good ones before the first problem inserted, the problem recorded as an
# alert (committed with them: the function returns rather than raising). An empty batch
# returns the head, where the shipper resumes.
SHIP = """
CREATE FUNCTION novbe_ship(p_center text, p_events jsonb)
RETURNS TABLE (head_seq bigint, head_hash text, accepted integer, problem text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = {schema}, pg_temp
AS $fn$
DECLARE
    v_seq bigint;
    v_hash text;
    v_role text;
    v_first bigint;
    v_bad bigint;
    v_kind text;
    v_detail text;
    v_count integer := 0;
BEGIN
    SELECT c.last_seq, c.last_hash, c.shipper_role INTO v_seq, v_hash, v_role
      FROM centers c WHERE c.code = p_center FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT NULL::bigint, NULL::text, 0,
            format('center %s is not registered in the central record', p_center);
        RETURN;
    END IF;
    IF v_role IS NOT NULL AND v_role <> session_user THEN
        RETURN QUERY SELECT NULL::bigint, NULL::text, 0,
            format('the database role %s may not ship for center %s', session_user, p_center);
        RETURN;
    END IF;

    -- An event sent again must be the very event already here.
    SELECT r.seq INTO v_bad
      FROM jsonb_to_recordset(p_events) AS r(seq bigint, hash text)
      JOIN events e ON e.center = p_center AND e.seq = r.seq
     WHERE r.seq <= v_seq AND e.hash IS DISTINCT FROM r.hash
     ORDER BY r.seq LIMIT 1;
    IF v_bad IS NOT NULL THEN
        v_kind := 'fork';
    ELSE
        SELECT min(r.seq) INTO v_first
          FROM jsonb_to_recordset(p_events) AS r(seq bigint) WHERE r.seq >= v_seq;
        IF v_first > v_seq + 1 THEN
            -- The batch starts past our head, without the head's own event: the shipper
            -- was told of a head this database no longer has (a standby promoted before
            -- the last commits reached it). It resends from here.
            RETURN QUERY SELECT v_seq, v_hash, 0, NULL::text;
            RETURN;
        END IF;
        BEGIN
            SELECT c.seq, c.kind INTO v_bad, v_kind FROM novbe_check(p_events, v_seq, v_hash, NULL) c;
        EXCEPTION WHEN invalid_text_representation THEN
            v_bad := novbe_first_not_json(p_events, v_seq);
            v_kind := 'type';
            SELECT c.seq, c.kind INTO v_bad, v_kind
              FROM (SELECT v_bad AS seq, v_kind AS kind
                    UNION ALL SELECT * FROM novbe_check(p_events, v_seq, v_hash, v_bad)) c
             ORDER BY c.seq LIMIT 1;
        END;
    END IF;

    INSERT INTO events (center, seq, type, payload, prev_hash, hash, recorded_at, shipped_at)
    SELECT p_center, r.seq, r.type, r.payload, r.prev_hash, r.hash, r.recorded_at, clock_timestamp()
      FROM jsonb_to_recordset(p_events)
           AS r(seq bigint, type text, payload text, prev_hash text, hash text, recorded_at timestamptz)
     WHERE r.seq > v_seq AND (v_bad IS NULL OR r.seq < v_bad)
    ON CONFLICT (center, seq) DO NOTHING;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF v_count > 0 THEN
        UPDATE centers c
           SET last_seq = e.seq, last_hash = e.hash,
               last_recorded_at = e.recorded_at, last_shipped_at = e.shipped_at
          FROM (SELECT x.seq, x.hash, x.recorded_at, x.shipped_at FROM events x
                 WHERE x.center = p_center ORDER BY x.seq DESC LIMIT 1) e
         WHERE c.code = p_center
        RETURNING c.last_seq, c.last_hash INTO v_seq, v_hash;
    END IF;

    IF v_bad IS NOT NULL THEN
        v_detail := CASE v_kind
            WHEN 'fork' THEN format('event %s is not the event %s shipped before, or does not follow it:'
                                    ' its log was rewritten, restored from an older copy, or another'
                                    ' server uses the code %s', v_bad, p_center, p_center)
            WHEN 'gap' THEN format('event %s is missing from the log of %s', v_bad, p_center)
            WHEN 'link' THEN format('event %s of %s: previous-hash link broken', v_bad, p_center)
            WHEN 'hash' THEN format('event %s of %s: hash does not match its content', v_bad, p_center)
            ELSE format('event %s of %s: its type column does not match its content', v_bad, p_center)
        END;
        INSERT INTO alerts AS a (center, kind, seq, detail, first_at, last_at, times)
        VALUES (p_center, v_kind, v_bad, v_detail, clock_timestamp(), clock_timestamp(), 1)
        ON CONFLICT (center, kind, seq) DO UPDATE SET last_at = excluded.last_at, times = a.times + 1;
        RAISE WARNING 'novbe central: refused events of %: %', p_center, v_detail;
    END IF;
    RETURN QUERY SELECT v_seq, v_hash, v_count, v_detail;
END
$fn$
"""

# Each alert, new or repeated, is announced to whoever listens on novbe_alerts (novbe central
# alerts --follow) when the batch that raised it commits.
NOTIFY = """
CREATE FUNCTION novbe_alert_notify()
RETURNS trigger
LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM pg_notify('novbe_alerts', CAST(row_to_json(NEW) AS text));
    RETURN NULL;
END
$fn$
"""

# The center's configuration, its secrets withheld (novbe ship sends it): names, time zone,
# wait standard, for reports and the national view.
PUBLISH = """
CREATE FUNCTION novbe_publish(p_center text, p_config text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = {schema}, pg_temp
AS $fn$
DECLARE
    v_role text;
    v_sha text := encode(sha256(convert_to(p_config, 'UTF8')), 'hex');
BEGIN
    SELECT c.shipper_role INTO v_role FROM centers c WHERE c.code = p_center FOR UPDATE;
    IF NOT FOUND OR (v_role IS NOT NULL AND v_role <> session_user) THEN
        RETURN false;
    END IF;
    PERFORM p_config::jsonb;
    UPDATE centers SET config = p_config, config_sha256 = v_sha, config_at = clock_timestamp()
     WHERE code = p_center AND config_sha256 IS DISTINCT FROM v_sha;
    RETURN true;
END
$fn$
"""

APPEND_ONLY = """
CREATE FUNCTION novbe_append_only() RETURNS trigger
LANGUAGE plpgsql
AS $fn$
BEGIN
    RAISE EXCEPTION 'the central record is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END
$fn$
"""


def upgrade() -> None:
    schema = op.get_bind().execute(sa.text("SELECT quote_ident(current_schema())")).scalar_one()
    op.create_table(
        "centers",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shipper_role", sa.String(length=63), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_hash", sa.String(length=64), server_default=sa.text(f"'{GENESIS}'"), nullable=False),
        sa.Column("last_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("config", sa.Text(), nullable=True),
        sa.Column("config_sha256", sa.String(length=64), nullable=True),
        sa.Column("config_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("code", name="pk_centers"),
    )
    # No foreign key to centers: rows only come in through novbe_ship, which holds the
    # center's row locked; a key would check each of millions of rows again.
    op.create_table(
        "events",
        sa.Column("center", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("center", "seq", name="pk_events"),
    )
    op.create_index(
        "ix_events_day_starts", "events", ["center", "seq"], postgresql_where=sa.text("type = 'DayOpened'")
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("center", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("times", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("center", "kind", "seq", name="uq_alerts"),
    )
    # Derived data, not part of the record: each complete day's facts for novbe report, made
    # once (central.reports) and used while the day's events are what they were.
    op.create_table(
        "day_digests",
        sa.Column("center", sa.String(length=40), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("config_key", sa.String(length=64), nullable=False),
        sa.Column("format", sa.Integer(), nullable=False),
        sa.Column("facts", sa.LargeBinary(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("center", "first_seq", name="pk_day_digests"),
    )
    for sql in (CHECK, NOT_JSON, SHIP.replace("{schema}", schema), PUBLISH.replace("{schema}", schema)):
        op.execute(sa.text(sql))
    op.execute(sa.text(APPEND_ONLY))
    op.execute(sa.text(NOTIFY))
    op.execute(
        sa.text(
            "CREATE TRIGGER alerts_notify AFTER INSERT OR UPDATE ON alerts"
            " FOR EACH ROW EXECUTE FUNCTION novbe_alert_notify()"
        )
    )
    op.execute(
        sa.text(
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events"
            " FOR EACH STATEMENT EXECUTE FUNCTION novbe_append_only()"
        )
    )
    op.execute(
        sa.text(
            "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events"
            " FOR EACH STATEMENT EXECUTE FUNCTION novbe_append_only()"
        )
    )
    # Shipping is granted role by role (docs/deployment.md), not to everyone.
    for signature in ("novbe_ship(text, jsonb)", "novbe_publish(text, text)"):
        op.execute(sa.text(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC"))


def downgrade() -> None:
    op.execute(sa.text("DROP TRIGGER alerts_notify ON alerts"))
    op.execute(sa.text("DROP TRIGGER events_no_truncate ON events"))
    op.execute(sa.text("DROP TRIGGER events_append_only ON events"))
    for signature in (
        "novbe_append_only()",
        "novbe_alert_notify()",
        "novbe_publish(text, text)",
        "novbe_ship(text, jsonb)",
        "novbe_first_not_json(jsonb, bigint)",
        "novbe_check(jsonb, bigint, text, bigint)",
    ):
        op.execute(sa.text(f"DROP FUNCTION {signature}"))
    op.drop_table("day_digests")
    op.drop_table("alerts")
    op.drop_index("ix_events_day_starts", table_name="events")
    op.drop_table("events")
    op.drop_table("centers")

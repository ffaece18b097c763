"""Stored replies in a hash chain of their own; the log's identity.

Replies already stored are chained in the order they were recorded, so that the
chain covers them from now on (a reply changed before this migration can't be told,
as it could not before).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
PAGE = 5000


def _reply_hash(prev: str, client: str, request_id: str, first: Any, last: Any, reply: str) -> str:
    # The definition of docs/store.md, "The replies' chain", frozen here as migrations must be.
    payload = json.dumps(
        {"client": client, "first_seq": first, "last_seq": last, "reply": reply, "request_id": request_id},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256((prev + payload).encode("utf-8")).hexdigest()


def upgrade() -> None:
    op.create_table(
        "log_identity",
        sa.Column("log_id", sa.String(length=32), nullable=False),
        sa.Column("center", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("probed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("log_id", name="pk_log_identity"),
    )
    bind = op.get_bind()
    now = datetime.now(UTC)
    bind.execute(
        sa.text("INSERT INTO log_identity (log_id, center, created_at) VALUES (:id, NULL, :at)"),
        {"id": uuid.uuid4().hex, "at": now.replace(tzinfo=None) if bind.dialect.name == "sqlite" else now},
    )
    with op.batch_alter_table("replies") as batch:
        batch.add_column(sa.Column("pos", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing_replies(bind)
    with op.batch_alter_table("replies") as batch:
        batch.alter_column("pos", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint("uq_replies_pos", ["pos"])


def _chain_existing_replies(bind: sa.Connection) -> None:
    """Give every stored reply its place and hash, page by page (a year of replies is millions)."""
    select = (
        "SELECT recorded_at, client, request_id, first_seq, last_seq, reply FROM replies{where}"
        f" ORDER BY recorded_at, client, request_id LIMIT {PAGE}"
    )
    after = " WHERE (recorded_at, client, request_id) > (:at, :client, :rid)"
    update = sa.text(
        "UPDATE replies SET pos = :pos, prev_hash = :prev, hash = :hash"
        " WHERE client = :client AND request_id = :rid"
    )
    prev, pos, last = GENESIS, 0, None
    while True:
        if last is None:
            rows = bind.execute(sa.text(select.format(where=""))).all()
        else:
            rows = bind.execute(sa.text(select.format(where=after)), last).all()
        if not rows:
            return
        params = []
        for _recorded_at, client, request_id, first, last_seq, reply in rows:
            pos += 1
            digest = _reply_hash(prev, client, request_id, first, last_seq, reply)
            params.append({"pos": pos, "prev": prev, "hash": digest, "client": client, "rid": request_id})
            prev = digest
        bind.execute(update, params)
        at, client, request_id = rows[-1][:3]
        last = {"at": at, "client": client, "rid": request_id}


def downgrade() -> None:
    with op.batch_alter_table("replies") as batch:
        batch.drop_constraint("uq_replies_pos", type_="unique")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("pos")
    op.drop_table("log_identity")

"""Hall settings (the displays' scrolling message), apart from device health.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_settings"),
    )
    # Before this table the message was kept among the device statuses, as "hall".
    op.execute(
        "INSERT INTO settings (key, value, at) SELECT 'hall_message', status, at FROM device_status"
        " WHERE device = 'hall'"
    )
    op.execute("DELETE FROM device_status WHERE device = 'hall'")


def downgrade() -> None:
    op.drop_table("settings")

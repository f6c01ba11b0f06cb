"""audit_check: how far the housekeeping has verified the audit chain, and what it found

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_check",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ok", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.Float(), nullable=False),
        sa.Column("verified_seq", sa.BigInteger(), nullable=False),
        sa.Column("verified_hash", sa.String(64), nullable=False),
        sa.Column("sweep_seq", sa.BigInteger(), nullable=False),
        sa.Column("sweep_hash", sa.String(64), nullable=False),
        sa.Column("bad_seq", sa.BigInteger(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_check")),
    )
    # nothing verified yet: the first rounds walk an existing chain from its start
    op.bulk_insert(
        sa.table(
            "audit_check",
            sa.column("id", sa.Integer()),
            sa.column("ok", sa.Integer()),
            sa.column("checked_at", sa.Float()),
            sa.column("verified_seq", sa.BigInteger()),
            sa.column("verified_hash", sa.String()),
            sa.column("sweep_seq", sa.BigInteger()),
            sa.column("sweep_hash", sa.String()),
            sa.column("problem", sa.Text()),
        ),
        [{"id": 1, "ok": 1, "checked_at": 0.0, "verified_seq": 0, "verified_hash": "0" * 64,
          "sweep_seq": 0, "sweep_hash": "0" * 64, "problem": ""}],
    )


def downgrade() -> None:
    op.drop_table("audit_check")

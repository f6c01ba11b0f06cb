"""quarantine: the sanitized mail as delivered, beside the original

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch: SQLite adds a foreign key only by rebuilding the table (Alembic copies it)
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("sanitized_sha256", sa.String(64), nullable=True))
        batch.create_foreign_key(
            op.f("fk_messages_sanitized_sha256_blobs"), "blobs", ["sanitized_sha256"], ["sha256"]
        )


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint(op.f("fk_messages_sanitized_sha256_blobs"), type_="foreignkey")
        batch.drop_column("sanitized_sha256")

"""safe copies and PPAP: items opened from a protected item (parent), mails holding one (locked)

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PROTECTED = ('%"encrypted-archive"%', '%"password-protected"%')


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("parent", sa.Integer(), nullable=True))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("locked", sa.Integer(), nullable=False, server_default="0"))
        batch.create_index(op.f("ix_messages_locked_sender_received_at"),
                           ["locked", "sender", "received_at"])
    # mails stored before this version: locked when an item carries a protection flag
    items = sa.table("items", sa.column("message"), sa.column("flags"))
    messages = sa.table("messages", sa.column("id"), sa.column("locked"))
    flagged = sa.select(items.c.message).where(sa.or_(*(items.c.flags.like(p) for p in _PROTECTED)))
    op.execute(messages.update().where(messages.c.id.in_(flagged)).values(locked=1))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_index(op.f("ix_messages_locked_sender_received_at"))
        batch.drop_column("locked")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("parent")

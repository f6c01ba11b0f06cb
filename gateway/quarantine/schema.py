"""The tables of the store, in SQLAlchemy Core: one description for SQLite and PostgreSQL.

Payloads (originals and removed parts) are rows of `blobs`, keyed by their SHA-256: the same
attachment sent to 300 staff is stored once, a quarantine item is one transaction (one fsync),
and a backup of the database is a backup of everything. The migrations under
gateway/quarantine/migrations create and evolve exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("stored_at", Float, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String(64), primary_key=True),  # the queue ID = the 隔離ID in the notice
    Column("received_at", Float, nullable=False),
    Column("stored_at", Float, nullable=False),
    Column("sender", Text, nullable=False),
    Column("recipients", Text, nullable=False),  # JSON list
    Column("subject", Text, nullable=False),
    Column("message_id", Text, nullable=False),
    Column("verdict", String(32), nullable=False),
    Column("reason", String(64), nullable=False),  # why quarantined whole, else ""
    Column("size", BigInteger, nullable=False),
    Column("report", Text, nullable=False),  # the sanitizer's JSON report
    Column("state", String(16), nullable=False),
    Column("original_sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("expires_at", Float, nullable=True),
    Index(None, "received_at"),
    Index(None, "state", "received_at"),
    Index(None, "expires_at"),
)

items = Table(
    "items",
    metadata,
    Column(
        "message", String(64), ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("idx", Integer, primary_key=True),
    Column("filename", Text, nullable=False),
    Column("declared_type", Text, nullable=False),
    Column("detected_type", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("flags", Text, nullable=False),  # JSON list
    Column("reason", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    Index(None, "sha256"),
    Index(None, "detected_type"),
    Index(None, "reason"),
)

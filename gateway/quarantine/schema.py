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
    # the sanitized mail as it left (its request link still a mark); NULL for mails kept
    # before revision 0003
    Column("sanitized_sha256", String(64), ForeignKey("blobs.sha256"), nullable=True),
    Column("expires_at", Float, nullable=True),
    # 1 when a removed part was password-protected (PPAP): the mails a later password notice
    # from the same sender may open, found by one index seek (migration 0003)
    Column("locked", Integer, nullable=False, server_default="0"),
    Index(None, "received_at"),
    Index(None, "state", "received_at"),
    Index(None, "expires_at"),
    Index(None, "locked", "sender", "received_at"),
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
    # the item this one was opened from (a file inside a password-protected ZIP); NULL for
    # what the sanitizer removed (migration 0003)
    Column("parent", Integer, nullable=True),
    Index(None, "sha256"),
    Index(None, "detected_type"),
    Index(None, "reason"),
)

# -- the release plane (migration 0002) ---------------------------------------------------------

releases = Table(
    "releases",
    metadata,
    Column("id", String(32), primary_key=True),
    Column(
        "quarantine_id", String(64), ForeignKey("messages.id", ondelete="CASCADE"), nullable=False
    ),
    Column("what", String(16), nullable=False),  # original | items
    Column("items", Text, nullable=False),  # JSON list of item indexes ([] for the original)
    Column("recipients", Text, nullable=False),  # JSON list
    Column("state", String(24), nullable=False),
    Column("policy", String(16), nullable=False),  # self | approval | admin, fixed at request
    Column("requested_by", Text, nullable=False),
    Column("requested_at", Float, nullable=False),
    Column("comment", Text, nullable=False),
    Column("decided_by", Text, nullable=True),
    Column("decided_at", Float, nullable=True),
    Column("decision_comment", Text, nullable=True),
    Column("expires_at", Float, nullable=True),  # a request not decided by then expires
    Column("queue_id", String(32), nullable=True),  # the mail in the spool, once queued
    Column("node", Text, nullable=False),  # the node whose spool holds (or will hold) the mail
    Column("results", Text, nullable=False),  # JSON {rcpt: {status, reply}} of the last attempt
    Column("updated_at", Float, nullable=False),
    # Set while the release is not closed, NULL once rejected, expired or cancelled: the unique
    # index makes the same request twice one release (NULLs never collide, on both backends).
    Column("dedupe", String(64), nullable=True, unique=True),
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Index(None, "state", "updated_at"),
    Index(None, "quarantine_id"),
)

release_events = Table(
    "release_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "release_id", String(32), ForeignKey("releases.id", ondelete="CASCADE"), nullable=False
    ),
    Column("at", Float, nullable=False),
    Column("actor", Text, nullable=False),
    Column("from_state", String(24), nullable=False),
    Column("to_state", String(24), nullable=False),
    Column("comment", Text, nullable=False),
    Index(None, "release_id"),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", String(16), primary_key=True),  # public half of the token, shown in lists
    Column("name", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("revoked_at", Float, nullable=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),  # 1, 2, 3… no gaps
    Column("at", Float, nullable=False),
    Column("actor", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("result", String(32), nullable=False),  # ok, denied, or a release state
    Column("detail", Text, nullable=False),  # canonical JSON object
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index(None, "at"),
    Index(None, "action"),
)

# One row (id = 1): the end of the chain. Every append locks and moves it in the appending
# transaction, so concurrent writers (processes, nodes) line up into one chain, and deleting the
# last entries of audit_log is seen.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

# -- the audit chain's watch (migration 0004) ---------------------------------------------------

# One row (id = 1): how far the housekeeping has verified the chain, and whether it found it
# broken. The check goes on where the last one stopped, so each round reads only new entries
# plus a bounded stretch of the rolling re-check from the start; a broken chain stays reported
# (across restarts) until a full verification finds it whole again.
audit_check = Table(
    "audit_check",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("ok", Integer, nullable=False),  # 1 whole as far as checked, 0 broken
    Column("checked_at", Float, nullable=False),  # 0: never checked
    Column("verified_seq", BigInteger, nullable=False),  # entries 1 … this are whole
    Column("verified_hash", String(64), nullable=False),
    Column("sweep_seq", BigInteger, nullable=False),  # the re-check from the start is here
    Column("sweep_hash", String(64), nullable=False),
    Column("bad_seq", BigInteger, nullable=True),
    Column("problem", Text, nullable=False),
)

"""The database under the store: one engine per process, transactions, and whose fault an error is.

SQLite (the embedded default) and PostgreSQL (several nodes) behind one SQLAlchemy Core engine.
For SQLite: WAL, synchronous=FULL (a committed item survives a power cut: one fsync of the WAL
per transaction), foreign keys on, and write transactions opened with BEGIN IMMEDIATE, so two
writers queue on the busy timeout instead of failing halfway when a read lock cannot be
upgraded.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url

from gateway.errors import GatewayError

BUSY_TIMEOUT_MS = 30_000


class StoreUnavailable(GatewayError):
    """The database cannot be reached or written (disk full, I/O error, locked, connection
    lost): a fault of ours, never counted against the mail being stored."""


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # BEGIN is ours (below), not pysqlite's
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                       f"busy_timeout={BUSY_TIMEOUT_MS}"):  # fmt: skip
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def normalize_url(url: str) -> str:
    """postgresql:// (and postgres://) mean psycopg 3, the driver mutaika ships with."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, pool_size=4, max_overflow=4)


class Database:
    """One engine per process, made on first use: an engine built before a fork would share its
    connections with the child."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self._engine: Engine | None = None
        self._pid = 0
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None or self._pid != os.getpid():
                if self._engine is not None:
                    self._engine.dispose(close=False)  # the parent's connections stay its own
                self._engine = make_engine(self.url)
                self._pid = os.getpid()
            return self._engine

    @property
    def dialect(self) -> str:
        return make_url(self.url).get_backend_name()

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed on leaving, rolled back on an exception."""
        with translate_errors(), self.engine.connect() as conn:
            conn = conn.execution_options(write=True)
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction: one consistent snapshot for every statement inside."""
        with translate_errors(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextlib.contextmanager
    def exclusive(self, name: str, *, wait: bool = False) -> Iterator[bool]:
        """Hold the gateway-wide lock `name` for the block if nobody else holds it (or, with
        `wait`, once they let go): True when held. PostgreSQL: a session advisory lock, released
        by the server should this process die. SQLite: one gateway per file, so always True."""
        if self.dialect != "postgresql":
            yield True
            return
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        take = "pg_advisory_lock(:k), true" if wait else "pg_try_advisory_lock(:k)"
        with translate_errors(), self.engine.connect() as conn:
            row = conn.execute(text(f"SELECT {take}"), {"k": key}).one()
            held = bool(row[-1])
            conn.commit()
            try:
                yield held
            finally:
                if held:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()

    def free_bytes(self) -> int | None:
        """Free space on the disk of a file database; None when the database is a server."""
        database = make_url(self.url).database
        if self.dialect != "sqlite" or not database or database == ":memory:":
            return None
        try:
            st = os.statvfs(Path(database).parent)
        except OSError:
            return None
        return st.f_bavail * st.f_frsize

    def close(self) -> None:
        with self._lock:
            if self._engine is not None and self._pid == os.getpid():
                self._engine.dispose()
            self._engine = None


@contextlib.contextmanager
def translate_errors() -> Iterator[None]:
    """Operational trouble becomes StoreUnavailable; anything else is left as it is (a bug, or
    bad data, which the caller attributes to the mail)."""
    try:
        yield
    except exc.OperationalError as error:
        raise StoreUnavailable(f"database unavailable: {_short(error)}") from error
    except exc.DBAPIError as error:
        if error.connection_invalidated or isinstance(error, exc.InterfaceError):
            raise StoreUnavailable(f"database connection lost: {_short(error)}") from error
        raise
    except OSError as error:
        raise StoreUnavailable(f"database unavailable: {error}") from error


def _short(error: exc.DBAPIError) -> str:
    return str(error.orig).splitlines()[0][:200] if error.orig else str(error)[:200]

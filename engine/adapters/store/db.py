"""Engines and sessions for SQLite (the default, nothing to install) and PostgreSQL."""

from __future__ import annotations

import select
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Engine, create_engine, event, func, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """`postgresql://` and `postgres://` use psycopg 3 (the driver we install)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and not db.startswith("file:"):
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _configure_sqlite(engine)
        return engine
    # No pre-ping round trip per checkout: `_alive_or_disconnect` looks at the socket instead.
    kwargs.setdefault("pool_pre_ping", False)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    if not kwargs["pool_pre_ping"]:
        event.listen(engine, "checkout", _alive_or_disconnect)
    return engine


def _alive_or_disconnect(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Pool checkout (PostgreSQL): DisconnectionError for a connection the server has closed, so
    the pool connects afresh (SQLAlchemy's pessimistic disconnect handling, instead of a
    `pool_pre_ping` query and its round trip per checkout)."""
    if idle_connection_closed(dbapi_connection):
        raise DisconnectionError("the server has closed this connection")


def idle_connection_closed(conn: Any) -> bool:
    """Whether a psycopg connection that sat idle has been closed by the server (restart,
    terminated backend, idle timeout). An idle connection receives nothing unless the server is
    closing it (its goodbye and EOF wait on the socket), so one `poll` with no timeout tells,
    without a round trip. A rare harmless message only costs a reconnect."""
    if conn.closed or conn.broken:
        return True
    poller = select.poll()
    poller.register(conn.pgconn.socket, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so we can BEGIN IMMEDIATE (below).
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Every unit of work may write (reads of personal data write the access log), so take
        # the write lock at BEGIN: a deferred transaction that later wants to write fails with
        # "database is locked" instead of waiting, when another writer committed meanwhile.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


# --- event order for the feed (PostgreSQL) -------------------------------------------------

EVENT_APPEND_LOCK = 0x1A5A75
"""Advisory lock key: writers hold it shared while they append events; the feed takes it exclusively
for an instant to find the highest event id below which every transaction has finished."""


def hold_event_append_lock(session: Session) -> None:
    """Call before inserting events. On PostgreSQL `events.id` comes from a sequence, and a transaction
    may commit after another that took a higher id; the feed must never pass such a gap."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": EVENT_APPEND_LOCK})


EVENT_APPEND_LOCK_SHARED: ColumnElement[Any] = func.pg_advisory_xact_lock_shared(EVENT_APPEND_LOCK).label(
    "event_append_lock"
)
"""The same shared lock as `hold_event_append_lock`, as a column to add to a statement that returns
exactly one row (PostgreSQL), so taking it costs no round trip of its own. It is then held from that
statement to the end of the transaction: before any event id is drawn, which is all the feed needs."""


def event_append_lock_column(session: Session) -> ColumnElement[Any] | None:
    """`EVENT_APPEND_LOCK_SHARED` on PostgreSQL; None elsewhere (SQLite serialises writers)."""
    return EVENT_APPEND_LOCK_SHARED if session.get_bind().dialect.name == "postgresql" else None


def committed_event_horizon(session: Session) -> int | None:
    """The highest event id such that no unfinished transaction holds a lower one (PostgreSQL), or
    None where ids are already in commit order (SQLite serialises writers). Ends the transaction."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": EVENT_APPEND_LOCK})
    horizon = session.scalar(text("SELECT coalesce(max(id), 0) FROM events"))
    session.commit()  # releases the lock at once
    return int(horizon or 0)

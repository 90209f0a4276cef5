"""Engine factory (never at import time) and session helper.

SQLite gets WAL journaling and a busy timeout so the API and the in-process worker can write from several
threads; Postgres needs nothing special. `init_db` applies the schema migrations.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)

#: Seconds a SQLite writer waits for another's lock before failing.
SQLITE_BUSY_TIMEOUT_S = 30


def make_engine(url: str, *, echo: bool = False, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> Engine:
    """Create the engine for a database URL; SQLite files get their folder created.

    Args:
        url: SQLAlchemy URL, e.g. `sqlite:///data/intergeneval.db` or `postgresql+psycopg://u@host/db`.
        echo: log SQL statements.
        busy_timeout_s: how long a SQLite writer waits for another's lock before failing (the API then
            answers 503 with `Retry-After`).
    """
    u = make_url(url)
    if u.get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)
    memory = u.database in (None, "", ":memory:")
    if not memory:
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    # One shared connection for an in-memory database, or every connection would see an empty one; a file
    # database gets a pool as large as the API's thread pool (40), so no request waits for a connection.
    pool = {"poolclass": StaticPool} if memory else {"pool_size": 20, "max_overflow": 30, "pool_timeout": 60}
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_s},
        **pool,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 (DB-API connection)
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    return engine


def is_sqlite(engine: Engine) -> bool:
    """True for SQLite engines."""
    return engine.dialect.name == "sqlite"


def lock_admission(session: Session, *, user_id: int) -> None:
    """Serialise one user's admissions until the session commits, so quota counts and get-or-create run on
    data no concurrent admission can change: on Postgres a row lock on the user (other users are not held up);
    on SQLite the database's write lock, taken now (`BEGIN IMMEDIATE`) rather than at the first write, when a
    concurrent admission could already have counted the same rows."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        dbapi = conn.connection.dbapi_connection
        if not dbapi.in_transaction:  # pysqlite opens transactions only at the first write
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.execute(text("SELECT id FROM users WHERE id = :id FOR UPDATE"), {"id": user_id})


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

"""Versioned schema migrations with a version table, so an upgrade never loses data.

A fresh database gets the current schema (`SQLModel.metadata.create_all`) and is stamped with the latest
version. A database at an older version gets each later migration applied in order, in one transaction
each, and a `schema_version` row per step. Migrations only add (tables, nullable columns, indexes) or copy
data; they never drop a column that holds data. Rules for writing one:

- append a `Migration(n + 1, "what it does", fn)` to `MIGRATIONS`; `fn(conn)` gets a SQLAlchemy connection;
- the models in `server/models.py` already describe the new schema, so `fn` must bring an old database to
  exactly that (e.g. `ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0`);
- `add_column` below skips a column that exists, so a half-applied step can be run again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

from .. import models  # noqa: F401  (registers every table on SQLModel.metadata)

log = logging.getLogger(__name__)

#: Postgres advisory-lock id serialising concurrent migrations (API and workers may start together).
_PG_LOCK_ID = 0x16E_6E7A


class SchemaError(RuntimeError):
    """The database's schema cannot be used by this version of the package."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One step from version `version - 1` to `version`."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _initial(conn: Connection) -> None:
    SQLModel.metadata.create_all(conn)


def _refusals(conn: Connection) -> None:
    models.Refusal.__table__.create(conn, checkfirst=True)


def _judge_trust(conn: Connection) -> None:
    models.Label.__table__.create(conn, checkfirst=True)
    models.JudgeControls.__table__.create(conn, checkfirst=True)


#: Every schema version, in order. Version 1 is the schema this service first shipped with.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _initial),
    Migration(2, "refusals: refused uploads per user, for the refused-uploads rate", _refusals),
    Migration(3, "judge trust: human labels per question, negative controls per judge fingerprint",
              _judge_trust),
)


def add_column(conn: Connection, table: str, column: str, ddl_type: str) -> None:
    """`ALTER TABLE … ADD COLUMN` unless the column is already there (migrations may be rerun)."""
    if column in {c["name"] for c in inspect(conn).get_columns(table)}:
        return
    conn.execute(text(f'ALTER TABLE {table} ADD COLUMN {column} {ddl_type}'))


def current_version(conn: Connection) -> int | None:
    """The database's schema version, or None for a database without the version table."""
    if not inspect(conn).has_table("schema_version"):
        return None
    v = conn.execute(text("SELECT MAX(version) FROM schema_version")).scalar()
    return int(v) if v is not None else None


def upgrade(engine: Engine, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the database to the latest schema version and return it.

    Raises:
        SchemaError: the database is newer than this package, or holds tables but no version table.
    """
    for attempt in range(5):
        try:
            return _upgrade(engine, migrations)
        except OperationalError as e:  # SQLite: another process created the schema at the same moment
            if engine.dialect.name != "sqlite" or attempt == 4:
                raise
            log.info("schema upgrade raced another process (%s); retrying", e.orig)
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _upgrade(engine: Engine, migrations: Sequence[Migration]) -> int:
    latest = migrations[-1].version
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_ID})
        version = current_version(conn)
        if version is None:
            existing = set(inspect(conn).get_table_names()) & set(SQLModel.metadata.tables)
            if existing:
                raise SchemaError(
                    f"the database has service tables ({', '.join(sorted(existing))}) but no schema_version "
                    "table: it was not made by this service; use an empty database")
            SQLModel.metadata.create_all(conn)
            for m in migrations:
                conn.execute(models.SchemaVersion.__table__.insert().values(
                    version=m.version, description=m.description, applied_at=models.utcnow()))
            log.info("created schema version %d", latest)
            return latest
        if version > latest:
            raise SchemaError(f"the database's schema version {version} is newer than this package's ({latest}): "
                              "upgrade intergeneval on this machine")
    for m in migrations:
        if m.version <= version:
            continue
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_ID})
            if (current_version(conn) or 0) >= m.version:
                continue  # another process applied it meanwhile
            log.info("applying schema migration %d: %s", m.version, m.description)
            m.apply(conn)
            conn.execute(models.SchemaVersion.__table__.insert().values(
                version=m.version, description=m.description, applied_at=models.utcnow()))
    with engine.begin() as conn:
        SQLModel.metadata.create_all(conn)  # tables added by a migration's models but not created by it
    return latest


def init_db(engine: Engine) -> int:
    """Create or upgrade the schema; returns the schema version."""
    return upgrade(engine)

"""Schema versions: fresh databases are stamped, upgrades apply in order and keep every row."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from server.core.db import make_engine
from server.core.migrations import MIGRATIONS, Migration, SchemaError, add_column, current_version, upgrade


def _version(engine) -> int | None:
    with engine.connect() as c:
        return current_version(c)


def test_fresh_database_gets_every_table_and_the_latest_version(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    assert upgrade(engine) == MIGRATIONS[-1].version
    tables = set(inspect(engine).get_table_names())
    assert {"schema_version", "users", "tokens", "models", "submissions", "jobs", "video_results",
            "job_summaries"} <= tables
    assert upgrade(engine) == MIGRATIONS[-1].version  # a second start changes nothing
    with engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM schema_version")).scalar() == len(MIGRATIONS)


def test_upgrade_applies_new_steps_and_keeps_data(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    upgrade(engine)
    with engine.begin() as c:
        c.execute(text("INSERT INTO users (name, is_admin, created_at) VALUES ('alice', 0, '2026-01-01 00:00:00')"))

    def add_priority(conn):
        add_column(conn, "users", "priority", "INTEGER NOT NULL DEFAULT 5")

    applied = []

    def backfill(conn):
        applied.append(True)
        conn.execute(text("UPDATE users SET priority = 7 WHERE name = 'alice'"))

    later = (*MIGRATIONS, Migration(MIGRATIONS[-1].version + 1, "users.priority", add_priority),
             Migration(MIGRATIONS[-1].version + 2, "backfill priority", backfill))
    assert upgrade(engine, later) == later[-1].version
    with engine.connect() as c:
        assert c.execute(text("SELECT name, priority FROM users")).all() == [("alice", 7)]
    assert upgrade(engine, later) == later[-1].version and applied == [True]  # steps run once
    # The step helper may be rerun (a half-applied step): the column is not added twice.
    with engine.begin() as c:
        add_column(c, "users", "priority", "INTEGER")


def test_newer_database_or_foreign_tables_are_refused(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    upgrade(engine)
    with engine.begin() as c:
        c.execute(text("INSERT INTO schema_version (version, description, applied_at) "
                       "VALUES (99, 'from the future', '2030-01-01 00:00:00')"))
    with pytest.raises(SchemaError, match="newer than this package"):
        upgrade(engine)
    foreign = make_engine(f"sqlite:///{tmp_path / 'd.db'}")
    with foreign.begin() as c:
        c.execute(text("CREATE TABLE jobs (id INTEGER PRIMARY KEY)"))
    with pytest.raises(SchemaError, match="no schema_version"):
        upgrade(foreign)


@pytest.mark.postgres
def test_postgres_schema(postgres_url):
    engine = make_engine(postgres_url)
    assert upgrade(engine) == MIGRATIONS[-1].version
    assert _version(engine) == MIGRATIONS[-1].version
    engine.dispose()

"""Schemathesis against the service's OpenAPI schema: no operation answers a 5xx, and every answer conforms.

Every operation of `/openapi.json` gets schemathesis' example, coverage and fuzzing phases with all its
default checks: not a server error; status codes, content types, response bodies and headers (`Allow` on 405)
as documented; authentication not ignored (secured operations answer 401 without the token); requests that
violate the schema refused. The one check left out is "schema-valid request accepted" on `POST /submissions`:
a schema cannot say "a zip of decodable videos, one per scenario", so a schema-valid upload is refused (422).
Unknown query parameters are not generated: the API ignores them on purpose (docs/api.md, Conventions).

The service holds a user with an admin + submit token (sent as the bearer token) and a finished job with
results (uploaded through the API, scored by a worker), so authenticated and id-taking operations reach real
rows. It runs on SQLite and, marked `postgres`, on the throwaway Postgres cluster (Postgres refuses things
SQLite takes, e.g. NUL characters in text). Deterministic: fixed seed, derandomised, no example database.

The schema is built at collection from the app's routes (`openapi_document`, equal to what `/openapi.json`
serves: checked below) and sent to a module fixture's app through `_AppUnderTest`:
`schemathesis.pytest.from_fixture`, which would load it from a fixture, reads `Function._nodeid`, gone in
pytest 9.2.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server import crud
from server.core.db import session_scope
from server.core.security import hash_token, new_token
from server.main import create_app, openapi_document
from server.models import Token
from server.worker import Worker

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the `dev` extra")

TOKEN = new_token()  # stored (hashed) in each service by `_seeded_app`
EXAMPLES = {"sqlite": 30, "postgres": 15}  # fuzzing examples per operation (the other phases add their own)


def _config(db: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "seed": 20261125,
        "auth": {"openapi": {"HTTPBearer": {"bearer": TOKEN}}},
        "generation": {"max-examples": EXAMPLES[db], "deterministic": True, "database": "none",
                       "allow-extra-parameters": False},
        "operations": [{"include-path": "/api/v1/submissions", "include-method": "POST",
                        "checks": {"positive_data_acceptance": {"enabled": False}}}],
    })


class _AppUnderTest:
    """The ASGI app schemathesis calls: forwards to the service a fixture built (`app`)."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            # Refused before any message: the ASGI client then serves without one. The fixture's app needs
            # no start-up (its job was scored by a worker the fixture ran), so no second leaderboard warm-up.
            raise RuntimeError("no lifespan")
        assert self.app is not None, "the service fixture did not run"
        await self.app(scope, receive, send)


def _schema(db: str, app: _AppUnderTest) -> Any:
    schema = schemathesis.openapi.from_dict(openapi_document(), config=_config(db))
    schema.app = app
    return schema


SQLITE, POSTGRES = _AppUnderTest(), _AppUnderTest()
sqlite_schema, postgres_schema = _schema("sqlite", SQLITE), _schema("postgres", POSTGRES)
#: Statuses seen per database and operation, for the last test.
SEEN: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))


def _seeded_app(settings, scenes, zipper) -> FastAPI:
    """The service with the admin token and one job scored to the end (model, submission, results)."""
    app = create_app(settings, mount_page=False)
    services = app.state.services
    with session_scope(services.engine) as s:
        user = crud.get_or_create_user(s, name="root", is_admin=True)
        s.add(Token(user_id=user.id, name="root", scopes="submit,admin,label", token_hash=hash_token(TOKEN),
                    prefix=TOKEN[:8]))
    client = TestClient(app)  # not entered: no lifespan, no in-process worker
    r = client.post("/api/v1/submissions", headers={"Authorization": f"Bearer {TOKEN}"},
                    files={"archive": ("videos.zip", zipper(scenes.videos), "application/zip")},
                    data={"model": json.dumps({"name": "seeded", "organisation": "Lab"})})
    assert r.status_code == 201, r.text
    worker = Worker(services.engine, settings, storage=services.storage, catalog=services.catalog)
    assert worker.run_once()
    job = client.get(f"/api/v1/jobs/{r.json()['job']['id']}").json()
    assert job["status"] == "succeeded", job
    return app


@pytest.fixture(scope="module")
def sqlite_app(tmp_path_factory, scenes, zipper, make_settings) -> Iterator[FastAPI]:
    app = _seeded_app(make_settings(tmp_path_factory.mktemp("fuzz-sqlite"), scenes), scenes, zipper)
    SQLITE.app = app
    yield app
    app.state.services.engine.dispose()


@pytest.fixture(scope="module")
def postgres_app(tmp_path_factory, scenes, zipper, make_settings, postgres_server) -> Iterator[FastAPI]:
    from sqlalchemy import create_engine, text

    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text('CREATE DATABASE "schemathesis"'))
    url = f"{postgres_server.rsplit('/', 1)[0]}/schemathesis"
    try:
        app = _seeded_app(make_settings(tmp_path_factory.mktemp("fuzz-pg"), scenes, database_url=url), scenes,
                          zipper)
        POSTGRES.app = app
        yield app
        app.state.services.engine.dispose()
    finally:
        with admin.connect() as c:
            c.execute(text('DROP DATABASE IF EXISTS "schemathesis" WITH (FORCE)'))
        admin.dispose()


def test_the_fuzzed_schema_is_the_served_one(sqlite_app):
    assert TestClient(sqlite_app).get("/openapi.json").json() == openapi_document()


@sqlite_schema.parametrize()
def test_no_5xx_and_answers_conform_sqlite(case, sqlite_app):
    response = case.call_and_validate()
    SEEN["sqlite"][case.operation.label].add(response.status_code)


@pytest.mark.postgres
@postgres_schema.parametrize()
def test_no_5xx_and_answers_conform_postgres(case, postgres_app):
    response = case.call_and_validate()
    SEEN["postgres"][case.operation.label].add(response.status_code)


def test_the_run_reached_the_seeded_rows():
    """Not only 401/404/422: the token was accepted and ids of the seeded rows were hit."""
    seen = SEEN["sqlite"]
    if not seen:
        pytest.skip("runs after test_no_5xx_and_answers_conform_sqlite (run the whole module)")
    want_ok = ["GET /api/v1/me", "GET /api/v1/jobs", "GET /api/v1/jobs/{job_id}",
               "GET /api/v1/jobs/{job_id}/results", "GET /api/v1/models/{model_id}",
               "PATCH /api/v1/models/{model_id}", "GET /api/v1/submissions/{submission_id}",
               "GET /api/v1/leaderboard", "POST /api/v1/admin/tokens"]
    missed = {op: sorted(seen[op]) for op in want_ok if not any(200 <= s < 300 for s in seen[op])}
    assert not missed, f"operations never answered 2xx (statuses seen): {missed}"
    assert 409 in seen["DELETE /api/v1/jobs/{job_id}"]  # the seeded job is finished: cancelling it conflicts
    assert 422 in seen["POST /api/v1/submissions"]  # uploads were received and refused with their problems

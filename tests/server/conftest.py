"""Fixtures for the service tests: SQLite in a temp dir (a real Postgres cluster for `postgres` tests),
synthetic scenes with scripted answers and mask tracks, apps, tokens and archive builders.

No database or HTTP mock: FastAPI's TestClient or a real uvicorn on loopback, and real SQLite/Postgres.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from intergeneval.errors import JudgeError
from intergeneval.judges.scripted import ScriptedJudge
from intergeneval.tracking.replay import ReplayTracker
from server import crud
from server.core.config import Settings
from server.core.db import make_engine, session_scope
from server.core.migrations import init_db
from server.main import create_app
from server.models import Job, Submission
from server.storage import Storage
from server.suites import SuiteCatalog

PG_BIN = Path(os.environ.get("INTERGENEVAL_PG_BIN", "/usr/lib/postgresql/15/bin"))


# --------------------------------------------------------------------------------------------- scenes
@pytest.fixture(scope="session")
def scenes(tmp_path_factory):
    """Six small synthetic scenes (videos, suite, ground-truth tracks, scripted answers)."""
    from intergeneval.synthetic import make_scene_set

    return make_scene_set(tmp_path_factory.mktemp("scenes"), n_videos=6, frames=17, size=(96, 128))


@pytest.fixture(scope="session")
def scene_suite(scenes):
    """The scenes' suite, loaded."""
    from intergeneval.formats import load_suite

    return load_suite(scenes.suite)


def zip_folder(folder: Path, *, only: list[str] | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """A zip of a folder's mp4 files (optionally only some ids), plus extra raw entries."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for p in sorted(folder.glob("*.mp4")):
            if only is None or p.stem in only:
                z.write(p, p.name)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def tar_bytes(entries: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w:gz") -> bytes:
    """A tar archive from (name, bytes) files and raw TarInfo entries (links, devices)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as t:
        for e in entries:
            if isinstance(e, tarfile.TarInfo):
                t.addfile(e)
            else:
                info = tarfile.TarInfo(e[0])
                info.size = len(e[1])
                t.addfile(info, io.BytesIO(e[1]))
    return buf.getvalue()


@pytest.fixture(scope="session")
def zipper() -> Callable[..., bytes]:
    """`zip_folder` as a fixture."""
    return zip_folder


# --------------------------------------------------------------------------------------------- service
def settings_for(data_dir: Path, scenes, **overrides: Any) -> Settings:
    """Settings for a test service: scripted judge + replay tracker on the scenes, fast leases."""
    base: dict[str, Any] = dict(
        data_dir=data_dir, profile=None, judge="scripted", judge_options={"answers": str(scenes.answers)},
        tracker="replay", tracker_options={"root": str(scenes.tracks)}, suites=[str(scenes.suite)],
        lease_seconds=5.0, poll_seconds=0.05,
    )
    base.update(overrides)
    return Settings(**base)


class Service:
    """A test service: settings, engine, app and a TestClient (entered by the fixture)."""

    def __init__(self, settings: Settings, client: TestClient, app):
        self.settings = settings
        self.client = client
        self.app = app
        self.engine = app.state.services.engine
        self.storage: Storage = app.state.services.storage

    def token(self, name: str = "alice", *, scopes: tuple[str, ...] = ("submit",), admin: bool = False) -> str:
        """A new token (user created if new)."""
        with session_scope(self.engine) as s:
            user = crud.get_or_create_user(s, name=name, is_admin=admin)
            _, plain = crud.create_token(s, user=user, name=name, scopes=list(scopes))
        return plain

    def auth(self, name: str = "alice", **kw: Any) -> dict[str, str]:
        """Authorization headers for a new token."""
        return {"Authorization": f"Bearer {self.token(name, **kw)}"}

    def submit(self, headers: dict[str, str], archive: bytes, model: dict[str, Any] | str | None = None,
               filename: str = "videos.zip", extra_headers: dict[str, str] | None = None, **fields: str):
        """POST a submission."""
        data = {"model": model if isinstance(model, str) else json.dumps(model or {"name": "m1"}), **fields}
        return self.client.post("/api/v1/submissions", headers={**headers, **(extra_headers or {})},
                                files={"archive": (filename, archive, "application/zip")}, data=data)

    def wait(self, job_id: int, timeout: float = 60) -> dict[str, Any]:
        """Poll a job until it is final."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            j = self.client.get(f"/api/v1/jobs/{job_id}").json()
            if j["status"] in ("succeeded", "incomplete", "failed", "cancelled"):
                return j
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} did not finish in {timeout} s: {j}")

    def leftovers(self) -> dict[str, list[str]]:
        """What a refused upload might have left: incoming folders, submission folders, rows."""
        with session_scope(self.engine) as s:
            from sqlmodel import select

            rows = len(s.exec(select(Submission)).all()) + len(s.exec(select(Job)).all())
        return {"incoming": sorted(p.name for p in (self.storage.root / "incoming").iterdir()),
                "submissions": sorted(p.name for p in (self.storage.root / "submissions").iterdir()),
                "rows": [str(rows)] if rows else []}


class FlakyJudge(ScriptedJudge):
    """The scripted judge, failing on the scenarios in `broken` (as a judge out of GPU memory would) until they
    are removed: an evaluator failure, not the submitter's."""

    def __init__(self, answers, broken):
        super().__init__(answers)
        self.broken = set(broken)

    def complete(self, video, request):
        if video.scenario.id in self.broken:
            raise JudgeError(f"out of GPU memory on scenario {video.scenario.id!r}")
        return super().complete(video, request)


@pytest.fixture
def flaky_backends(scenes) -> Callable[..., dict[str, Any]]:
    """Worker backends whose judge fails on the given scenarios (`backends["judge"].broken`)."""
    def make(broken) -> dict[str, Any]:
        return {"judge": FlakyJudge(scenes.answers, broken), "tracker": ReplayTracker(scenes.tracks),
                "detector": None}
    return make


@pytest.fixture
def service_factory(tmp_path, scenes) -> Iterator[Callable[..., Service]]:
    """Build test services (optionally with an in-process worker); all are closed at the end."""
    opened: list[TestClient] = []

    def make(*, worker: bool = False, worker_kwargs: dict[str, Any] | None = None, mount_page: bool = False,
             **overrides: Any) -> Service:
        settings = settings_for(tmp_path / f"data{len(opened)}", scenes, **overrides)
        app = create_app(settings, start_worker=worker, mount_page=mount_page, worker_kwargs=worker_kwargs)
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return Service(settings, client, app)

    yield make
    for c in opened:
        c.__exit__(None, None, None)


@pytest.fixture
def service(service_factory) -> Service:
    """A service without a worker (jobs stay queued)."""
    return service_factory()


@pytest.fixture
def live_server(tmp_path, scenes) -> Iterator[Callable[..., tuple[str, Settings]]]:
    """Start the app on a real uvicorn on loopback (in-process worker unless `worker=False`; the page when
    `mount_page=True`, reading the API through the same server); returns (base URL, settings)."""
    import threading

    import uvicorn

    servers = []

    def start(worker_kwargs=None, *, worker: bool = True, mount_page: bool = False, **overrides):
        settings = settings_for(tmp_path / f"live{len(servers)}", scenes, **overrides)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        application = create_app(settings, start_worker=worker, mount_page=mount_page, api_base=base,
                                 worker_kwargs=worker_kwargs)
        server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        servers.append((server, thread))
        return base, settings

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


# --------------------------------------------------------------------------------------------- queue rows
def add_jobs(engine, catalog: SuiteCatalog, n: int, *, owner: str = "alice", max_attempts: int = 3,
             folder: str = "submissions/none") -> list[int]:
    """Insert `n` queued jobs (with their user, model and submission rows) directly; returns their ids."""
    suite = catalog.get()
    ids = []
    with session_scope(engine) as s:
        user = crud.get_or_create_user(s, name=owner)
        from server.models import ModelCreate

        model = crud.upsert_model(s, owner=user, card=ModelCreate(name=f"{owner}-model"))
        for i in range(n):
            sub = Submission(owner_id=user.id, model_id=model.id, suite_id=suite.suite_id, suite_version=suite.version,
                             suite_hash=suite.content_hash, content_hash=f"h{i}", folder=folder)
            s.add(sub)
            s.flush()
            job = Job(submission_id=sub.id, model_id=model.id, owner_id=user.id, suite_id=suite.suite_id,
                      suite_version=suite.version, suite_hash=suite.content_hash, max_attempts=max_attempts,
                      progress_total=len(suite.scenarios))
            s.add(job)
            s.flush()
            ids.append(job.id)
    return ids


@pytest.fixture
def sqlite_engine(tmp_path):
    """A migrated SQLite database in a temp file."""
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    init_db(engine)
    yield engine
    engine.dispose()


# --------------------------------------------------------------------------------------------- postgres
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb and pg_ctl refuse to run as root: run them as the `postgres` user there.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _postgres_missing(reason: str):
    if os.environ.get("INTERGENEVAL_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"Postgres is required here (INTERGENEVAL_REQUIRE_POSTGRES=1) but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway Postgres cluster for the session (or INTERGENEVAL_TEST_POSTGRES_URL); yields a base URL."""
    url = os.environ.get("INTERGENEVAL_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    if not (PG_BIN / "initdb").is_file():
        _postgres_missing(f"the Postgres server binaries are not installed ({PG_BIN}/initdb); "
                          "apt-get install postgresql or set INTERGENEVAL_TEST_POSTGRES_URL")
    root = Path(tempfile.mkdtemp(prefix="ige-pg-"))
    data = root / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
    port = _free_port()
    try:
        subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                     "--no-sync"]), check=True, capture_output=True, timeout=120)
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "-l",
                                     str(data / "log"), "-o",
                                     f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off "
                                     "-c max_connections=200", "start"]),
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, FileNotFoundError) as e:
        out = getattr(e, "stderr", b"") or b""
        shutil.rmtree(root, ignore_errors=True)
        _postgres_missing(f"a throwaway Postgres cluster did not start: {e}: {out.decode(errors='replace')[-500:]}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server) -> Iterator[str]:
    """A fresh, empty database on the test cluster; dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"t{os.getpid()}_{time.monotonic_ns()}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    base = postgres_server.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def add_jobs_to() -> Callable[..., list[int]]:
    """`add_jobs` as a fixture."""
    return add_jobs


@pytest.fixture
def tarrer() -> Callable[..., bytes]:
    """`tar_bytes` as a fixture."""
    return tar_bytes


@pytest.fixture(name="make_settings", scope="session")
def make_settings_fixture() -> Callable[..., Settings]:
    """`settings_for` as a fixture."""
    return settings_for

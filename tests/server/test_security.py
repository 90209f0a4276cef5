"""Service hardening (issue 11): token scopes and revocation, atomic admission, bounded bodies, archive bombs,
database trouble, no server paths in public fields, error shape and headers with the page mounted."""

from __future__ import annotations

import errno
import io
import json
import os
import socket
import sqlite3
import tarfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlmodel import select
from typer.testing import CliRunner

from intergeneval.cli import app as cli_app
from server import crud
from server.core.db import make_engine, session_scope
from server import models
from server.models import Job, Model, Submission

runner = CliRunner()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --------------------------------------------------------------------------------------------- tokens
def test_scopes_belong_to_the_token_not_to_its_user(service):
    old = service.auth("alice")  # submit only
    root = service.auth("root", scopes=("admin",), admin=True)
    # An admin token for alice, made through the API, must not lift her older submit-only token.
    r = service.client.post("/api/v1/admin/tokens", json={"name": "alice", "scopes": ["admin"]}, headers=root)
    assert r.status_code == 201
    assert service.client.get("/api/v1/me", headers=old).json()["scopes"] == ["submit"]
    assert service.client.get("/api/v1/admin/tokens", headers=old).status_code == 403
    assert service.client.post("/api/v1/admin/tokens", json={"name": "x"}, headers=old).status_code == 403
    assert service.client.get("/api/v1/me", headers=_bearer(r.json()["token"])).json()["is_admin"] is True
    # A submit-only token made with the CLI for a user who is an admin stays submit-only.
    made = runner.invoke(cli_app, ["admin", "create-token", "--name", "root", "--scopes", "submit",
                                   "--database-url", service.settings.database_url])
    assert made.exit_code == 0, made.output
    submit_only = _bearer(made.stdout.strip().splitlines()[-1])
    me = service.client.get("/api/v1/me", headers=submit_only).json()
    assert me["scopes"] == ["submit"] and me["is_admin"] is False
    assert service.client.get("/api/v1/admin/tokens", headers=submit_only).status_code == 403


def test_revoke_a_token_through_the_api(service):
    root = service.auth("root", scopes=("admin",), admin=True)
    alice = service.auth("alice")
    listed = service.client.get("/api/v1/admin/tokens", headers=root).json()
    assert [(t["user"], t["scopes"]) for t in listed["data"]] == [("root", ["admin"]), ("alice", ["submit"])]
    assert all("token" not in t and len(t["prefix"]) == 8 for t in listed["data"])
    tid = listed["data"][1]["id"]
    assert service.client.get("/api/v1/me", headers=alice).status_code == 200
    assert service.client.delete(f"/api/v1/admin/tokens/{tid}", headers=alice).status_code == 403
    r = service.client.delete(f"/api/v1/admin/tokens/{tid}", headers=root)
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    refused = service.client.get("/api/v1/me", headers=alice)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    # Public endpoints refuse it too (a revoked token is never silently anonymous).
    assert service.client.get("/api/v1/leaderboard", headers=alice).status_code == 401
    again = service.client.delete(f"/api/v1/admin/tokens/{tid}", headers=root)
    assert again.status_code == 200 and again.json()["revoked_at"] == r.json()["revoked_at"]
    assert service.client.delete("/api/v1/admin/tokens/999", headers=root).status_code == 404
    own = listed["data"][0]["id"]  # the admin's own token: not by itself
    assert service.client.delete(f"/api/v1/admin/tokens/{own}", headers=root).status_code == 409
    only = service.client.get("/api/v1/admin/tokens?user=alice", headers=root).json()
    assert only["count"] == 1 and only["data"][0]["revoked_at"] is not None


def test_revoke_tokens_with_the_cli(service):
    url = ["--database-url", service.settings.database_url]
    a1, a2 = service.token("alice"), service.token("alice")
    bob = service.token("bob")
    assert runner.invoke(cli_app, ["admin", "revoke-token", *url]).exit_code == 2  # nothing named
    by_value = runner.invoke(cli_app, ["admin", "revoke-token", "--token", a1, *url])
    assert by_value.exit_code == 0, by_value.output
    assert service.client.get("/api/v1/me", headers=_bearer(a1)).status_code == 401
    assert service.client.get("/api/v1/me", headers=_bearer(a2)).status_code == 200
    listed = runner.invoke(cli_app, ["admin", "list-tokens", "--user", "alice", *url])
    assert listed.exit_code == 0
    assert listed.stdout.count("revoked") == 1 and listed.stdout.count("active") == 1
    assert a2 not in listed.stdout  # the secrets are never shown
    by_user = runner.invoke(cli_app, ["admin", "revoke-token", "--user", "alice", *url])
    assert by_user.exit_code == 0 and "revoked 2 token(s)" in by_user.output
    assert service.client.get("/api/v1/me", headers=_bearer(a2)).status_code == 401
    assert service.client.get("/api/v1/me", headers=_bearer(bob)).status_code == 200
    assert runner.invoke(cli_app, ["admin", "revoke-token", "--id", "999", *url]).exit_code == 1


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request) -> dict:
    """Settings overrides for the database under test: SQLite in the data dir, or a new Postgres database."""
    if request.param == "sqlite":
        return {}
    return {"database_url": request.getfixturevalue("postgres_url")}


def test_concurrent_tokens_for_one_new_user_make_one_user(service_factory, database):
    svc = service_factory(**database)
    root = svc.auth("root", scopes=("admin",), admin=True)
    for burst in range(2):  # 20 first tokens for one new name at once, through the API
        name, barrier = f"newcomer-{burst}", threading.Barrier(20)

        def create(i: int, name=name, start=barrier) -> httpx.Response:
            start.wait()
            body = {"name": name, "scopes": ["admin"] if i % 2 else ["submit"]}
            return svc.client.post("/api/v1/admin/tokens", json=body, headers=root)

        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(create, range(20)))
        codes = [r.status_code for r in answers]
        assert codes == [201] * 20, [r.text for r in answers if r.status_code != 201][:1]
        listed = svc.client.get(f"/api/v1/admin/tokens?user={name}", headers=root).json()
        assert listed["count"] == 20 and {t["user"] for t in listed["data"]} == {name}
        with session_scope(svc.engine) as s:
            assert len(s.exec(select(models.User).where(models.User.name == name)).all()) == 1
    # The library call itself, from 20 threads with their own sessions (what `admin create-token` runs).
    start = threading.Barrier(20)

    def direct(_: int) -> int:
        start.wait()
        with session_scope(svc.engine) as s:
            return crud.get_or_create_user(s, name="direct").id

    with ThreadPoolExecutor(20) as pool:
        assert len(set(pool.map(direct, range(20)))) == 1


# --------------------------------------------------------------------------------------------- admission
def _burst(svc, n: int, make_args) -> list:
    """`n` submissions at once from `n` threads (the TestClient serves them concurrently on its loop)."""
    start = threading.Barrier(n)

    def one(i: int):
        start.wait()
        return svc.submit(*make_args(i))

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def _rows(svc, table) -> int:
    with session_scope(svc.engine) as s:
        return len(s.exec(select(table)).all())


def test_quotas_hold_under_concurrent_submissions(service_factory, scenes, zipper, database):
    svc = service_factory(submissions_per_day=2, concurrent_jobs=1, concurrent_uploads=100, **database)
    headers, archive = svc.auth(), zipper(scenes.videos)
    answers = _burst(svc, 20, lambda i: (headers, archive, {"name": f"model-{i}"}))
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] + [429] * 19, codes
    assert all(r.json()["error"]["code"] == "quota_exceeded" for r in answers if r.status_code == 429)
    assert _rows(svc, Submission) == 1 and _rows(svc, Job) == 1
    assert svc.leftovers()["incoming"] == [] and len(svc.leftovers()["submissions"]) == 1


def test_concurrent_first_submissions_of_one_new_model_name(service_factory, scenes, zipper, database):
    svc = service_factory(submissions_per_day=1000, concurrent_jobs=1000, concurrent_uploads=100, **database)
    headers, archive = svc.auth(), zipper(scenes.videos)
    for burst in range(3):  # the get-or-create race did not show in every burst
        answers = _burst(svc, 20, lambda i, b=burst: (headers, archive, {"name": f"new-{b}"}))
        codes = sorted(r.status_code for r in answers)
        assert codes == [200] * 19 + [201], (burst, [r.text for r in answers if r.status_code >= 500][:1])
        assert len({r.json()["job"]["id"] for r in answers}) == 1  # the duplicates name the one job
    assert _rows(svc, Model) == 3 and _rows(svc, Submission) == 3
    assert svc.leftovers()["incoming"] == []


# --------------------------------------------------------------------------------------------- bodies
def _raw_request(base: str, head: str, body: bytes = b"", timeout: float = 5.0) -> bytes:
    """Send a raw HTTP/1.1 request (head lines without the Host line) and return what came back."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(f"{head}\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode() + body)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except TimeoutError:
            pass
    return out


def test_a_big_body_without_a_token_is_refused_before_it_is_read(live_server):
    base, _ = live_server(worker=False)
    # 100 MB announced, nothing sent: the answer must come without waiting for the body.
    t0 = time.monotonic()
    out = _raw_request(base, "PATCH /api/v1/models/1 HTTP/1.1\r\nContent-Type: application/json\r\n"
                             "Content-Length: 100000000")
    assert out.startswith(b"HTTP/1.1 401"), out[:200]
    assert b'"code":"unauthorized"' in out.replace(b" ", b"") and time.monotonic() - t0 < 4
    # The same for an admin route and for the upload.
    for head in ("POST /api/v1/admin/tokens HTTP/1.1", "POST /api/v1/submissions HTTP/1.1"):
        out = _raw_request(base, f"{head}\r\nContent-Type: application/json\r\nContent-Length: 100000000")
        assert out.startswith(b"HTTP/1.1 401"), (head, out[:200])


def test_json_bodies_are_bounded(service_factory, add_jobs_to):
    svc = service_factory(max_body_bytes=10_000)
    add_jobs_to(svc.engine, svc.app.state.services.catalog, 1, owner="alice")
    headers = svc.auth("alice")
    mid = svc.client.get("/api/v1/models", headers=headers).json()["data"][0]["id"]
    big = json.dumps({"description": "x" * 4000, "pad": "y" * 20_000})
    r = svc.client.patch(f"/api/v1/models/{mid}", content=big,
                         headers={**headers, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == {
        "code": "body_too_large", "message": "the request body exceeds the limit of 10000 bytes",
        "details": {"limit_bytes": 10_000}}

    def chunks():  # no Content-Length: counted while it is read
        yield b'{"description": "'
        for _ in range(30):
            yield b"z" * 1000
        yield b'"}'

    r = svc.client.patch(f"/api/v1/models/{mid}", content=chunks(),
                         headers={**headers, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
    ok = svc.client.patch(f"/api/v1/models/{mid}", json={"description": "short"}, headers=headers)
    assert ok.status_code == 200 and ok.json()["description"] == "short"


def test_multipart_text_fields_are_bounded(service, scenes, zipper):
    # Many text fields of 60 KB each (each under the per-field limit) were all kept in memory.
    fields = {f"f{i}": "x" * 60_000 for i in range(40)}
    r = service.submit(service.auth(), zipper(scenes.videos), **fields)
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request", r.text
    assert "parts" in r.json()["error"]["message"] or "exceed" in r.json()["error"]["message"]
    few = {f"f{i}": "x" * 60_000 for i in range(5)}  # 300 KB of text in five fields
    r = service.submit(service.auth(), zipper(scenes.videos), **few)
    assert r.status_code == 400 and "262144 bytes" in r.json()["error"]["message"]
    assert service.leftovers() == {"incoming": [], "submissions": [], "rows": []}


# --------------------------------------------------------------------------------------------- archives
def _bomb_zip(inflated: int = 64 << 20) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("001.mp4", "w", force_zip64=True) as f:
            block = bytes(1 << 20)
            for _ in range(inflated >> 20):
                f.write(block)
    return buf.getvalue()


def _bomb_tar(inflated: int = 64 << 20) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        info = tarfile.TarInfo("001.mp4")
        info.size = inflated
        t.addfile(info, io.BytesIO(bytes(inflated)))
    return buf.getvalue()


@pytest.mark.parametrize("make", [_bomb_zip, _bomb_tar], ids=["zip", "tar.gz"])
def test_a_compression_bomb_is_refused_before_anything_is_extracted(service, monkeypatch, make):
    import server.archive

    written: list[str] = []
    real = server.archive._exclusive
    monkeypatch.setattr(server.archive, "_exclusive", lambda p: (written.append(p.name), real(p))[1])
    archive = make()
    assert len(archive) < 400_000  # 64 MiB of zeros in well under 1 % of that
    r = service.submit(service.auth(), archive, filename="bomb.zip" if make is _bomb_zip else "bomb.tar.gz")
    assert r.status_code == 422, r.text
    problems = r.json()["error"]["details"]["problems"]
    assert [p["code"] for p in problems] == ["too_large_uncompressed"] and problems[0]["items"] == ["001.mp4"]
    assert "20 times its compressed size" in problems[0]["message"]
    assert written == []  # refused from the headers: not a byte was inflated to disk
    assert service.leftovers() == {"incoming": [], "submissions": [], "rows": []}


def test_refused_uploads_count_against_a_per_user_rate(service_factory, scenes, zipper):
    svc = service_factory(refused_uploads_per_hour=2)
    alice, bob = svc.auth("alice"), svc.auth("bob")
    for _ in range(2):
        assert svc.submit(alice, b"not an archive").status_code == 422
    r = svc.submit(alice, zipper(scenes.videos))
    assert r.status_code == 429 and r.json()["error"]["details"] == {
        "quota": "refused_uploads_per_hour", "limit": 2, "used": 2}
    assert r.headers["retry-after"] == "3600"
    assert svc.submit(bob, zipper(scenes.videos)).status_code == 201  # per user
    me = svc.client.get("/api/v1/me", headers=alice).json()
    assert me["quota"]["refused_uploads_last_hour"] == 2 and me["quota"]["refused_uploads_per_hour"] == 2


def test_one_user_sends_a_bounded_number_of_uploads_at_once(live_server, scenes, zipper):
    # Quotas count admitted submissions, so parallel uploads all passed them while being received: one token
    # could fill the disk with as many uploads at once as it opened connections.
    base, settings = live_server(worker=False, concurrent_uploads=1, refused_uploads_per_hour=1)
    with session_scope(make_engine(settings.database_url)) as s:
        users = {n: crud.get_or_create_user(s, name=n) for n in ("alice", "bob")}
        tokens = {n: crud.create_token(s, user=u, name=n, scopes=["submit"])[1] for n, u in users.items()}
    archive = zipper(scenes.videos)
    boundary = "ige-test"
    part = f"--{boundary}\r\nContent-Disposition: form-data; name="
    head = (f'{part}"model"\r\n\r\n{{"name": "slow"}}\r\n{part}"archive"; filename="v.zip"\r\n\r\n').encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    release = threading.Event()

    def slow_body():
        yield head + archive[:1000]
        release.wait(30)
        yield archive[1000:] + tail

    def post(name: str, **kwargs) -> httpx.Response:
        return httpx.post(f"{base}/api/v1/submissions", headers=_bearer(tokens[name]), timeout=60, **kwargs)

    multipart = {"Content-Type": f"multipart/form-data; boundary={boundary}",
                 "Content-Length": str(len(head) + len(archive) + len(tail))}
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(httpx.post, f"{base}/api/v1/submissions", content=slow_body(), timeout=60,
                            headers={**_bearer(tokens["alice"]), **multipart})
        incoming = settings.data_dir / "incoming"
        deadline = time.monotonic() + 10
        while not any(incoming.iterdir()):
            assert time.monotonic() < deadline, "the first upload never arrived"
            time.sleep(0.02)
        for bad in (b"not an archive", archive):  # refused before a byte is read, and not counted as refused
            second = post("alice", files={"archive": ("v.zip", bad)}, data={"model": '{"name": "fast"}'})
            assert second.status_code == 429, second.text
            assert second.json()["error"]["details"] == {"quota": "concurrent_uploads", "limit": 1, "used": 1}
            assert second.headers["retry-after"]
        other = post("bob", files={"archive": ("v.zip", archive)}, data={"model": '{"name": "other"}'})
        assert other.status_code == 201, other.text  # per user
        release.set()
        assert first.result().status_code == 201, first.result().text
    after = post("alice", files={"archive": ("v.zip", archive)}, data={"model": '{"name": "after"}'})
    assert after.status_code == 201, after.text  # the slot is free again

# --------------------------------------------------------------------------------------------- full disk
@pytest.mark.parametrize("where", ["upload", "extraction"])
def test_a_full_disk_is_507_not_the_clients_fault(service, scenes, zipper, monkeypatch, where):
    import server.archive
    import server.uploads

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    if where == "upload":
        monkeypatch.setattr(server.uploads, "write", full)
    else:
        monkeypatch.setattr(server.archive, "_copy", full)
    r = service.submit(service.auth(), zipper(scenes.videos))
    assert r.status_code == 507, r.text
    assert r.json()["error"]["code"] == "insufficient_storage" and r.headers["retry-after"]
    assert service.leftovers() == {"incoming": [], "submissions": [], "rows": []}
    with session_scope(service.engine) as s:  # not counted as the client's refused upload
        assert s.exec(select(models.Refusal)).all() == []


# ----------------------------------------------------------------------------------------- database trouble
class _WriteLock:
    """Another process's write lock on the SQLite database, held until `release` (or for `hold_s` seconds)."""

    def __init__(self, url: str, hold_s: float | None = None):
        self.conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None,
                                    check_same_thread=False)
        self.conn.execute("BEGIN IMMEDIATE")
        if hold_s is not None:
            threading.Timer(hold_s, self.release).start()

    def release(self) -> None:
        if self.conn is not None:
            self.conn.execute("ROLLBACK")
            self.conn.close()
            self.conn = None


_SQL_WORDS = ("INSERT", "UPDATE", "SELECT", "sqlite", "Traceback", "parameters")


def test_a_locked_database_is_503_with_retry_after(service_factory, scenes, zipper):
    svc = service_factory(database_busy_timeout=0.3)
    headers = svc.auth()
    assert svc.client.get("/api/v1/me", headers=headers).status_code == 200  # token use recorded before
    lock = _WriteLock(svc.settings.database_url)
    try:
        r = svc.submit(headers, zipper(scenes.videos))
    finally:
        lock.release()
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "5" and r.json()["error"]["code"] == "unavailable"
    assert not any(w in r.text for w in _SQL_WORDS), r.text
    assert svc.leftovers() == {"incoming": [], "submissions": [], "rows": []}
    assert svc.submit(headers, zipper(scenes.videos)).status_code == 201  # and it works again


def _walk_suite(hook):
    """An `evaluate` scoring every scenario with a fixed record, calling `hook(n)` before each progress."""
    from intergeneval.events import ProgressEvent
    from intergeneval.formats import load_suite

    def evaluate(cfg, *, judge, tracker, detector, progress, should_stop):
        suite = load_suite(cfg.suite)
        for n, sc in enumerate(suite.scenarios, 1):
            if should_stop():
                break
            hook(n)
            rec = {"scenario_id": sc.id, "status": "scored", "scores": {"if": 0.5}}
            progress(ProgressEvent("video", sc.id, done=n, total=len(suite.scenarios), record=rec))
        return {"suite": {"id": suite.suite_id, "version": suite.version, "content_hash": suite.content_hash},
                "fingerprints": {"judge": {"backend": "fake"}, "tracker": {}}, "complete": True,
                "metrics": {"if": {"mean": 0.5, "ci_low": 0.5, "ci_high": 0.5}},
                "videos": {"expected": len(suite.scenarios), "scored": len(suite.scenarios), "failed": 0}}

    return evaluate


@pytest.mark.parametrize("hold_s", [1.0, 2.5], ids=["shorter-than-the-lease", "longer-than-the-lease"])
def test_database_trouble_never_costs_a_job_an_attempt(service_factory, scenes, zipper, hold_s):
    from sqlmodel import create_engine

    from server.worker import Worker

    svc = service_factory(lease_seconds=1.5)
    job_id = svc.submit(svc.auth(), zipper(scenes.videos)).json()["job"]["id"]
    # The worker's own engine, waiting 0.2 s for a lock (the database file is in WAL mode already).
    engine = create_engine(svc.settings.database_url,
                           connect_args={"timeout": 0.2, "check_same_thread": False})

    def lock_before_the_second_video(n: int) -> None:
        if n == 2:
            _WriteLock(svc.settings.database_url, hold_s=hold_s)

    worker = Worker(engine, svc.settings, storage=svc.storage, catalog=svc.app.state.services.catalog,
                    backends={"judge": None, "tracker": None, "detector": None},
                    evaluate=_walk_suite(lock_before_the_second_video))
    assert worker.run_once()
    job = svc.client.get(f"/api/v1/jobs/{job_id}").json()
    if hold_s < svc.settings.lease_seconds:  # the writes waited for the lock: the job went on
        assert (job["status"], job["attempts"], job["error"]) == ("succeeded", 1, None), job
    else:  # gave up after a lease: back to the queue, the attempt not counted, no SQL in the error
        assert (job["status"], job["attempts"]) == ("queued", 0), job
        assert "database was unavailable" in job["error"] and not any(w in job["error"] for w in _SQL_WORDS)
        worker._evaluate = _walk_suite(lambda n: None)
        assert worker.run_once()
        job = svc.client.get(f"/api/v1/jobs/{job_id}").json()
        assert (job["status"], job["attempts"]) == ("succeeded", 1), job
    engine.dispose()


# --------------------------------------------------------------------------------------------- server paths
def test_no_server_path_in_public_fields(service_factory, scenes, zipper, add_jobs_to):
    from server import queue

    svc = service_factory()
    root = str(svc.storage.root)
    # An archive entry whose name the file system refuses: the message named the incoming folder.
    long = zipper(scenes.videos, extra={"x" * 300 + ".mp4": b"v"})
    r = svc.submit(svc.auth(), long)
    assert r.status_code == 422 and root not in r.text and "/incoming/" not in r.text, r.text
    assert "longer than 200 bytes" in r.text
    # A stored video that no longer decodes: the real runner's reason names its file by absolute path.
    admin = svc.auth("root", scopes=("admin",), admin=True)
    job_id = svc.submit(svc.auth("alice"), zipper(scenes.videos)).json()["job"]["id"]
    folder = next((svc.storage.root / "submissions").iterdir())
    for video in folder.glob("*.mp4"):
        video.write_bytes(b"no longer a video")
    from server.worker import Worker

    worker = Worker(svc.engine, svc.settings, storage=svc.storage, catalog=svc.app.state.services.catalog)
    assert worker.run_once()
    with session_scope(svc.engine) as s:  # stored verbatim: nothing the runner recorded is lost
        stored = s.exec(select(models.VideoResult)).first()
        assert root in stored.reason
    for headers in ({}, admin):
        job = svc.client.get(f"/api/v1/jobs/{job_id}", headers=headers)
        results = svc.client.get(f"/api/v1/jobs/{job_id}/results", headers=headers)
        video = svc.client.get(f"/api/v1/jobs/{job_id}/videos/{stored.scenario_id}", headers=headers)
        for answer in (job, results, video):
            assert answer.status_code == 200 and root not in answer.text, answer.text[:500]
    assert job.json()["status"] == "failed" and "no longer a video" not in job.json()["error"]
    assert f"{stored.scenario_id}.mp4" in video.json()["reason"]
    # lease_owner (host:pid of a worker) is for admins only.
    [jid] = add_jobs_to(svc.engine, svc.app.state.services.catalog, 1, owner="carol")
    queue.claim(svc.engine, worker_id="gpu-7:4242", lease_s=60)
    assert svc.client.get(f"/api/v1/jobs/{jid}").json()["lease_owner"] is None
    assert svc.client.get(f"/api/v1/jobs/{jid}", headers=admin).json()["lease_owner"] == "gpu-7:4242"
    # A backend configured by a local folder is shown by its name.
    local = f"{root}/models/qwen-local"
    svc2 = service_factory(judge_options={"answers": str(scenes.answers), "model": local})
    h = svc2.client.get("/api/v1/health")
    assert h.json()["judge"]["model"] == "qwen-local" and root not in h.text


# --------------------------------------------------------------------------------------------- edges
@pytest.fixture
def with_page(service_factory):
    """The service with the leaderboard page mounted at "/" (as `intergeneval serve` runs it)."""
    return service_factory(mount_page=True)


@pytest.mark.parametrize(("method", "path", "status", "allow"), [
    ("get", "/api/v1/nothing-here", 404, None),
    ("post", "/api/v1/jobs/nope/deeper", 404, None),
    ("put", "/api/v1/health", 405, {"GET", "HEAD"}),
    ("post", "/api/v1/jobs/1", 405, {"DELETE", "GET", "HEAD"}),
    ("delete", "/api/v1/leaderboard", 405, {"GET", "HEAD"}),
    ("get", "/api/v1", 404, None),
    ("trace", "/api/v1/health", 405, {"GET", "HEAD"}),
    ("propfind", "/api/v1/jobs/1", 405, {"DELETE", "GET", "HEAD"}),
    ("head", "/api/v1/nothing-here", 404, None),
])
def test_with_the_page_mounted_the_api_answers_its_own_errors(with_page, method, path, status, allow):
    r = with_page.client.request(method.upper(), path)
    assert r.status_code == status and r.headers["content-type"] == "application/json", r.text[:200]
    if method != "head":
        assert r.json()["error"]["code"] == ("not_found" if status == 404 else "method_not_allowed")
    if allow:
        assert set(r.headers["allow"].split(", ")) == allow


def test_security_headers_on_the_api_and_the_page(with_page):
    from server.api.headers import API_CSP, PAGE_CSP

    for path, csp in (("/api/v1/health", API_CSP), ("/api/v1/nothing", API_CSP), ("/", PAGE_CSP)):
        r = with_page.client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
        assert r.headers["content-security-policy"] == csp, path
    assert "frame-ancestors 'none'" in PAGE_CSP and "<html" in with_page.client.get("/").text.lower()


def test_cors_is_off_by_default_and_only_for_configured_origins(service_factory):
    preflight = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "DELETE",
                 "Access-Control-Request-Headers": "authorization"}
    off = service_factory(mount_page=True)
    for r in (off.client.options("/api/v1/jobs/1", headers=preflight),
              off.client.get("/api/v1/health", headers={"Origin": "http://localhost:3000"})):
        assert "access-control-allow-origin" not in r.headers, dict(r.headers)
        assert "access-control-allow-credentials" not in r.headers
    on = service_factory(mount_page=True, cors_origins=["https://lab.example"])
    ok = on.client.options("/api/v1/jobs/1", headers={**preflight, "Origin": "https://lab.example"})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://lab.example"
    assert "access-control-allow-credentials" not in ok.headers
    other = on.client.get("/api/v1/health", headers={"Origin": "http://localhost:3000"})
    assert other.status_code == 200 and "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize("card", [{"name": "m", "public": "yes"}, {"name": "m", "public": 0},
                                  {"name": "m", "link": "javascript:alert(document.cookie)"},
                                  {"name": "m", "link": "data:text/html,<script>alert(1)</script>"}])
def test_model_cards_are_strict_and_links_http(service, scenes, zipper, card):
    r = service.submit(service.auth(), zipper(scenes.videos), card)
    assert r.status_code == 422
    assert [p["code"] for p in r.json()["error"]["details"]["problems"]] == ["model_card"]
    assert service.leftovers() == {"incoming": [], "submissions": [], "rows": []}


def test_model_links_are_http_on_edit_too(service, scenes, zipper):
    headers = service.auth()
    card = {"name": "m", "link": "https://lab.example/m"}
    job = service.submit(headers, zipper(scenes.videos), card).json()
    mid = job["job"]["model_id"]
    bad = service.client.patch(f"/api/v1/models/{mid}", json={"link": "javascript:alert(1)"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
    assert service.client.get(f"/api/v1/models/{mid}").json()["link"] == "https://lab.example/m"


# --------------------------------------------------------------------------------------------- the page
def _gradio_call(client, endpoint: str, data: list) -> tuple[int, str]:
    """Call one of the page's Gradio endpoints as a script would: returns (status of the call, what came
    back: the refusal text, or the event stream's last message)."""
    r = client.post(f"/gradio_api/call/{endpoint}", json={"data": data})
    if r.status_code != 200:
        return r.status_code, r.text
    return 200, client.get(f"/gradio_api/call/{endpoint}/{r.json()['event_id']}").text


def _submit_data(token: str, file: dict | None) -> list:
    # The Submit tab's inputs in order: token, archive, name, organisation, base model, parameters, link,
    # description, public, suite, seed, notes.
    return [token, file, "page-model", "", "", "", "", "", True, None, "", ""]


def _file(path: str) -> dict:
    return {"path": path, "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}


def _copies_of(secret: bytes, *folders: Path) -> list[str]:
    found = []
    for folder in folders:
        for p in folder.rglob("*"):
            if p.is_file() and p.stat().st_size == len(secret) and p.read_bytes() == secret:
                found.append(str(p))
    return found


def test_the_page_never_takes_a_server_path_as_an_upload(live_server, tmp_path, scenes, zipper):
    from gradio.utils import get_upload_folder

    base, settings = live_server(worker=False, mount_page=True)
    with session_scope(make_engine(settings.database_url)) as s:
        user = crud.get_or_create_user(s, name="mallory")
        _, token = crud.create_token(s, user=user, name="mallory", scopes=["submit"])
    secret = zipper(scenes.videos, extra={"secret.txt": os.urandom(64)})
    server_file = tmp_path / "server-side" / "archive.zip"  # a server-side archive, readable by the service
    server_file.parent.mkdir()
    server_file.write_bytes(secret)
    db = Path(settings.database_url.removeprefix("sqlite:///"))
    watched = (Path(get_upload_folder()), settings.data_dir)
    before = {p for folder in watched for p in folder.rglob("*")}  # Gradio's folder is shared by the machine
    with httpx.Client(base_url=base, timeout=60) as client:
        for target in (str(server_file), str(db), "/etc/passwd", "http://127.0.0.1:9/x.zip"):
            status, text = _gradio_call(client, "do_submit", _submit_data(token, _file(target)))
            assert status == 400 and "uploaded from this page" in text, (target, status, text[:300])
        # Any endpoint, any input: a file object naming a server path is refused before Gradio reads it.
        status, _ = _gradio_call(client, "fetch", [_file(str(server_file)), "", ""])
        assert status == 400
        joined = client.post("/gradio_api/queue/join", json={
            "data": _submit_data(token, _file(str(server_file))), "fn_index": 0, "session_hash": "abc123"})
        assert joined.status_code == 400
        # Gradio's file and proxy routes are closed: nothing of the server is served from there.
        for target in (server_file, db, "/etc/passwd"):
            assert client.get(f"/gradio_api/file={target}").status_code == 404
        assert client.get(f"/gradio_api/proxy={base}/api/v1/health").status_code == 404
    assert _copies_of(secret, *watched) == []  # not copied anywhere Gradio or the page keeps files
    new = {p.name for folder in watched for p in folder.rglob("*")} - {p.name for p in before}
    assert not new & {"intergeneval.db", "passwd", "archive.zip", "x.zip"}, new
    with session_scope(make_engine(settings.database_url)) as s:
        assert s.exec(select(Submission)).all() == []


def test_page_uploads_are_bounded_private_and_cleaned(live_server, scenes, zipper):
    base, settings = live_server(worker=False, mount_page=True, max_upload_bytes=400_000)
    folder = settings.data_dir / "page-uploads"
    with session_scope(make_engine(settings.database_url)) as s:
        user = crud.get_or_create_user(s, name="alice")
        _, token = crud.create_token(s, user=user, name="alice", scopes=["submit"])
    archive = zipper(scenes.videos)
    with httpx.Client(base_url=base, timeout=60) as alice, httpx.Client(base_url=base, timeout=60) as other:
        # Too big: refused from the declared length, nothing kept.
        big = alice.post("/gradio_api/upload", files={"files": ("big.zip", os.urandom(500_000))})
        assert big.status_code == 413 and not any(folder.rglob("*.zip"))
        # No length (chunked): refused.
        chunked = alice.post("/gradio_api/upload", content=iter([b"--x\r\n"]),
                             headers={"Content-Type": "multipart/form-data; boundary=x"})
        assert chunked.status_code == 411
        # A good upload: an opaque id, no server path; the browser gets its cookie.
        r = alice.post("/gradio_api/upload", files={"files": ("videos.zip", archive, "application/zip")})
        assert r.status_code == 200 and "ige_page" in r.headers["set-cookie"], r.text
        [uid] = r.json()
        assert uid.startswith("page-upload/") and str(settings.data_dir) not in r.text
        assert len(list(folder.rglob("*.zip"))) == 1
        # Another browser cannot submit it.
        status, text = _gradio_call(other, "do_submit", _submit_data(token, _file(uid)))
        assert status == 200 and "no longer on the server" in text
        # Its own browser can; the upload is deleted once the job exists.
        status, text = _gradio_call(alice, "do_submit", _submit_data(token, _file(uid)))
        assert status == 200 and "queued" in text, text[-500:]
        assert not any(folder.rglob("*.zip"))
        # A second upload replaces the browser's first one.
        first = alice.post("/gradio_api/upload", files={"files": ("a.zip", archive)}).json()[0]
        second = alice.post("/gradio_api/upload", files={"files": ("b.zip", archive)}).json()[0]
        assert [p.name for p in folder.rglob("*.zip")] == ["b.zip"] and first != second
        # Two files in one upload: refused, neither kept.
        two = alice.post("/gradio_api/upload", files=[("files", ("c.zip", b"1")), ("files", ("d.zip", b"2"))])
        assert two.status_code == 400 and {p.name for p in folder.rglob("*.zip")} == {"b.zip"}


def test_page_uploads_hold_one_file_and_small_fields(live_server):
    # Gradio keeps an upload's text fields in memory: a 300 KB field in an anonymous upload grew the server by
    # about three times that (a 4 GiB upload limit let it take the machine).
    base, settings = live_server(worker=False, mount_page=True, max_upload_bytes=2_000_000)
    folder = settings.data_dir / "page-uploads"
    with httpx.Client(base_url=base, timeout=60) as client:
        for data, parts in (({"notes": "x" * 300_000}, 2), ({f"f{i}": "x" for i in range(20)}, 21)):
            r = client.post("/gradio_api/upload", data=data, files={"files": ("v.zip", b"PK" * 100)})
            assert r.status_code == 400 and ("text" in r.text or "parts" in r.text), (parts, r.text)
        assert not any(p.is_file() for p in folder.rglob("*"))
        ok = client.post("/gradio_api/upload", files={"files": ("v.zip", b"PK" * 100)})
        assert ok.status_code == 200 and ok.json()[0].startswith("page-upload/")


def test_concurrent_page_uploads_stay_under_the_pending_cap(live_server):
    # The cap on what may wait counted finished uploads only: eight anonymous uploads at once all passed it.
    base, settings = live_server(worker=False, mount_page=True, max_upload_bytes=100_000)  # cap: 400 000
    folder = settings.data_dir / "page-uploads"
    release = threading.Event()
    size = 90_000

    def upload(i: int) -> int:
        boundary = f"b{i}"
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{i}.zip"\r\n'
                'Content-Type: application/zip\r\n\r\n').encode()
        tail = f"\r\n--{boundary}--\r\n".encode()

        def body():
            yield head + b"P" * 1000
            release.wait(30)
            yield b"P" * (size - 1000) + tail

        r = httpx.post(f"{base}/gradio_api/upload", content=body(), timeout=60, headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + size + len(tail))})
        return r.status_code

    with ThreadPoolExecutor(8) as pool:
        answers = [pool.submit(upload, i) for i in range(8)]
        deadline = time.monotonic() + 10
        while sum(1 for p in folder.rglob("*") if p.is_file()) < 4:  # the first ones are being received
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(1.0)  # and every request has reached the guard
        release.set()
        codes = sorted(a.result() for a in answers)
    assert codes == [200] * 4 + [503] * 4, codes
    assert sum(p.stat().st_size for p in folder.rglob("*.zip")) == 4 * size


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("POST", "/gradio_api/process_recording", {"files": {"video": ("r.mp4", b"anything", "video/mp4")}}),
    ("POST", "/gradio_api/component_server", {"json": {"session_hash": "s", "component_id": 1,
                                                       "fn_name": "ls", "data": None}}),
    ("POST", "/gradio_api/stream/e1", {"json": {}}),
    ("GET", "/gradio_api/vibe-code", {}),
    ("GET", "/monitoring/summary", {}),
    ("POST", "/login", {"data": {"username": "a", "password": "b"}}),
    ("GET", "/gradio_api/file=/etc/passwd", {}),
    ("PUT", "/gradio_api/upload", {}),
])
def test_the_page_serves_only_the_gradio_routes_it_uses(with_page, method, path, kwargs):
    # Gradio's other routes answered anonymous callers: `process_recording` stored and echoed any upload (and
    # ran ffmpeg on it where ffmpeg is installed), `monitoring/summary` described the server's traffic.
    r = with_page.client.request(method, path, **kwargs)
    assert r.status_code == 404, (r.status_code, r.text[:200])


def test_page_bodies_that_are_not_json_are_refused(with_page):
    # Gradio answered a body that is not UTF-8 with a 500 (its validation error could not print it).
    for body in (b'{"data": ["\xff"], "fn_index": 0, "session_hash": "s"}', b"not json at all"):
        for ctype in ("application/json", "text/plain"):
            r = with_page.client.post("/gradio_api/queue/join", content=body, headers={"Content-Type": ctype})
            assert r.status_code == 400, (body, ctype, r.status_code, r.text[:200])
    page = with_page.client.get("/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert with_page.client.get("/config").status_code == 200

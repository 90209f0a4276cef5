"""The service's commands through the `intergeneval` CLI: admin create-token, submit (against a real uvicorn
on loopback), worker, serve (uvicorn.run patched, fastapi-cli style)."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from intergeneval.cli import app
from server import crud
from server.core.db import make_engine

runner = CliRunner()


def _token(settings, name="ci", admin=False) -> str:
    result = runner.invoke(app, ["admin", "create-token", "--name", name, "--database-url", settings.database_url]
                           + (["--admin"] if admin else []))
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def test_create_token_prints_it_last_and_it_authenticates(tmp_path):
    result = runner.invoke(app, ["admin", "create-token", "--name", "bar", "--admin", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("ige_") and (tmp_path / "intergeneval.db").is_file()
    with Session(make_engine(f"sqlite:///{tmp_path / 'intergeneval.db'}")) as s:
        user, row = crud.authenticate(s, token=token)
        assert user.name == "bar" and user.is_admin and row.scope_list == ["submit", "admin"]
    assert token not in (tmp_path / "intergeneval.db").read_bytes().decode("latin-1")  # stored hashed only
    bad = runner.invoke(app, ["admin", "create-token", "--name", "x", "--scopes", "root", "--data-dir", str(tmp_path)])
    assert bad.exit_code == 2 and "unknown scope" in bad.output


def test_submit_and_wait_prints_scores(live_server, scenes):
    base, settings = live_server()
    token = _token(settings)
    result = runner.invoke(app, ["submit", str(scenes.videos), "--server", base, "--token", token, "--model",
                                 "ci-model", "--organisation", "Lab", "--wait", "--poll", "0.1", "--timeout", "60"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith(f"{base}/api/v1/jobs/")
    scores = dict(line.split(None, 1) for line in lines[1:])
    assert list(scores) == ["kisa", "sgi", "spi", "kisa_spi", "sgi_spi", "if"]
    assert "uploading: 100%" in result.stderr
    # Resubmitting the same videos answers with the same job.
    again = runner.invoke(app, ["submit", str(scenes.videos), "--server", base, "--token", token,
                                "--model", "ci-model"])
    assert again.exit_code == 0 and again.stdout.strip() == lines[0] and "existing job" in again.stderr


def test_submit_refused_lists_problems_and_exits_2(live_server, scenes, tmp_path):
    base, settings = live_server()
    token = _token(settings)
    folder = tmp_path / "bad"
    folder.mkdir()
    for p in sorted(scenes.videos.glob("*.mp4"))[1:]:
        (folder / p.name).write_bytes(p.read_bytes())
    (folder / "zzz.mp4").write_bytes(b"not a video")
    result = runner.invoke(app, ["submit", str(folder), "--server", base, "--token", token, "--model", "m"])
    assert result.exit_code == 2
    assert "validation_failed" in result.stderr and "missing_ids" in result.stderr and "unexpected_ids" in result.stderr
    wrong = runner.invoke(app, ["submit", str(scenes.videos), "--server", base, "--token", "nope", "--model", "m"])
    assert wrong.exit_code == 2 and "unauthorized" in wrong.stderr


def test_submit_exits_1_when_the_job_fails(live_server, scenes):
    def broken(cfg, **kw):
        raise RuntimeError("no GPU left")

    base, settings = live_server(max_attempts=1, worker_kwargs={
        "evaluate": broken, "backends": {"judge": None, "tracker": None, "detector": None}})
    token = _token(settings)
    result = runner.invoke(app, ["submit", str(scenes.videos), "--server", base, "--token", token, "--model", "m",
                                 "--wait", "--poll", "0.1", "--timeout", "60"])
    assert result.exit_code == 1 and "failed" in result.stderr and "no GPU left" in result.stderr


def test_worker_command_runs_a_queued_job(tmp_path, scenes, service_factory, zipper):
    svc = service_factory()  # API only: the job waits for the worker command
    jid = svc.submit(svc.auth(), zipper(scenes.videos)).json()["job"]["id"]
    result = runner.invoke(app, [
        "worker", "--database-url", svc.settings.database_url, "--storage", str(svc.storage.root),
        "--data-dir", str(svc.settings.data_dir), "--judge", "scripted", "--judge-option", f"answers={scenes.answers}",
        "--tracker", "replay", "--tracker-option", f"root={scenes.tracks}", "--suite", str(scenes.suite),
        "--profile", "none", "--max-jobs", "1", "--name", "cli", "--log-level", "warning"])
    assert result.exit_code == 0, result.output
    job = svc.client.get(f"/api/v1/jobs/{jid}").json()
    assert job["status"] == "succeeded" and "ran 1 job(s)" in result.stderr


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_builds_the_app_and_calls_uvicorn(tmp_path):
    port = _free_port()  # serve checks that it can listen there before it builds anything
    with mock.patch("uvicorn.run") as run:
        result = runner.invoke(app, ["serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir",
                                     str(tmp_path), "--profile", "tiny", "--no-worker"])
    assert result.exit_code == 0, result.output
    (served,), kwargs = run.call_args
    assert kwargs["host"] == "127.0.0.1" and kwargs["port"] == port
    from fastapi.testclient import TestClient

    with TestClient(served) as client:
        assert client.get("/api/v1/health").json()["profile"] == "tiny"
        assert client.get("/").status_code == 200
    assert served.state.services.settings.profile == "tiny"
    assert served.state.services.settings.database_url == f"sqlite:///{tmp_path / 'intergeneval.db'}"
    assert (tmp_path / "intergeneval.db").is_file() and Path(tmp_path / "incoming").is_dir()


def test_help_names_the_documented_options():
    for cmd, opts in {"serve": ["--host", "--port", "--data-dir", "--database-url", "--profile", "--storage"],
                      "worker": ["--database-url", "--storage", "--profile", "--judge"],
                      "submit": ["--server", "--token", "--model", "--suite", "--wait"]}.items():
        out = runner.invoke(app, [cmd, "--help"], env={"COLUMNS": "200"}).output
        assert all(o in out for o in opts), (cmd, out)
    out = runner.invoke(app, ["admin", "create-token", "--help"], env={"COLUMNS": "200"}).output
    assert all(o in out for o in ("--name", "--admin", "--scopes", "--data-dir", "--database-url"))


def test_an_incomplete_job_exits_1_listing_its_videos_and_retry_scores_the_rest(live_server, scenes,
                                                                                 flaky_backends):
    broken = sorted(p.stem for p in scenes.videos.glob("*.mp4"))[:1]
    backends = flaky_backends(broken)
    base, settings = live_server(worker_kwargs={"backends": backends})
    token = _token(settings)
    result = runner.invoke(app, ["submit", str(scenes.videos), "--server", base, "--token", token, "--model",
                                 "m", "--wait", "--poll", "0.1", "--timeout", "60"])
    assert result.exit_code == 1 and "incomplete" in result.stderr, result.output
    assert f"not scored {broken[0]}: judge_error" in result.stderr and "intergeneval retry" in result.stderr
    job_id = result.stdout.strip().splitlines()[0].rsplit("/", 1)[-1]
    backends["judge"].broken.clear()  # the judge recovered
    again = runner.invoke(app, ["retry", job_id, "--server", base, "--token", token, "--wait", "--poll", "0.1",
                                "--timeout", "60"])
    assert again.exit_code == 0, again.output
    assert [line.split()[0] for line in again.stdout.strip().splitlines()[1:]] == [
        "kisa", "sgi", "spi", "kisa_spi", "sgi_spi", "if"]
    twice = runner.invoke(app, ["retry", job_id, "--server", base, "--token", token])
    assert twice.exit_code == 2 and "conflict" in twice.stderr  # succeeded: nothing to retry

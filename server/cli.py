"""The service's commands, plugged into `intergeneval` through the `intergeneval.commands` entry point.

    intergeneval serve [--host 127.0.0.1] [--port 8000] [--data-dir DIR] [--database-url URL] [--profile …]
    intergeneval worker --database-url URL [--storage DIR] [--profile …] [--judge …]
    intergeneval admin create-token --name NAME [--admin] [--scopes submit,admin] [--data-dir DIR | --database-url URL]
    intergeneval admin list-tokens [--user NAME] / revoke-token (--id N | --token T | --user NAME)
    intergeneval submit VIDEOS --server URL --token T --model NAME [--suite …] [--wait]

Each command builds `Settings` and calls one service function; errors are caught here only.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from intergeneval.errors import ConfigError

log = logging.getLogger(__name__)

admin_app = typer.Typer(help="Administer the service's database (tokens).", no_args_is_help=True)


@admin_app.callback()
def _admin() -> None:
    """Administer the service's database (tokens)."""
    _require("admin")


def _err(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


#: What each command needs beyond the core install, and the extra that brings it.
_NEEDS = {"serve": ("server", ("fastapi", "uvicorn", "sqlmodel", "pydantic_settings", "multipart")),
          "worker": ("server", ("sqlmodel", "pydantic_settings")),
          "admin": ("server", ("sqlmodel", "pydantic_settings")),
          "submit": ("client", ("httpx",))}


def _require(command: str) -> None:
    """Exit 2 naming the extra to install when `command`'s packages are missing (a core install)."""
    import importlib.util

    extra, modules = _NEEDS[command]
    missing = []
    for m in modules:
        try:
            found = importlib.util.find_spec(m) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(m)
    if missing:
        raise _err(f"`intergeneval {command}` needs packages that are not installed ({', '.join(missing)}): "
                   f"pip install 'intergeneval[{extra}]'")


def _options(pairs: list[str] | None, flag: str) -> dict[str, Any]:
    """`key=value` options (see `parse_options`); a malformed one is a usage error."""
    from intergeneval.runconfig import parse_options

    try:
        return parse_options(pairs, flag)
    except ConfigError as e:
        raise _err(str(e)) from None


def _settings(**overrides: Any):
    """Settings from the environment, with every option given on the command line taking precedence."""
    from pydantic import ValidationError

    from .core.config import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None and v != [] and v != {}})
    except ValidationError as e:
        raise _err(f"invalid settings: {e}") from None


DataDir = Annotated[Path | None, typer.Option(help="Data dir: SQLite database and storage "
                                              "(default ./intergeneval-data).")]
DatabaseUrl = Annotated[str | None, typer.Option(help="SQLAlchemy database URL (e.g. postgresql+psycopg://u@host/db).")]
Storage = Annotated[Path | None, typer.Option(help="Storage dir every worker mounts (default: the data dir).")]
Profile = Annotated[str | None, typer.Option(help="Model profile for scoring: default, tiny, or none (only the "
                                             "backends named with --judge/--tracker).")]
Judge = Annotated[str | None, typer.Option(help="Judge backend (overrides the profile's).")]
JudgeOption = Annotated[list[str] | None, typer.Option(help="Judge option key=value (repeatable).")]
Tracker = Annotated[str | None, typer.Option(help="Tracker backend (overrides the profile's).")]
TrackerOption = Annotated[list[str] | None, typer.Option(help="Tracker option key=value (repeatable).")]
Suite = Annotated[list[str] | None, typer.Option("--suite", help="Suite file/folder/shipped name to offer "
                                                 "(repeatable; default: shipped suites + the demo suite).")]


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    storage: Storage = None,
    profile: Profile = None,
    judge: Judge = None,
    judge_option: JudgeOption = None,
    tracker: Tracker = None,
    tracker_option: TrackerOption = None,
    suite: Suite = None,
    worker: Annotated[bool, typer.Option(help="Run one in-process worker (the embedded default).")] = True,
    log_level: Annotated[str, typer.Option(help="Logging level.")] = "info",
) -> None:
    """Run the API, the leaderboard page and one worker (SQLite under --data-dir unless --database-url)."""
    _require("serve")
    import uvicorn

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings(data_dir=data_dir, database_url=database_url, storage=storage, profile=profile,
                         judge=judge, judge_options=_options(judge_option, "--judge-option"), tracker=tracker,
                         tracker_options=_options(tracker_option, "--tracker-option"), suites=suite)
    from .main import create_app

    taken = _cannot_listen(host, port)
    if taken:  # before the app, its database and its worker are built (uvicorn said it after, and exit 3)
        raise _err(f"cannot listen on {host}:{port}: {taken}")
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    try:
        app = create_app(settings, start_worker=worker, api_base=f"http://{local}:{port}")
    except Exception as e:  # a database or suite that cannot be used: say so, do not print a traceback
        raise _err(f"cannot start the service: {type(e).__name__}: {e}", 1) from None
    typer.echo(f"InterGenEval service on http://{local}:{port} (database {settings.database_url.split('@')[-1]}, "
               f"storage {settings.storage_dir})", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level.lower())


def _cannot_listen(host: str, port: int) -> str | None:
    """Why the service could not listen on (host, port), e.g. "Address already in use"; None when it can."""
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            s.bind(address)
    except OSError as e:  # socket.gaierror too: a host name that does not resolve
        hint = " (another service is there: stop it or choose --port)" if e.errno == errno.EADDRINUSE else ""
        return f"{e.strerror or e}{hint}"
    return None


def worker(
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    storage: Storage = None,
    profile: Profile = None,
    judge: Judge = None,
    judge_option: JudgeOption = None,
    tracker: Tracker = None,
    tracker_option: TrackerOption = None,
    suite: Suite = None,
    name: Annotated[str | None, typer.Option(help="Worker name shown as the jobs' lease owner.")] = None,
    max_jobs: Annotated[int | None, typer.Option(help="Exit after this many jobs.")] = None,
    lease: Annotated[float | None, typer.Option(help="Lease seconds (default from settings).")] = None,
    judge_wait: Annotated[float, typer.Option(help="With the openai judge: wait up to this many seconds for "
                                              "its server to answer before starting (0: do not wait).")] = 900.0,
    log_level: Annotated[str, typer.Option(help="Logging level.")] = "info",
) -> None:
    """Claim and score jobs from the database queue; models are loaded once and kept for every job.

    With the `openai` judge, the worker first waits until the judge's server answers (a vLLM server takes
    minutes to load its model), so no job fails for a judge that is still starting."""
    _require("worker")
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings(data_dir=data_dir, database_url=database_url, storage=storage, profile=profile,
                         judge=judge, judge_options=_options(judge_option, "--judge-option"), tracker=tracker,
                         tracker_options=_options(tracker_option, "--tracker-option"), suites=suite,
                         lease_seconds=lease)
    from .core.db import make_engine
    from .core.migrations import init_db
    from .worker import Worker, default_worker_id

    url = judge_url(settings.judge, settings.judge_options)
    if url and judge_wait > 0:
        typer.echo(f"waiting for the judge at {url} (up to {judge_wait:g} s)", err=True)
        if not wait_until_ready(url, timeout_s=judge_wait):
            raise _err(f"the judge at {url} did not answer within {judge_wait:g} s", 1)
    try:
        engine = make_engine(settings.database_url, busy_timeout_s=settings.database_busy_timeout)
        init_db(engine)
        w = Worker(engine, settings, worker_id=default_worker_id(name or ""))
        w.backends()  # load the models now, so a broken set-up fails before the first claim
    except Exception as e:
        raise _err(f"cannot start the worker: {type(e).__name__}: {e}", 1) from None
    stop = threading.Event()

    def _graceful(signum: int, _frame: Any) -> None:
        log.info("signal %d: stopping after the current video", signum)
        stop.set()
        w.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _graceful)
    typer.echo(f"worker {w.worker_id} polling {settings.database_url.split('@')[-1]}", err=True)
    n = w.run(stop, max_jobs=max_jobs)
    typer.echo(f"worker {w.worker_id} ran {n} job(s)", err=True)


@admin_app.command("create-token")
def create_token(
    name: Annotated[str, typer.Option(help="User (and token) name; the user is created if new.")],
    admin: Annotated[bool, typer.Option("--admin", help="Give this token the admin scope (and submit).")
                     ] = False,
    scopes: Annotated[str | None, typer.Option(help="Comma-separated scopes: submit, admin, label (default: "
                                               "submit; with --admin: submit,admin).")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an API token; the token is printed alone on the last line (it is stored only hashed).

    Scopes belong to the token: the user's other tokens keep their own."""
    settings = _settings(data_dir=data_dir, database_url=database_url)
    from . import crud
    from .core.db import make_engine, session_scope
    from .core.migrations import init_db

    wanted = [s.strip() for s in (scopes or ("submit,admin" if admin else "submit")).split(",") if s.strip()]
    try:
        engine = make_engine(settings.database_url)
        init_db(engine)
        with session_scope(engine) as session:
            user = crud.get_or_create_user(session, name=name, is_admin=admin or "admin" in wanted)
            token, plain = crud.create_token(session, user=user, name=name, scopes=wanted)
            scopes_text = token.scopes
    except ValueError as e:
        raise _err(str(e)) from None
    except Exception as e:
        raise _err(f"cannot create the token: {type(e).__name__}: {e}", 1) from None
    typer.echo(f"token for {name!r} (scopes {scopes_text}); it is shown once:", err=True)
    typer.echo(plain)


def _admin_engine(data_dir: Path | None, database_url: str | None):
    settings = _settings(data_dir=data_dir, database_url=database_url)
    from .core.db import make_engine
    from .core.migrations import init_db

    try:
        engine = make_engine(settings.database_url)
        init_db(engine)
    except Exception as e:
        raise _err(f"cannot open the database: {type(e).__name__}: {e}", 1) from None
    return engine


def _token_line(t: Any) -> str:
    state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
    return f"{t.id:>5}  {t.user:<20} {t.name:<20} {','.join(t.scopes):<13} {t.prefix}…  {state}"


@admin_app.command("list-tokens")
def list_tokens(
    user: Annotated[str | None, typer.Option(help="Only this user's tokens.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """List tokens: id, user, name, scopes, first characters, active or revoked (never the secrets)."""
    from . import crud
    from .core.db import session_scope

    with session_scope(_admin_engine(data_dir, database_url)) as session:
        rows = [crud.token_public(session, t) for t in crud.find_tokens(session, user=user)]
    typer.echo(f"{'id':>5}  {'user':<20} {'name':<20} {'scopes':<13} prefix     state")
    for t in rows:
        typer.echo(_token_line(t))


@admin_app.command("revoke-token")
def revoke_token(
    token_id: Annotated[int | None, typer.Option("--id", help="The token's id (see list-tokens).")] = None,
    token: Annotated[str | None, typer.Option(help="The token itself (e.g. one that leaked).")] = None,
    user: Annotated[str | None, typer.Option(help="Every token of this user.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke tokens by id, by value or every token of a user; later requests with them are 401."""
    if token_id is None and token is None and user is None:
        raise _err("name the token(s) to revoke: --id N, --token T or --user NAME")
    from . import crud
    from .core.db import session_scope

    with session_scope(_admin_engine(data_dir, database_url)) as session:
        plain = token.strip() if token else None
        found = crud.find_tokens(session, token_id=token_id, user=user, plain=plain)
        if not found:
            raise _err("no token matches", 1)
        rows = [crud.token_public(session, t) for t in crud.revoke_tokens(session, found)]
    for t in rows:
        typer.echo(_token_line(t))
    typer.echo(f"revoked {len(rows)} token(s)", err=True)


def judge_url(judge: str | None, options: dict[str, Any]) -> str | None:
    """The URL that answers when an `openai` judge's server is ready (`<base_url>/models`), else None."""
    import os

    from intergeneval.judges.openai_chat import ENV_BASE_URL

    base = options.get("base_url") or os.environ.get(ENV_BASE_URL)
    return f"{str(base).rstrip('/')}/models" if judge == "openai" and base else None


def wait_until_ready(url: str, *, timeout_s: float, poll_s: float = 5.0) -> bool:
    """Poll `url` until its server answers below 500 (True: up, even if it wants a key) or `timeout_s` passes
    (False). No connection and 5xx answers (a server still loading its model) mean wait."""
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10):  # noqa: S310 - the configured judge URL
                return True
        except urllib.error.HTTPError as e:
            if e.code < 500:
                return True
        except (urllib.error.URLError, OSError, ValueError):
            pass
        if time.monotonic() + poll_s > deadline:
            return False
        time.sleep(poll_s)


def submit(
    videos: Annotated[Path, typer.Argument(help="Folder of <scenario id>.mp4 files, or a zip/tar of them.")],
    server: Annotated[str, typer.Option(envvar="INTERGENEVAL_SERVER", help="Server URL.")],
    token: Annotated[str, typer.Option(envvar="INTERGENEVAL_TOKEN", help="API token (or INTERGENEVAL_TOKEN).")],
    model: Annotated[str, typer.Option(help="Model name.")],
    suite: Annotated[str | None, typer.Option(help="Suite id (default: the server's default).")] = None,
    model_card: Annotated[Path | None, typer.Option(help="JSON file with more model card fields "
                                                    "(organisation, base_model, parameters, link, ...).")] = None,
    organisation: Annotated[str | None, typer.Option(help="Organisation.")] = None,
    private: Annotated[bool, typer.Option("--private", help="Keep the model off the public leaderboard.")] = False,
    settings_file: Annotated[Path | None, typer.Option("--settings", help="JSON file of generation settings "
                                                       "(seed, resolution, frames, fps, notes).")] = None,
    idempotency_key: Annotated[str | None, typer.Option(help="Idempotency-Key for safe retries.")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Poll until the job is done and print its scores.")] = False,
    poll: Annotated[float, typer.Option(help="Seconds between polls with --wait.")] = 5.0,
    timeout: Annotated[float | None, typer.Option(help="Give up waiting after this many seconds.")] = None,
) -> None:
    """Upload videos for scoring (for CI): prints the job URL; with --wait, the scores. Exit 1 if the job failed.

    Needs only the light `client` extra (httpx). While waiting, a server that answers 502/503/504 or cannot
    be reached is asked again with growing pauses (a restart or a proxy hiccup does not end the wait)."""
    _require("submit")
    from .client import SubmitClient, SubmitError

    if not videos.exists():  # an input error (exit 2), found before anything is packed or sent
        raise _err(f"{videos}: no such folder or archive")
    card: dict[str, Any] = {}
    try:
        if model_card is not None:
            card = json.loads(model_card.read_text(encoding="utf-8"))
        settings = json.loads(settings_file.read_text(encoding="utf-8")) if settings_file else None
    except (OSError, json.JSONDecodeError) as e:
        raise _err(f"cannot read a JSON file: {e}") from None
    card["name"] = model
    if organisation:
        card["organisation"] = organisation
    if private:
        card["public"] = False
    client = SubmitClient(server, token=token) if server.startswith(("http://", "https://")) else None
    if client is None:
        raise _err(f"--server must be an http(s) URL, got {server!r}")
    shown = {"pct": -1}

    def progress(done: int, total: int) -> None:
        pct = int(100 * done / total) if total else 100
        if pct >= shown["pct"] + 10 or (done == total and shown["pct"] != pct):
            shown["pct"] = pct
            typer.echo(f"uploading: {pct}% ({done}/{total} bytes)", err=True)

    try:
        created = client.submit(videos, model=card, suite=suite, settings=settings,
                                idempotency_key=idempotency_key, progress=progress)
        job = created["job"]
        url = f"{client.server}{job['links']['self']}"
        typer.echo(f"{'existing' if created.get('duplicate') else 'new'} job {job['id']}: {job['status']}", err=True)
        typer.echo(url)
        if not wait:
            return
        last = {"s": None}

        def update(j: dict[str, Any]) -> None:
            line = f"job {j['id']}: {j['status']} {j['progress']['done']}/{j['progress']['total']}"
            if line != last["s"]:
                last["s"] = line
                typer.echo(line, err=True)

        def retry(why: str, pause: float) -> None:
            typer.echo(f"job {job['id']}: server answered {why}; asking again in {pause:g} s", err=True)

        job = client.wait(job["id"], poll_s=poll, timeout_s=timeout, on_update=update, on_retry=retry)
    except SubmitError as e:
        typer.echo(f"error: {e}", err=True)
        for p in e.problems:
            items = f" [{', '.join(map(str, p.get('items', [])[:10]))}]" if p.get("items") else ""
            typer.echo(f"  - {p.get('code')}: {p.get('message')}{items}", err=True)
        raise typer.Exit(2 if e.status and 400 <= e.status < 500 else 1) from None
    finally:
        client.close()
    _print_job_end(job)


def _print_job_end(job: dict[str, Any]) -> None:
    """A finished job's scores; exit 1 unless it succeeded (an incomplete job lists its failed videos)."""
    if job["status"] != "succeeded":
        typer.echo(f"job {job['id']} {job['status']}: {job.get('error') or ''}", err=True)
        for f in job.get("failed_videos") or []:
            typer.echo(f"  not scored {f.get('scenario_id')}: {f.get('status')}: {f.get('reason')}", err=True)
        if job["status"] == "incomplete":
            typer.echo(f"retry the failed videos: intergeneval retry {job['id']}", err=True)
        raise typer.Exit(1)
    scores = job.get("scores") or {}
    for m in ("kisa", "sgi", "spi", "kisa_spi", "sgi_spi", "if"):
        s = scores.get(m) or {}
        if s.get("mean") is None:
            typer.echo(f"{m:9s} —")
        elif s.get("ci_low") is None:  # one video: no CI
            typer.echo(f"{m:9s} {s['mean']:.4f}")
        else:
            typer.echo(f"{m:9s} {s['mean']:.4f}  [{s['ci_low']:.4f}, {s['ci_high']:.4f}]")


def retry(
    job_id: Annotated[int, typer.Argument(help="The incomplete or failed job to retry.", min=1)],
    server: Annotated[str, typer.Option(envvar="INTERGENEVAL_SERVER", help="Server URL.")],
    token: Annotated[str, typer.Option(envvar="INTERGENEVAL_TOKEN", help="API token.")],
    wait: Annotated[bool, typer.Option("--wait", help="Poll until the job is done; print its scores.")] = False,
    poll: Annotated[float, typer.Option(help="Seconds between polls with --wait.")] = 5.0,
    timeout: Annotated[float | None, typer.Option(help="Give up waiting after this many seconds.")] = None,
) -> None:
    """Requeue an incomplete (or failed) job: only its videos that were not scored are computed again."""
    from .client import SubmitClient, SubmitError

    try:
        client = SubmitClient(server, token=token)
    except SubmitError as e:
        raise _err(str(e)) from None
    try:
        job = client.retry(job_id)
        typer.echo(f"job {job['id']}: {job['status']}", err=True)
        typer.echo(f"{client.server}{job['links']['self']}")
        if not wait:
            return
        job = client.wait(job_id, poll_s=poll, timeout_s=timeout)
    except SubmitError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2 if e.status and 400 <= e.status < 500 else 1) from None
    finally:
        client.close()
    _print_job_end(job)


def register(app: typer.Typer) -> None:
    """Add `serve`, `worker`, `admin`, `submit` and `retry` to the `intergeneval` command."""
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.command("submit")(submit)
    app.command("retry")(retry)
    app.add_typer(admin_app, name="admin")


def main() -> None:  # pragma: no cover - `python -m server.cli` when the entry point is not installed yet
    """Run the service's commands alone."""
    app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
    register(app)
    app(prog_name="intergeneval")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

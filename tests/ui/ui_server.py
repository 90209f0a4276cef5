"""A real `intergeneval serve` for the browser tests: started on a free port over a temporary SQLite data dir,
with a token made by `intergeneval admin create-token` and results seeded through the service's own functions.

The server scores with the scripted judge and the replay tracker reading the ground truth of its own demo
suite (`DATA/suites/demo`, built by `intergeneval.synthetic.make_scene_set` at start), so a submitted job
finishes in about a second and its evidence holds real frames and answers.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
# The installed `intergeneval` command beside this interpreter (the one users run), else the same app via -c.
_SCRIPT = Path(sys.executable).with_name("intergeneval")
CLI = ([str(_SCRIPT)] if _SCRIPT.exists()
       else [sys.executable, "-c", "from intergeneval.cli import app; app()"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def profile_args() -> list[str]:
    """`--profile tiny` when the tiny profile exists; the scripted judge and replay tracker win either way."""
    if importlib.util.find_spec("intergeneval.profiles") is not None:
        return ["--profile", "tiny"]
    return ["--profile", ""]  # no profile module yet: only the named backends


@dataclass
class Served:
    """A running server: its URL, data dir, an admin token and the process."""

    base: str
    data: Path
    token: str
    process: subprocess.Popen
    log: Path

    def api(self, path: str, **kwargs: Any) -> Any:
        r = httpx.get(self.base + "/api/v1" + path, timeout=30, **kwargs)
        r.raise_for_status()
        return r.json()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start(data: Path, *, timeout: float = 90.0) -> Served:
    """Start `intergeneval serve` and wait for /api/v1/health; create an admin token."""
    port = free_port()
    demo = data / "suites" / "demo"
    log = data / "server.log"
    cmd = [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data),
           *profile_args(),
           "--judge", "scripted", "--judge-option", f"answers={demo / 'answers.json'}",
           "--tracker", "replay", "--tracker-option", f"root={demo / 'tracks'}", "--log-level", "warning"]
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"intergeneval serve exited with {proc.returncode}:\n"
                               f"{log.read_text()[-3000:]}")
        try:
            if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError(f"intergeneval serve did not answer within {timeout} s:\n"
                           f"{log.read_text()[-3000:]}")
    made = subprocess.run([*CLI, "admin", "create-token", "--name", "ui-tester", "--admin",
                           "--data-dir", str(data)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    if made.returncode != 0:
        proc.kill()
        raise RuntimeError(f"create-token failed: {made.stderr}")
    return Served(base, data, made.stdout.strip().splitlines()[-1], proc, log)


def seed_result(data: Path, *, name: str, organisation: str, suite: dict[str, Any], judge: dict[str, Any],
                if_target: float, n: int = 10, seed: int = 0, failed: int = 0) -> int:
    """A finished job with a summary made by the library's own aggregation, stored with the service's crud:
    succeeded, or incomplete when `failed` of its `n` videos were not scored (judge errors).

    Args:
        data: the server's data dir (its SQLite database).
        name: model name.
        organisation: model organisation.
        suite: an API suite body (`suite_id`, `version`, `content_hash`).
        judge: the judge fingerprint to group under.
        if_target: the IF the per-video scores scatter around.
        n: videos.
        seed: scatter seed.
        failed: videos not scored (the job is then `incomplete`).

    Returns:
        The job id.
    """
    from intergeneval import config
    from intergeneval.metrics.aggregate import METRICS, aggregate, per_category, rates
    from server import crud
    from server.core.db import make_engine, session_scope
    from server.models import Job, JobStatus, ModelCreate, Submission, utcnow

    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n - failed):
        kisa = float(np.clip(if_target + rng.normal(0, 0.04), 0, 1))
        sgi = float(np.clip(if_target + rng.normal(0, 0.04), 0, 1))
        rows.append({"kisa": kisa, "sgi": sgi, "spi": 1.0, "kisa_spi": kisa, "sgi_spi": sgi,
                     "if": (kisa + sgi) / 2,
                     "interaction_type": config.INTERACTION_TYPES[i % len(config.INTERACTION_TYPES)],
                     "pairing": config.HUMAN_PAIRINGS[i % len(config.HUMAN_PAIRINGS)]})
    summary = {"protocol": config.PROTOCOL_ID, "complete": True, "metric_names": list(METRICS),
               "suite": {"id": suite["suite_id"], "version": suite["version"],
                         "content_hash": suite["content_hash"]},
               "fingerprints": {"judge": judge, "tracker": {"backend": "seeded"}, "detector": None},
               "videos": {"expected": n, "scored": n - failed, "failed": failed,
                          "failures": [{"scenario_id": f"v{i:03d}", "status": "judge_error",
                                        "reason": "out of GPU memory"} for i in range(n - failed, n)]},
               "metrics": aggregate(rows), "diagnostics": rates(rows, expected=n),
               "comparable": not failed,
               "categories": {k: per_category(rows, k) for k in ("interaction_type", "pairing")}}
    engine = make_engine(f"sqlite:///{data / 'intergeneval.db'}")
    try:
        with session_scope(engine) as s:
            user = crud.get_or_create_user(s, name="ui-seeder")
            model = crud.upsert_model(s, owner=user, card=ModelCreate(name=name, organisation=organisation))
            sub = Submission(owner_id=user.id, model_id=model.id, suite_id=suite["suite_id"],
                             suite_version=suite["version"], suite_hash=suite["content_hash"],
                             content_hash=f"seeded-{name}", folder="seeded", num_videos=n)
            s.add(sub)
            s.flush()
            now = utcnow()
            job = Job(submission_id=sub.id, model_id=model.id, owner_id=user.id, suite_id=suite["suite_id"],
                      suite_version=suite["version"], suite_hash=suite["content_hash"],
                      status="incomplete" if failed else JobStatus.succeeded,
                      attempts=1, progress_done=n, progress_total=n, started_at=now, finished_at=now)
            s.add(job)
            s.flush()
            crud.store_summary(s, job_id=job.id, summary=summary)
            return int(job.id)
    finally:
        engine.dispose()

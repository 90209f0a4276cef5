"""Workers: end to end with the real runner (scripted judge + replay tracker), progress, cancel, retries,
a worker killed with SIGKILL mid-job, and 4 workers × 200 jobs on Postgres each run exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from intergeneval.judges.scripted import ScriptedJudge
from intergeneval.tracking.replay import ReplayTracker
from server.core.db import make_engine
from server.core.migrations import init_db
from server.models import Job, JobSummary, VideoResult
from server.suites import SuiteCatalog
from server.worker import Worker

from intergeneval.events import ProgressEvent


def _fake_evaluate(delay: float = 0.0, fail_with: str | None = None, runs: list | None = None):
    """A stand-in for `runner.evaluate` that walks the suite's scenarios like the runner does."""
    from intergeneval.formats import load_suite

    def evaluate(cfg, *, judge, tracker, detector, progress, should_stop) -> dict[str, Any]:
        if runs is not None:
            runs.append(cfg.out.name)
        if fail_with:
            raise RuntimeError(fail_with)
        suite = load_suite(cfg.suite)
        done = []
        for n, sc in enumerate(suite.scenarios, 1):
            if should_stop():
                break
            time.sleep(delay)
            rec = {"scenario_id": sc.id, "status": "scored", "scores": {"if": 0.5},
                   "category": {"interaction_type": sc.interaction_type, "pairing": sc.pairing}}
            done.append(rec)
            progress(ProgressEvent("video", sc.id, done=n, total=len(suite.scenarios), record=rec))
        complete = len(done) == len(suite.scenarios)
        return {"suite": {"id": suite.suite_id, "version": suite.version, "content_hash": suite.content_hash},
                "protocol": "intergeneval-v1", "fingerprints": {"judge": {"backend": "fake"}, "tracker": {}},
                "metrics": {"if": {"mean": 0.5, "ci_low": 0.5, "ci_high": 0.5}}, "complete": complete,
                "videos": {"expected": len(suite.scenarios), "scored": len(done), "failed": 0}}

    return evaluate


_NO_BACKENDS = {"judge": None, "tracker": None, "detector": None}


# --------------------------------------------------------------------------------------------- end to end
def test_end_to_end_real_runner_results_evidence_leaderboard(service_factory, scenes, zipper):
    svc = service_factory(worker=True)
    headers = svc.auth()
    r = svc.submit(headers, zipper(scenes.videos), {"name": "m1", "organisation": "Lab"})
    job = svc.wait(r.json()["job"]["id"])
    assert job["status"] == "succeeded", job
    assert job["progress"] == {"done": 6, "total": 6} and job["attempts"] == 1
    assert set(job["scores"]) == {"kisa", "sgi", "spi", "kisa_spi", "sgi_spi", "if"}
    res = svc.client.get(job["links"]["results"]).json()
    summary = json.loads((svc.storage.job_dir(job["id"]) / "summary.json").read_text())
    assert res["summary"]["raw"] == summary
    assert res["summary"]["metrics"]["if"] == {k: summary["metrics"]["if"][k] for k in ("mean", "ci_low", "ci_high")}
    assert res["summary"]["videos"]["scored"] == 6 and res["summary"]["partial"] is False
    assert res["summary"]["fingerprints"]["judge_label"].startswith("scripted:answers.json@")
    per_video = [json.loads(line) for line in
                 (svc.storage.job_dir(job["id"]) / "per_video.jsonl").read_text().splitlines()]
    assert [v["scenario_id"] for v in res["videos"]] == [p["scenario_id"] for p in per_video]
    v = res["videos"][0]
    assert v["metrics"]["if"] == per_video[0]["scores"]["if"]
    assert len(v["answers"]) == 10
    assert {"slot", "question", "answer", "frame", "key_interaction"} <= set(v["answers"][0])
    assert v["sampled_frames"] == [0, 5, 10, 15, 16] and len(v["evidence"]) == 5
    img = svc.client.get(v["evidence"][0]["url"])
    assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg" and img.content[:2] == b"\xff\xd8"
    sneaky = f"/api/v1/jobs/{job['id']}/evidence/{v['scenario_id']}/..%2F..%2Fsummary.json"
    assert svc.client.get(sneaky).status_code == 404
    one = svc.client.get(v["links"]["self"]).json()
    assert one["scenario_id"] == v["scenario_id"]
    # The vanishing/appearing scenes carry their flagged frames.
    flagged = {x["scenario_id"]: (x["emergence_frames"], x["disappearance_frames"]) for x in res["videos"]}
    assert any(e for e, _ in flagged.values()) and any(d for _, d in flagged.values())
    board = svc.client.get("/api/v1/leaderboard?include_reference=false").json()
    assert [r["model_name"] for r in board["rows"]] == ["m1"] and board["rows"][0]["rank"] == 1
    assert board["rows"][0]["coverage"] == {"scored": 6, "expected": 6, "ratio": 1.0}
    csv = svc.client.get("/api/v1/leaderboard?format=csv&include_reference=false")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[1].startswith("1,1,False,m1,Lab")


def test_progress_is_stored_video_by_video_and_cancel_stops_at_the_next_video(service_factory, scenes, zipper):
    svc = service_factory(worker=True, lease_seconds=0.6,
                          worker_kwargs={"evaluate": _fake_evaluate(delay=0.15), "backends": _NO_BACKENDS})
    headers = svc.auth()
    jid = svc.submit(headers, zipper(scenes.videos)).json()["job"]["id"]
    deadline = time.monotonic() + 20
    while svc.client.get(f"/api/v1/jobs/{jid}").json()["progress"]["done"] < 2:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    partial = svc.client.get(f"/api/v1/jobs/{jid}/results").json()
    assert 2 <= len(partial["videos"]) < 6 and partial["summary"] is None
    r = svc.client.delete(f"/api/v1/jobs/{jid}", headers=headers)
    assert r.json()["cancel_requested"] is True
    job = svc.wait(jid)
    assert job["status"] == "cancelled" and job["progress"]["done"] < 6
    res = svc.client.get(f"/api/v1/jobs/{jid}/results").json()
    assert res["summary"]["partial"] is True and len(res["videos"]) == job["progress"]["done"]
    # A cancelled job's model is not on the leaderboard.
    assert svc.client.get("/api/v1/leaderboard?include_reference=false").json()["rows"] == []


def test_failures_are_retried_then_failed_with_the_last_error(service_factory, scenes, zipper):
    runs: list[str] = []
    svc = service_factory(worker=True, max_attempts=2,
                          worker_kwargs={"evaluate": _fake_evaluate(fail_with="judge server down", runs=runs),
                                         "backends": _NO_BACKENDS})
    jid = svc.submit(svc.auth(), zipper(scenes.videos)).json()["job"]["id"]
    job = svc.wait(jid)
    assert job["status"] == "failed" and job["attempts"] == 2 and len(runs) == 2
    assert "RuntimeError: judge server down" in job["error"]


def test_a_job_for_a_suite_the_worker_lacks_fails_clearly(tmp_path, scenes, scene_suite, add_jobs_to, make_settings):
    from intergeneval.formats import load_suite

    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    init_db(engine)
    (jid,) = add_jobs_to(engine, SuiteCatalog([scene_suite]), 1, max_attempts=1)
    other = SuiteCatalog([load_suite("intergeneval-open-v1")])
    w = Worker(engine, make_settings(tmp_path, scenes), catalog=other, backends=_NO_BACKENDS,
               evaluate=_fake_evaluate())
    assert w.run_once()
    with Session(engine) as s:
        job = s.get(Job, jid)
    assert job.status == "failed" and "no suite synthetic" in job.error


# --------------------------------------------------------------------------------------------- crash
_DOOMED_WORKER = """
import json, sys, time
from intergeneval.judges.scripted import ScriptedJudge
from intergeneval.tracking.replay import ReplayTracker
from server.core.config import Settings
from server.core.db import make_engine
from server.worker import Worker

cfg = json.loads(sys.argv[1])

class SlowJudge(ScriptedJudge):
    # Same fingerprint as the scripted judge: only slower, so the test can kill the worker mid-job.
    def changes(self, video):
        time.sleep(cfg["delay"])
        return super().changes(video)

settings = Settings(**cfg["settings"])
backends = {"judge": SlowJudge(cfg["answers"]), "tracker": ReplayTracker(cfg["tracks"]), "detector": None}
Worker(make_engine(settings.database_url), settings, worker_id="doomed", backends=backends).run(max_jobs=1)
"""


def _scores(engine, jid: int) -> tuple[dict, dict]:
    with Session(engine) as s:
        summary = s.exec(select(JobSummary).where(JobSummary.job_id == jid)).one().summary
        videos = {v.scenario_id: v.record["scores"] for v in
                  s.exec(select(VideoResult).where(VideoResult.job_id == jid)).all()}
    return {k: summary[k] for k in ("metrics", "videos", "categories", "suite", "fingerprints")}, videos


def test_worker_killed_mid_job_is_resumed_by_another_with_identical_results(service_factory, scenes, zipper):
    # Uninterrupted reference run, on its own storage (so nothing comes from a shared cache).
    ref = service_factory(worker=True)
    ref_job = ref.wait(ref.submit(ref.auth(), zipper(scenes.videos)).json()["job"]["id"])
    assert ref_job["status"] == "succeeded"

    svc = service_factory(lease_seconds=1.0)  # no in-process worker: the doomed one runs in a subprocess
    jid = svc.submit(svc.auth(), zipper(scenes.videos)).json()["job"]["id"]
    cfg = {"delay": 0.4, "answers": str(scenes.answers), "tracks": str(scenes.tracks),
           "settings": json.loads(svc.settings.model_dump_json(include={
               "data_dir", "database_url", "profile", "judge", "judge_options", "tracker", "tracker_options",
               "suites", "lease_seconds", "poll_seconds"}))}
    proc = subprocess.Popen([sys.executable, "-c", _DOOMED_WORKER, json.dumps(cfg)], cwd=Path(__file__).parents[2])
    try:
        deadline = time.monotonic() + 60
        while True:
            with Session(svc.engine) as s:
                job = s.get(Job, jid)
            if job.progress_done >= 2:
                break
            assert proc.poll() is None and time.monotonic() < deadline, "the doomed worker did not start scoring"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    with Session(svc.engine) as s:
        killed = s.get(Job, jid)
        done_at_kill = {v.scenario_id for v in s.exec(select(VideoResult).where(VideoResult.job_id == jid)).all()}
    assert killed.status == "running" and killed.lease_owner == "doomed" and 2 <= len(done_at_kill) < 6

    judge = ScriptedJudge(scenes.answers)
    rescuer = Worker(svc.engine, svc.settings, worker_id="rescuer",
                     backends={"judge": judge, "tracker": ReplayTracker(scenes.tracks), "detector": None})
    deadline = time.monotonic() + 30
    while not rescuer.run_once():  # nothing to claim until the dead worker's lease (1 s) has expired
        assert time.monotonic() < deadline
        time.sleep(0.1)
    with Session(svc.engine) as s:
        job = s.get(Job, jid)
    assert job.status == "succeeded" and job.attempts == 2 and "lease expired" in job.error
    recomputed = {sid for sid, *_ in judge.calls}
    all_ids = {p.stem for p in scenes.videos.glob("*.mp4")}
    # Only videos the dead worker had not finished were recomputed (at most all the rest, incl. the one in flight).
    assert recomputed and recomputed <= all_ids - done_at_kill
    assert _scores(svc.engine, jid) == _scores(ref.engine, ref_job["id"])


# --------------------------------------------------------------------------------------------- many workers
def _run_workers(url: str, settings, catalog: SuiteCatalog, n_workers: int, n_jobs: int) -> Counter:
    runs: list[str] = []
    lock = threading.Lock()

    def evaluate(cfg, **kw):
        with lock:
            runs.append(cfg.out.name)
        return _fake_evaluate()(cfg, **kw)

    stop = threading.Event()
    workers = [Worker(make_engine(url), settings, catalog=catalog, worker_id=f"w{i}", backends=_NO_BACKENDS,
                      evaluate=evaluate) for i in range(n_workers)]
    threads = [threading.Thread(target=w.run, args=(stop,)) for w in workers]
    for t in threads:
        t.start()
    engine = make_engine(url)
    deadline = time.monotonic() + 120
    while True:
        with Session(engine) as s:
            left = s.exec(select(Job).where(Job.status.in_(["queued", "running"]))).all()
        if not left:
            break
        assert time.monotonic() < deadline, f"{len(left)} jobs still open"
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join()
    with Session(engine) as s:
        statuses = Counter(j.status for j in s.exec(select(Job)).all())
    assert statuses == {"succeeded": n_jobs}
    return Counter(runs)


@pytest.mark.postgres
def test_four_workers_on_postgres_run_200_jobs_exactly_once(postgres_url, tmp_path, scenes, scene_suite, add_jobs_to,
                                                            make_settings):
    engine = make_engine(postgres_url)
    init_db(engine)
    catalog = SuiteCatalog([scene_suite])
    ids = add_jobs_to(engine, catalog, 200)
    settings = make_settings(tmp_path, scenes, database_url=postgres_url, poll_seconds=0.01)
    runs = _run_workers(postgres_url, settings, catalog, 4, 200)
    assert sorted(int(k) for k in runs) == ids and set(runs.values()) == {1}


def test_four_workers_on_sqlite_run_each_job_exactly_once(tmp_path, scenes, scene_suite, add_jobs_to, make_settings):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = make_engine(url)
    init_db(engine)
    catalog = SuiteCatalog([scene_suite])
    ids = add_jobs_to(engine, catalog, 40)
    runs = _run_workers(url, make_settings(tmp_path, scenes, poll_seconds=0.01), catalog, 4, 40)
    assert sorted(int(k) for k in runs) == ids and set(runs.values()) == {1}


# --------------------------------------------------------------------------------------------- incomplete jobs
def test_evaluator_failures_end_incomplete_unranked_and_a_retry_rescores_only_them(service_factory, scenes,
                                                                                   zipper, flaky_backends):
    broken = sorted(p.stem for p in scenes.videos.glob("*.mp4"))[:2]
    backends = flaky_backends(broken)
    judge = backends["judge"]
    svc = service_factory(worker=True, worker_kwargs={"backends": backends})
    headers = svc.auth()
    jid = svc.submit(headers, zipper(scenes.videos)).json()["job"]["id"]
    job = svc.wait(jid)
    assert job["status"] == "incomplete", job  # not "succeeded" with 4 of 6
    assert sorted(f["scenario_id"] for f in job["failed_videos"]) == broken
    assert "out of GPU memory" in job["failed_videos"][0]["reason"] and "2 of 6 videos not scored" in job["error"]
    assert job["scores"]["if"]["mean"] is not None  # what was scored is shown, with its coverage
    row = svc.client.get("/api/v1/leaderboard?include_reference=false").json()["rows"][0]
    assert (row["status"], row["rank"], row["rank_ub"], row["coverage"]["scored"]) == ("incomplete", None, None, 4)

    other = svc.auth("mallory")
    assert svc.client.post(f"/api/v1/jobs/{jid}/retry", headers=other).status_code == 403
    judge.broken.clear()  # the judge recovered
    judge.calls.clear()
    r = svc.client.post(f"/api/v1/jobs/{jid}/retry", headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "queued", r.text
    job = svc.wait(jid)
    assert job["status"] == "succeeded" and job["failed_videos"] is None
    assert job["error"] is None  # never a success still saying "2 of 6 videos not scored, not ranked"
    assert {sid for sid, *_ in judge.calls} == set(broken)  # only the failed videos were judged again
    row = svc.client.get("/api/v1/leaderboard?include_reference=false").json()["rows"][0]
    assert (row["status"], row["rank"], row["coverage"]["scored"]) == ("ranked", 1, 6)
    r = svc.client.post(f"/api/v1/jobs/{jid}/retry", headers=headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"  # nothing left to retry


def test_stored_videos_gone_mid_job_leave_it_incomplete_not_succeeded(service_factory, scenes, zipper):
    from server.models import Submission

    svc = service_factory()  # no worker yet: the files go missing between queueing and scoring
    jid = svc.submit(svc.auth(), zipper(scenes.videos)).json()["job"]["id"]
    with Session(svc.engine) as s:
        folder = svc.storage.path(s.get(Submission, s.get(Job, jid).submission_id).folder)
    gone = sorted(folder.glob("*.mp4"))[:2]
    for p in gone:
        p.unlink()
    worker = Worker(svc.engine, svc.settings, backends={
        "judge": ScriptedJudge(scenes.answers), "tracker": ReplayTracker(scenes.tracks), "detector": None})
    assert worker.run_once()
    job = svc.client.get(f"/api/v1/jobs/{jid}").json()
    assert job["status"] == "incomplete"
    assert sorted(f["scenario_id"] for f in job["failed_videos"]) == sorted(p.stem for p in gone)
    row = svc.client.get("/api/v1/leaderboard?include_reference=false").json()["rows"][0]
    assert row["rank"] is None and row["status"] == "incomplete" and row["coverage"]["scored"] == 4


def test_concurrent_retries_requeue_a_job_once_and_hostile_ids_are_refused(service, scenes, zipper):
    headers = service.auth()
    jid = service.submit(headers, zipper(scenes.videos)).json()["job"]["id"]
    r = service.client.post(f"/api/v1/jobs/{jid}/retry", headers=headers)
    assert r.status_code == 409  # queued: nothing to retry
    with Session(service.engine) as s:
        job = s.get(Job, jid)
        job.status, job.attempts = "incomplete", 3
        s.add(job)
        s.commit()
    codes: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(10)

    def retry():
        start.wait()
        code = service.client.post(f"/api/v1/jobs/{jid}/retry", headers=headers).status_code
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=retry) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200] + [409] * 9
    job = service.client.get(f"/api/v1/jobs/{jid}").json()
    assert job["status"] == "queued" and job["attempts"] == 0
    for bad in ("0", "-1", "abc", "99999999999999999999", "1e3"):
        assert service.client.post(f"/api/v1/jobs/{bad}/retry", headers=headers).status_code in (404, 422)
    assert service.client.post(f"/api/v1/jobs/{jid}/retry").status_code == 401  # no token
    reader = service.auth("reader", scopes=())
    assert service.client.post(f"/api/v1/jobs/{jid}/retry", headers=reader).status_code == 403

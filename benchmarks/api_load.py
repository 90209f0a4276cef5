"""Load and memory benchmark of the evaluation service on SQLite.

    .venv/bin/python benchmarks/api_load.py [--clients 100] [--duration 20] [--models 200] [--jobs-per-model 50]
                                            [--videos 10000] [--upload-mb 1024]

1. Seeds a fresh SQLite database: `models × jobs-per-model` succeeded jobs with runner-shaped summaries
   (10,000 by default, all candidates for the leaderboard's latest-per-model query) and `--videos` per-video
   results spread over the latest jobs.
2. Starts the API (`uvicorn server.main:create_app --factory`, no worker) in its own process.
3. Runs `--clients` concurrent clients for `--duration` s; each polls a job's status every second and the
   leaderboard (JSON) every fifth second, like CI jobs and open leaderboard pages do. Prints p50/p99/max latency
   per endpoint and the errors (non-200 answers or failed requests).
4. Streams a `--upload-mb` multipart upload (one large entry that is not a video, so it is refused after
   being received, extracted and probed) and samples the server's resident memory every 20 ms: prints the
   growth over the server's memory before the upload.
Targets (issue 3): p99 < 100 ms and 0 errors; memory growth < 100 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

METRICS = ("kisa", "sgi", "spi", "kisa_spi", "sgi_spi", "if")
TYPES = ("contact", "force", "transport", "manipulation", "social")
PAIRINGS = ("human-object", "human-human", "human-animal", "human-nature")


def _summary(rng: random.Random, suite, judge: dict) -> dict:
    def block() -> dict:
        m = rng.uniform(0.2, 0.8)
        return {"mean": m, "ci_low": m - 0.05, "ci_high": m + 0.05, "n": 100}

    def cats(names) -> dict:
        return {c: {"videos": 20, "metrics": {k: rng.uniform(0, 1) for k in METRICS}} for c in names}

    return {"schema_version": 1, "protocol": "intergeneval-v1", "complete": True,
            "suite": {"id": suite.suite_id, "version": suite.version, "content_hash": suite.content_hash},
            "fingerprints": {"judge": judge, "tracker": {"backend": "sam2", "model": "facebook/sam2.1-hiera-large"},
                             "detector": None},
            "metrics": {k: block() for k in METRICS},
            "videos": {"expected": 100, "scored": 100, "failed": 0, "not_run": 0, "failures": []},
            "categories": {"interaction_type": cats(TYPES), "pairing": cats(PAIRINGS)}}


def seed(data_dir: Path, models: int, jobs_per_model: int, videos: int) -> list[int]:
    """Fill a fresh database; returns the ids of the jobs clients will poll."""
    from server import crud
    from server.core.config import Settings
    from server.core.db import make_engine, session_scope
    from server.core.migrations import init_db
    from server.models import Job, JobStatus, ModelCreate, Submission, VideoResult, utcnow
    from server.suites import SuiteCatalog

    settings = Settings(data_dir=data_dir)
    engine = make_engine(settings.database_url)
    init_db(engine)
    suite = SuiteCatalog.from_specs(["intergeneval-open-v1"]).get()
    rng = random.Random(0)
    judge = {"backend": "qwen", "model": "Qwen/Qwen2.5-VL-7B-Instruct", "revision": "main", "temperature": 0}
    latest: list[int] = []
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        user = crud.get_or_create_user(s, name="bench")
        for m in range(models):
            model = crud.upsert_model(s, owner=user, card=ModelCreate(name=f"model-{m:04d}", organisation="bench"))
            for j in range(jobs_per_model):
                sub = Submission(owner_id=user.id, model_id=model.id, suite_id=suite.suite_id,
                                 suite_version=suite.version, suite_hash=suite.content_hash, content_hash=f"{m}-{j}",
                                 folder="submissions/bench")
                s.add(sub)
                s.flush()
                job = Job(submission_id=sub.id, model_id=model.id, owner_id=user.id, suite_id=suite.suite_id,
                          suite_version=suite.version, suite_hash=suite.content_hash, status=JobStatus.succeeded,
                          attempts=1, progress_done=100, progress_total=100, finished_at=utcnow())
                s.add(job)
                s.flush()
                crud.store_summary(s, job_id=job.id, summary=_summary(rng, suite, judge))
            latest.append(job.id)
        per_job = max(1, videos // len(latest))
        ids = [sc.id for sc in suite.scenarios]
        n = 0
        for jid in latest:
            for k in range(per_job):
                if n >= videos:
                    break
                rec = {"scenario_id": f"{ids[k % len(ids)]}-{k}", "status": "scored",
                       "scores": {m: rng.uniform(0, 1) for m in METRICS},
                       "category": {"interaction_type": "contact", "pairing": "human-object"},
                       "sampled_frames": list(range(0, 49, 5)) + [48],
                       "evidence": {str(f): f"evidence/x/{f:03d}.jpg" for f in range(0, 49, 5)}}
                s.add(VideoResult(job_id=jid, scenario_id=rec["scenario_id"], status="scored", record=rec))
                n += 1
    print(f"seeded {models * jobs_per_model} succeeded jobs with summaries and {n} per-video results "
          f"in {time.perf_counter() - t0:.1f} s")
    engine.dispose()
    return latest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, upload_limit: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "INTERGENEVAL_DATA_DIR": str(data_dir), "INTERGENEVAL_MAX_UPLOAD_BYTES": str(upload_limit),
           "INTERGENEVAL_MAX_UNCOMPRESSED_BYTES": str(upload_limit * 2),
           "INTERGENEVAL_SUITES": '["intergeneval-open-v1"]',
           "INTERGENEVAL_SUBMISSIONS_PER_DAY": "1000", "INTERGENEVAL_CONCURRENT_JOBS": "1000",
           "GRADIO_ANALYTICS_ENABLED": "False"}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "server.main:create_app", "--factory", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(600):
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


async def load(base: str, job_ids: list[int], clients: int, duration: float) -> dict[str, list[float]]:
    import httpx

    lat: dict[str, list[float]] = {"job": [], "leaderboard": []}
    inside: list[float] = []  # the server's own time (Server-Timing), to tell it from queueing
    errors: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        async def client(i: int) -> None:
            rng = random.Random(i)
            await asyncio.sleep(rng.random())  # spread the clients over the first second
            end = time.monotonic() + duration
            tick = 0
            while time.monotonic() < end:
                start = time.monotonic()
                kind = "leaderboard" if tick % 5 == 0 else "job"
                path = "/api/v1/leaderboard" if kind == "leaderboard" else f"/api/v1/jobs/{rng.choice(job_ids)}"
                t = time.perf_counter()
                try:
                    r = await http.get(path)
                    timing = r.headers.get("server-timing", "")
                    if "dur=" in timing:
                        inside.append(float(timing.split("dur=")[1]) / 1000)
                    if r.status_code != 200:
                        errors.append(f"{path}: {r.status_code}")
                except httpx.HTTPError as e:
                    errors.append(f"{path}: {type(e).__name__}")
                lat[kind].append(time.perf_counter() - t)
                tick += 1
                await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - start)))

        await asyncio.gather(*(client(i) for i in range(clients)))
    lat["errors"] = errors  # type: ignore[assignment]
    lat["inside"] = inside
    return lat


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] * 1000


def upload_memory(base: str, pid: int, size_mb: int) -> None:
    import httpx
    import psutil

    proc = psutil.Process(pid)
    # One stored zip entry of random bytes (not a video), streamed 1 MiB at a time.
    boundary = "benchboundary"
    name = "intergeneval-open-v1-000.mp4"
    size = size_mb << 20
    chunk = os.urandom(1 << 20)

    archive = Path(os.environ["BENCH_TMP"]) / "big.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as z, \
            z.open(name, "w", force_zip64=True) as entry:
        for _ in range(size >> 20):
            entry.write(chunk)

    def zip_stream():
        with open(archive, "rb") as f:
            while block := f.read(1 << 20):
                yield block

    def body():
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n"
               f"{json.dumps({'name': 'upload-bench'})}\r\n"
               f"--{boundary}\r\nContent-Disposition: form-data; name=\"archive\"; filename=\"big.zip\"\r\n"
               "Content-Type: application/zip\r\n\r\n").encode()
        yield from zip_stream()
        yield f"\r\n--{boundary}--\r\n".encode()

    token = subprocess.run([sys.executable, "-m", "server.cli", "admin", "create-token", "--name", "uploader",
                            "--database-url", os.environ["BENCH_DB_URL"]], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.strip().splitlines()[-1]
    baseline = proc.memory_info().rss
    peak = baseline
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            try:
                peak = max(peak, proc.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.02)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t = time.perf_counter()
    r = httpx.post(f"{base}/api/v1/submissions", content=body(), timeout=None,
                   headers={"Authorization": f"Bearer {token}",
                            "Content-Type": f"multipart/form-data; boundary={boundary}"})
    took = time.perf_counter() - t
    stop.set()
    th.join()
    code = r.json().get("error", {}).get("code") if r.status_code >= 400 else "accepted"
    print(f"upload of {size_mb} MiB: answered {r.status_code} ({code}) in {took:.1f} s "
          f"({size_mb / took:.0f} MiB/s); server RSS before {baseline / 2**20:.0f} MiB, peak {peak / 2**20:.0f} MiB, "
          f"growth {(peak - baseline) / 2**20:.1f} MiB (target < 100 MiB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--models", type=int, default=200)
    ap.add_argument("--jobs-per-model", type=int, default=50)
    ap.add_argument("--videos", type=int, default=10_000)
    ap.add_argument("--upload-mb", type=int, default=1024)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ige-bench-") as tmp:
        data = Path(tmp)
        job_ids = seed(data, args.models, args.jobs_per_model, args.videos)
        os.environ["BENCH_DB_URL"] = f"sqlite:///{data / 'intergeneval.db'}"
        os.environ["BENCH_TMP"] = tmp
        proc, base = start_server(data, upload_limit=(args.upload_mb + 64) << 20)
        try:
            import psutil

            server = psutil.Process(proc.pid)
            me = psutil.Process()
            cpu0, mine0, wall0 = sum(server.cpu_times()[:2]), sum(me.cpu_times()[:2]), time.perf_counter()
            lat = asyncio.run(load(base, job_ids, args.clients, args.duration))
            cpu, wall = sum(server.cpu_times()[:2]) - cpu0, time.perf_counter() - wall0
            mine = sum(me.cpu_times()[:2]) - mine0
            errors = lat.pop("errors")
            inside = lat.pop("inside")
            everything = [x for xs in lat.values() for x in xs]
            print(f"{args.clients} clients for {args.duration:g} s (job status every 1 s, leaderboard every 5 s), "
                  f"{len(everything)} requests ({len(everything) / wall:.0f}/s), {len(errors)} errors; server CPU "
                  f"{cpu / len(everything) * 1000:.1f} ms per request, {cpu / wall:.0%} of one core (the clients: "
                  f"{mine / wall:.0%}); load average "
                  f"of this machine {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            for kind, xs in [*lat.items(), ("all", everything)]:
                print(f"  {kind:12s} n={len(xs):6d}  p50 {_pct(xs, 0.5):7.1f} ms  p99 {_pct(xs, 0.99):7.1f} ms  "
                      f"max {max(xs) * 1000:7.1f} ms  mean {statistics.mean(xs) * 1000:6.1f} ms")
            if inside:
                print(f"  time inside the server (Server-Timing): p50 {_pct(inside, 0.5):.1f} ms  "
                      f"p99 {_pct(inside, 0.99):.1f} ms  max {max(inside) * 1000:.1f} ms")
            if errors:
                print("  first errors:", errors[:5])
            if args.upload_mb:
                upload_memory(base, proc.pid, args.upload_mb)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()

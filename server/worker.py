"""A scoring worker: loads its models once, then claims jobs from the database queue one at a time.

Example:
    >>> worker = Worker(engine, settings)  # doctest: +SKIP
    >>> worker.run(stop)  # until stop.is_set()  # doctest: +SKIP

Each job runs `intergeneval.runner.evaluate` with the worker's pre-built backends. After each video the
record is stored in `video_results` and the lease is renewed; a background thread renews it too while one
long video is being scored. The runner's result cache is shared by all jobs (`STORAGE/cache`) and the job's
output folder is kept, so a retried job (after a crash, the lease having expired) recomputes only the videos
that were not finished. Cancel is seen at the next heartbeat and the runner stops before the next video.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from intergeneval.events import ProgressEvent
from intergeneval.runconfig import EvalConfig

from . import crud, queue, trust
from .core.config import Settings
from .core.db import session_scope
from .models import Job, JobStatus, Submission
from .queue import Lease
from .redact import redact_paths
from .storage import Storage
from .suites import SuiteCatalog

log = logging.getLogger(__name__)

Evaluate = Callable[..., dict[str, Any]]
#: The database is busy (a lock held too long), gone or out of connections: not the job's fault.
DB_TROUBLE = (OperationalError, InterfaceError, PoolTimeout)


def default_worker_id(suffix: str = "") -> str:
    """`host:pid[:suffix]`: unique per process, readable in the job's `lease_owner`."""
    return f"{socket.gethostname()}:{os.getpid()}" + (f":{suffix}" if suffix else "")


class Worker:
    """Claims and runs jobs; one job at a time, models loaded once."""

    def __init__(self, engine: Engine, settings: Settings, *, storage: Storage | None = None,
                 catalog: SuiteCatalog | None = None, worker_id: str | None = None,
                 backends: dict[str, Any] | None = None, evaluate: Evaluate | None = None):
        """Create a worker.

        Args:
            engine: the database.
            settings: backends to load, lease and poll times.
            storage: where submissions, job outputs and the cache live (default: from settings).
            catalog: the suites this worker can score (default: from settings).
            worker_id: name written as the jobs' lease owner.
            backends: pre-built `{"judge", "tracker", "detector"}` instances (default: built from settings on
                first use, once).
            evaluate: the scoring function (default `intergeneval.runner.evaluate`; tests inject others).
        """
        self.engine = engine
        self.settings = settings
        self.storage = storage or Storage(settings.storage_dir)
        self.catalog = catalog or SuiteCatalog.from_specs(settings.suites, default=settings.default_suite,
                                                          demo_dir=settings.data_dir / "suites" / "demo")
        self.worker_id = worker_id or default_worker_id()
        self._backends = backends
        self._fingerprints: dict[str, dict[str, Any] | None] | None = None
        self._evaluate = evaluate
        self._shutdown = threading.Event()

    # -- backends --------------------------------------------------------------------------------------
    def backend_names(self) -> dict[str, Any]:
        """Backend names/options for EvalConfig, from the settings (the profile fills what is not named)."""
        s = self.settings
        return {"judge": s.judge, "judge_options": dict(s.judge_options), "tracker": s.tracker,
                "tracker_options": dict(s.tracker_options), "detector": s.detector,
                "detector_options": dict(s.detector_options), "profile": s.profile}

    def backends(self) -> dict[str, Any]:
        """The judge, tracker and detector, built on first use and kept for every later job."""
        if self._backends is None:
            from intergeneval.runner import Backends

            probe = EvalConfig(videos=Path("."), suite="", out=Path("."), **self.backend_names())
            b = Backends(probe)
            self._backends = {"judge": b.judge, "tracker": b.tracker, "detector": b.detector}
            log.info("worker %s loaded its backends: %s", self.worker_id,
                     {k: type(v).__name__ for k, v in self._backends.items()})
        return self._backends

    def fingerprints(self) -> dict[str, dict[str, Any] | None] | None:
        """The loaded backends' fingerprints (detector None when there is none), computed once; None while the
        backends are not loaded yet (this never loads them: `/health` asks)."""
        backends = self._backends
        if backends is None:
            return None
        if self._fingerprints is None:
            self._fingerprints = {role: b.fingerprint() if b is not None else None
                                  for role, b in backends.items()}
        return self._fingerprints

    # -- loop ------------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the loop to end; a running job stops at its next video and goes back to the queue."""
        self._shutdown.set()

    def run(self, stop: threading.Event | None = None, *, max_jobs: int | None = None) -> int:
        """Claim and run jobs until `stop` is set (or `max_jobs` ran); returns the number of jobs run."""
        stop = stop or self._shutdown
        done = 0
        while not stop.is_set() and not self._shutdown.is_set():
            if max_jobs is not None and done >= max_jobs:
                break
            try:
                ran = self.run_once()
            except Exception:  # a database hiccup must not kill the worker; it retries after a pause
                log.exception("worker %s: queue error", self.worker_id)
                ran = False
            if ran:
                done += 1
            else:
                stop.wait(self.settings.poll_seconds)
        return done

    def run_once(self) -> bool:
        """Requeue expired jobs, then claim and run one job; False when the queue was empty."""
        queue.reap_expired(self.engine)
        job_id = queue.claim(self.engine, worker_id=self.worker_id, lease_s=self.settings.lease_seconds)
        if job_id is None:
            return False
        self.process(job_id)
        return True

    # -- one job ---------------------------------------------------------------------------------------
    def process(self, job_id: int) -> str | None:
        """Run a claimed job to its end; returns its final (or requeued) status, None if the lease was lost.

        Database trouble (a lock held too long, a database that went away) is not the job's fault: the writes
        are retried, and a job that still cannot go on goes back to the queue without using up an attempt.
        """
        try:
            videos, suite_key = self.retry_db(f"job {job_id}: reading it", lambda: self._job_inputs(job_id))
        except DB_TROUBLE:
            return self._requeue_after_db_trouble(job_id)
        state = _JobState(self, job_id)
        try:
            suite = self.catalog.by_hash(*suite_key)
            engine = self._engine(videos)
            # On Ray the cluster's actors build the backends from their names; here they are only named.
            backends = self.backends() if engine["engine"] == "local" else dict.fromkeys(("judge", "tracker",
                                                                                          "detector"))
            cfg = EvalConfig(videos=videos, suite=suite.source, out=self.storage.job_dir(job_id),
                             cache_dir=self.storage.cache_dir, evidence=True, **self.backend_names(),
                             controls=self._controls(job_id, suite.content_hash),
                             controls_sample=self.settings.controls_sample or None, **engine)
            evaluate = self._evaluate
            if evaluate is None:
                from intergeneval.runner import evaluate
            state.start()
            summary = evaluate(cfg, judge=backends["judge"], tracker=backends["tracker"],
                               detector=backends["detector"], progress=state.progress,
                               should_stop=state.should_stop)
        except DB_TROUBLE:
            state.stop()
            return None if state.lost else self._requeue_after_db_trouble(job_id)
        except Exception as e:  # UnknownSuite (a worker with other suite files), backend or runner errors
            state.stop()
            if state.lost:
                return None
            log.error("job %d failed on %s: %s: %s\n%s", job_id, self.worker_id, type(e).__name__, e,
                      traceback.format_exc(limit=8))
            # The job's error is public: the exception's text without server paths, no worker name, no trace.
            error = f"attempt failed: {type(e).__name__}: {redact_paths(str(e))}"[:2000]
            try:
                return self.retry_db(f"job {job_id}: releasing it", lambda: queue.release(
                    self.engine, job_id=job_id, worker_id=self.worker_id, error=error), patience_s=None)
            except DB_TROUBLE:
                return None
        state.stop()
        try:
            return self.retry_db(f"job {job_id}: storing its summary",
                                 lambda: self._complete(job_id, summary, state), patience_s=None)
        except DB_TROUBLE:
            return None

    def _engine(self, videos: Path) -> dict[str, Any]:
        """How this job's videos run: on Ray when the settings say so and the job is large enough."""
        s = self.settings
        if s.engine == "ray" and sum(1 for p in videos.iterdir() if p.is_file()) >= s.ray_min_videos:
            return {"engine": "ray", "address": s.ray_address, "concurrency": s.concurrency,
                    "engine_options": dict(s.engine_options)}
        return {"engine": "local", "concurrency": s.concurrency}

    def _controls(self, job_id: int, suite_hash: str) -> tuple[str, ...]:
        """The negative controls to run with this job: all kinds while its judge has none stored for the suite
        (`server.trust.controls_wanted`); none with a tracker that only replays given tracks."""
        from intergeneval.controls import KINDS

        if not self.settings.controls_sample:
            return ()
        if not getattr(self.backends()["tracker"], "needs_first_masks", True):
            return ()
        with session_scope(self.engine) as session:
            job = session.get(Job, job_id)
            wanted = trust.controls_wanted(session, judge=(self.fingerprints() or {}).get("judge"),
                                           suite_hash=suite_hash, owner_id=job.owner_id,
                                           only_admins=self.settings.controls_from == "admins")
        return KINDS if wanted else ()

    def _job_inputs(self, job_id: int) -> tuple[Path, tuple[str, str, str]]:
        with session_scope(self.engine) as session:
            job = session.get(Job, job_id)
            sub = session.get(Submission, job.submission_id)
            return self.storage.path(sub.folder), (job.suite_id, job.suite_version, job.suite_hash)

    def retry_db(self, what: str, fn: Callable[[], Any], *, patience_s: float | None | str = "lease") -> Any:
        """`fn()`, retried with back-off while the database is busy or unavailable.

        Args:
            what: for the log.
            fn: the database work (one transaction: safe to run again).
            patience_s: how long to keep trying (default: one lease); None: until it works or the worker
                stops.

        Raises:
            The database error, once patience ran out or the worker is stopping.
        """
        patience = self.settings.lease_seconds if patience_s == "lease" else patience_s
        deadline = None if patience is None else time.monotonic() + patience
        delay = 0.2
        while True:
            try:
                return fn()
            except DB_TROUBLE as e:
                late = deadline is not None and time.monotonic() + delay > deadline
                if late or self._shutdown.is_set():
                    raise
                log.warning("%s: the database is unavailable (%s); retrying in %.1f s", what,
                            type(e).__name__, delay)
                self._shutdown.wait(delay)
                delay = min(delay * 2, 5.0)

    def _requeue_after_db_trouble(self, job_id: int) -> str | None:
        log.warning("job %d: the database stayed unavailable; back to the queue without using an attempt",
                    job_id)
        try:
            return self.retry_db(f"job {job_id}: requeueing it", lambda: queue.release(
                self.engine, job_id=job_id, worker_id=self.worker_id, count_attempt=False,
                error="attempt interrupted: the database was unavailable; requeued without using an attempt"),
                patience_s=None)
        except DB_TROUBLE:
            return None

    def _complete(self, job_id: int, summary: dict[str, Any], state: _JobState) -> str | None:
        if state.lost:
            log.warning("job %d: lease lost while running on %s; its results are left to the new owner",
                        job_id, self.worker_id)
            return None
        if state.cancel:
            with session_scope(self.engine) as session:
                crud.store_summary(session, job_id=job_id, summary=summary)
            queue.finish(self.engine, job_id=job_id, worker_id=self.worker_id, status=JobStatus.cancelled)
            return JobStatus.cancelled
        if self._shutdown.is_set() and not summary.get("complete", True):
            return queue.release(self.engine, job_id=job_id, worker_id=self.worker_id, error=None,
                                 count_attempt=False)
        videos = summary.get("videos") or {}
        expected, scored = int(videos.get("expected") or 0), int(videos.get("scored") or 0)
        reasons = "; ".join(f"{f['scenario_id']}: {f.get('reason') or f.get('status')}"
                            for f in (videos.get("failures") or [])[:3])
        with session_scope(self.engine) as session:
            crud.store_summary(session, job_id=job_id, summary=summary)
            if summary.get("controls"):  # the judge's, measured on this job's videos (docs/judge-trust.md)
                trust.store_controls(session, job_id=job_id, summary=summary)
        if expected and not scored:
            status = JobStatus.failed
            error = f"no video could be scored ({videos.get('failed', 0)} failed): {redact_paths(reasons)}"
        elif scored < expected or not summary.get("complete", True):
            # The uploads were checked before queueing, so what failed here is the evaluator's failure (judge,
            # tracker, detector, memory, a stored file gone): not a success, and not the model's score either.
            status = JobStatus.incomplete
            error = (f"{expected - scored} of {expected} videos not scored; the model is not ranked until a "
                     f"retry scores them (POST /api/v1/jobs/{job_id}/retry): {redact_paths(reasons)}")
        else:
            status, error = JobStatus.succeeded, None
        ok = queue.finish(self.engine, job_id=job_id, worker_id=self.worker_id, status=status, error=error)
        return status if ok else None


class _JobState:
    """Lease keeping for one running job: progress writes, a heartbeat thread, cancel and loss flags."""

    def __init__(self, worker: Worker, job_id: int):
        self.w = worker
        self.job_id = job_id
        self.cancel = False
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{self.job_id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _apply(self, lease: Lease) -> None:
        if lease is Lease.lost:
            self.lost = True
        elif lease is Lease.cancel:
            self.cancel = True

    def _beat(self) -> None:
        while not self._stop.wait(self.w.settings.heartbeat_interval):
            try:
                self._apply(queue.heartbeat(self.w.engine, job_id=self.job_id, worker_id=self.w.worker_id,
                                            lease_s=self.w.settings.lease_seconds))
            except Exception:  # the next beat retries; a lease long enough absorbs a missed one
                log.exception("job %d: heartbeat failed", self.job_id)

    def progress(self, event: ProgressEvent) -> None:
        """The runner's progress callback: for each finished video, store the record, renew the lease, record
        progress (retried for up to a lease while the database is busy). Stage events are not stored."""
        if self.lost or event.kind != "video":
            return
        done, total, record = event.done, event.total, event.record

        def store() -> None:
            with session_scope(self.w.engine) as session:
                crud.store_video_result(session, job_id=self.job_id, record=record)

        self.w.retry_db(f"job {self.job_id}: storing {record.get('scenario_id')}", store)
        self._apply(self.w.retry_db(f"job {self.job_id}: heartbeat", lambda: queue.heartbeat(
            self.w.engine, job_id=self.job_id, worker_id=self.w.worker_id,
            lease_s=self.w.settings.lease_seconds, done=done, total=total)))

    def should_stop(self) -> bool:
        """Polled by the runner before each video."""
        return self.cancel or self.lost or self.w._shutdown.is_set()

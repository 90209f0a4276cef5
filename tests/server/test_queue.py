"""The database queue: claim, heartbeat, fencing, expiry → requeue, capped attempts, cancel, no double claim.

The concurrency tests run on SQLite and, marked `postgres`, on a real Postgres cluster started by the fixture.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import Session, select

from server import queue
from server.core.db import make_engine
from server.core.migrations import init_db
from server.models import Job, JobStatus
from server.queue import Lease
from server.suites import SuiteCatalog


@pytest.fixture
def catalog(scene_suite):
    return SuiteCatalog([scene_suite])


def _job(engine, job_id: int) -> Job:
    with Session(engine) as s:
        return s.get(Job, job_id)


def test_claim_heartbeat_finish(sqlite_engine, catalog, add_jobs_to):
    a, b = add_jobs_to(sqlite_engine, catalog, 2)
    assert queue.claim(sqlite_engine, worker_id="w1", lease_s=30) == a  # oldest first
    assert queue.claim(sqlite_engine, worker_id="w2", lease_s=30) == b
    assert queue.claim(sqlite_engine, worker_id="w3", lease_s=30) is None
    j = _job(sqlite_engine, a)
    assert (j.status, j.lease_owner, j.attempts) == ("running", "w1", 1) and j.started_at is not None
    assert queue.heartbeat(sqlite_engine, job_id=a, worker_id="w1", lease_s=30, done=2, total=6) is Lease.held
    assert (_job(sqlite_engine, a).progress_done, _job(sqlite_engine, a).progress_total) == (2, 6)
    # Another worker cannot touch it.
    assert queue.heartbeat(sqlite_engine, job_id=a, worker_id="w2", lease_s=30) is Lease.lost
    assert not queue.finish(sqlite_engine, job_id=a, worker_id="w2", status=JobStatus.succeeded)
    assert queue.finish(sqlite_engine, job_id=a, worker_id="w1", status=JobStatus.succeeded)
    j = _job(sqlite_engine, a)
    assert (j.status, j.lease_owner) == ("succeeded", None) and j.finished_at is not None
    assert queue.queue_counts(sqlite_engine) == {"queued": 0, "running": 1}


def test_expired_lease_requeues_then_fails_after_max_attempts(sqlite_engine, catalog, add_jobs_to):
    (jid,) = add_jobs_to(sqlite_engine, catalog, 1, max_attempts=2)
    assert queue.claim(sqlite_engine, worker_id="dead-1", lease_s=0.05) == jid
    assert queue.reap_expired(sqlite_engine) == (0, 0)  # not expired yet
    time.sleep(0.1)
    assert queue.reap_expired(sqlite_engine) == (1, 0)
    j = _job(sqlite_engine, jid)
    assert j.status == "queued" and j.lease_owner is None and "lease expired" in j.error and j.attempts == 1
    # The dead worker lost its lease: it can no longer finish the job.
    assert queue.heartbeat(sqlite_engine, job_id=jid, worker_id="dead-1", lease_s=5) is Lease.lost
    assert queue.claim(sqlite_engine, worker_id="dead-2", lease_s=0.05) == jid
    time.sleep(0.1)
    assert queue.reap_expired(sqlite_engine) == (0, 1)
    j = _job(sqlite_engine, jid)
    assert j.status == "failed" and j.attempts == 2 and "attempt 2 of 2" in j.error and j.finished_at


def test_release_keeps_the_error_and_caps_attempts(sqlite_engine, catalog, add_jobs_to):
    (jid,) = add_jobs_to(sqlite_engine, catalog, 1, max_attempts=2)
    queue.claim(sqlite_engine, worker_id="w", lease_s=30)
    assert queue.release(sqlite_engine, job_id=jid, worker_id="w", error="boom 1") == "queued"
    queue.claim(sqlite_engine, worker_id="w", lease_s=30)
    assert queue.release(sqlite_engine, job_id=jid, worker_id="w", error="boom 2") == "failed"
    j = _job(sqlite_engine, jid)
    assert (j.status, j.error, j.attempts) == ("failed", "boom 2", 2)


def test_graceful_release_does_not_use_an_attempt(sqlite_engine, catalog, add_jobs_to):
    (jid,) = add_jobs_to(sqlite_engine, catalog, 1, max_attempts=1)
    queue.claim(sqlite_engine, worker_id="w", lease_s=30)
    assert queue.release(sqlite_engine, job_id=jid, worker_id="w", error=None, count_attempt=False) == "queued"
    assert _job(sqlite_engine, jid).attempts == 0
    assert queue.claim(sqlite_engine, worker_id="w2", lease_s=30) == jid


def test_cancel_queued_and_running(sqlite_engine, catalog, add_jobs_to):
    a, b = add_jobs_to(sqlite_engine, catalog, 2)
    assert queue.cancel(sqlite_engine, job_id=b) == "cancelled"
    assert queue.claim(sqlite_engine, worker_id="w", lease_s=30) == a
    assert queue.claim(sqlite_engine, worker_id="w", lease_s=30) is None  # the cancelled one is never claimed
    assert queue.cancel(sqlite_engine, job_id=a) == "cancel_requested"
    assert queue.heartbeat(sqlite_engine, job_id=a, worker_id="w", lease_s=30) is Lease.cancel
    assert queue.cancel(sqlite_engine, job_id=b) is None


def test_expired_lease_of_a_cancel_requested_job_cancels_it(sqlite_engine, catalog, add_jobs_to):
    (jid,) = add_jobs_to(sqlite_engine, catalog, 1)
    queue.claim(sqlite_engine, worker_id="w", lease_s=0.05)
    queue.cancel(sqlite_engine, job_id=jid)
    time.sleep(0.1)
    assert queue.reap_expired(sqlite_engine) == (0, 1)
    assert _job(sqlite_engine, jid).status == "cancelled"


def _claim_all(url: str, n_workers: int) -> Counter:
    """`n_workers` threads, each with its own engine (own connections), claim and finish until empty."""
    claimed: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(n_workers)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        engine = make_engine(url)
        try:
            start.wait()
            while True:
                jid = queue.claim(engine, worker_id=f"w{i}", lease_s=60)
                if jid is None:
                    return
                with lock:
                    claimed.append(jid)
                assert queue.finish(engine, job_id=jid, worker_id=f"w{i}", status=JobStatus.succeeded)
        except BaseException as e:  # surfaced below
            errors.append(e)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n_workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return Counter(claimed)


def test_concurrent_workers_never_double_claim_sqlite(tmp_path, catalog, add_jobs_to):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    engine = make_engine(url)
    init_db(engine)
    ids = add_jobs_to(engine, catalog, 60)
    counts = _claim_all(url, 4)
    assert sorted(counts) == ids and set(counts.values()) == {1}
    with Session(engine) as s:
        assert {j.status for j in s.exec(select(Job)).all()} == {"succeeded"}


@pytest.mark.postgres
def test_concurrent_workers_never_double_claim_postgres(postgres_url, catalog, add_jobs_to):
    engine = make_engine(postgres_url)
    init_db(engine)
    ids = add_jobs_to(engine, catalog, 200)
    counts = _claim_all(postgres_url, 4)
    assert sorted(counts) == ids and set(counts.values()) == {1}
    assert queue.queue_counts(engine) == {"queued": 0, "running": 0}
    engine.dispose()


@pytest.mark.postgres
def test_lease_expiry_on_postgres(postgres_url, catalog, add_jobs_to):
    engine = make_engine(postgres_url)
    init_db(engine)
    (jid,) = add_jobs_to(engine, catalog, 1, max_attempts=2)
    assert queue.claim(engine, worker_id="a", lease_s=0.05) == jid
    time.sleep(0.1)
    assert queue.reap_expired(engine) == (1, 0)
    assert queue.claim(engine, worker_id="b", lease_s=30) == jid
    assert queue.heartbeat(engine, job_id=jid, worker_id="a", lease_s=30) is Lease.lost
    assert queue.finish(engine, job_id=jid, worker_id="b", status=JobStatus.succeeded)
    assert _job(engine, jid).attempts == 2
    engine.dispose()


def test_storage_paths_stay_inside(tmp_path):
    from server.storage import Storage

    st = Storage(tmp_path)
    with pytest.raises(ValueError, match="outside the storage root"):
        st.path("../elsewhere")
    assert st.path("submissions/x") == (tmp_path / "submissions" / "x").resolve()
    old = st.new_incoming()
    import os

    os.utime(old, (0, 0))
    fresh = st.new_incoming()
    assert st.sweep_incoming(older_than_s=3600) == 1 and not old.exists() and fresh.exists()
    assert isinstance(st.cache_dir, Path)

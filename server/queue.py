"""The durable job queue, on the `jobs` table: claim with a lease, heartbeat, finish, requeue, retry, cancel.

Example:
    >>> from server.queue import claim  # doctest: +SKIP
    >>> job_id = claim(engine, worker_id="gpu-3:1234", lease_s=60)  # doctest: +SKIP

A claim is ONE `UPDATE … WHERE id = (SELECT … LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id` statement: on
Postgres, concurrent workers skip rows another worker has locked, so no job is claimed twice and nobody
waits; on SQLite (which ignores `FOR UPDATE`) the statement is one short write transaction, serialised by the
database lock. Every state change after the claim is fenced by `lease_owner`, so a worker that lost its
lease (it stalled, the lease expired and another worker took the job) can no longer change the job.

Times come from the machines' clocks (UTC); keep them NTP-synced: leases are tens of seconds, so a
skew of a second or two does not matter.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import String, and_, cast, func, select, update
from sqlalchemy.engine import Engine

from .models import RETRYABLE_JOB_STATUSES, Job, JobStatus, utcnow

log = logging.getLogger(__name__)


class Lease(StrEnum):
    """What a heartbeat learned about the job."""

    held = "held"
    cancel = "cancel"  # still held, but the owner asked to stop at the next video
    lost = "lost"  # another worker has it now, or it was finished elsewhere: stop and write nothing


def reap_expired(engine: Engine) -> tuple[int, int]:
    """Return jobs whose lease expired to the queue, or fail them when their attempts are used up.

    A cancelled-while-running job whose worker died becomes `cancelled`.

    Returns:
        (requeued, failed or cancelled) counts.
    """
    now = utcnow()
    expired = and_(Job.status == JobStatus.running, Job.lease_expires_at < now)
    with engine.begin() as conn:
        cancelled = conn.execute(
            update(Job).where(expired, Job.cancel_requested.is_(True))
            .values(status=JobStatus.cancelled, lease_owner=None, lease_expires_at=None, finished_at=now,
                    updated_at=now)).rowcount
        failed = conn.execute(
            update(Job).where(expired, Job.attempts >= Job.max_attempts)
            .values(status=JobStatus.failed, lease_owner=None, lease_expires_at=None, finished_at=now,
                    updated_at=now,
                    error="attempt " + cast(Job.attempts, String) + " of " + cast(Job.max_attempts, String)
                    + ": the worker stopped answering (lease expired); no attempts left")).rowcount
        requeued = conn.execute(
            update(Job).where(expired)
            .values(status=JobStatus.queued, lease_owner=None, lease_expires_at=None, updated_at=now,
                    error="attempt " + cast(Job.attempts, String)
                    + ": the worker stopped answering (lease expired); requeued")).rowcount
    if requeued or failed or cancelled:
        log.warning("expired leases: %d job(s) requeued, %d failed, %d cancelled", requeued, failed, cancelled)
    return requeued, failed + cancelled


def claim(engine: Engine, *, worker_id: str, lease_s: float) -> int | None:
    """Claim the oldest queued job for `worker_id`; returns its id, or None when the queue is empty."""
    now = utcnow()
    oldest = (select(Job.id).where(Job.status == JobStatus.queued).order_by(Job.id).limit(1)
              .with_for_update(skip_locked=True).scalar_subquery())
    stmt = (update(Job).where(Job.id == oldest, Job.status == JobStatus.queued)
            .values(status=JobStatus.running, lease_owner=worker_id,
                    lease_expires_at=now + timedelta(seconds=lease_s), heartbeat_at=now,
                    attempts=Job.attempts + 1, started_at=func.coalesce(Job.started_at, now), updated_at=now)
            .returning(Job.id))
    with engine.begin() as conn:
        job_id = conn.execute(stmt).scalar()
    if job_id is not None:
        log.info("worker %s claimed job %d", worker_id, job_id)
    return job_id


def heartbeat(engine: Engine, *, job_id: int, worker_id: str, lease_s: float,
              done: int | None = None, total: int | None = None) -> Lease:
    """Extend the lease (and record progress); says whether the job is still ours and whether to stop."""
    now = utcnow()
    values: dict = {"lease_expires_at": now + timedelta(seconds=lease_s), "heartbeat_at": now, "updated_at": now}
    if done is not None:
        values["progress_done"] = done
    if total is not None:
        values["progress_total"] = total
    with engine.begin() as conn:
        row = conn.execute(
            update(Job).where(Job.id == job_id, Job.lease_owner == worker_id, Job.status == JobStatus.running)
            .values(**values).returning(Job.cancel_requested)).first()
    if row is None:
        return Lease.lost
    return Lease.cancel if row[0] else Lease.held


def finish(engine: Engine, *, job_id: int, worker_id: str, status: JobStatus, error: str | None = None) -> bool:
    """Mark a held job final (succeeded, incomplete, failed or cancelled); False when the lease was lost."""
    now = utcnow()
    values: dict = {"status": status, "lease_owner": None, "lease_expires_at": None, "finished_at": now,
                    "updated_at": now}
    if error is not None:
        values["error"] = error
    with engine.begin() as conn:
        n = conn.execute(update(Job).where(Job.id == job_id, Job.lease_owner == worker_id,
                                           Job.status == JobStatus.running).values(**values)).rowcount
    return n == 1


def release(engine: Engine, *, job_id: int, worker_id: str, error: str | None,
            count_attempt: bool = True) -> str | None:
    """Give a held job back: requeued while attempts remain, else failed; the error is kept.

    Args:
        count_attempt: False for a graceful worker shutdown, which should not use up an attempt.

    Returns:
        The job's new status, or None when the lease was lost meanwhile.
    """
    now = utcnow()
    held = and_(Job.id == job_id, Job.lease_owner == worker_id, Job.status == JobStatus.running)
    base: dict = {"lease_owner": None, "lease_expires_at": None, "updated_at": now}
    if error is not None:
        base["error"] = error
    with engine.begin() as conn:
        if not count_attempt:
            n = conn.execute(update(Job).where(held).values(status=JobStatus.queued, attempts=Job.attempts - 1,
                                                            **base)).rowcount
            return JobStatus.queued if n else None
        if conn.execute(update(Job).where(held, Job.cancel_requested.is_(True))
                        .values(status=JobStatus.cancelled, finished_at=now, **base)).rowcount:
            return JobStatus.cancelled
        if conn.execute(update(Job).where(held, Job.attempts >= Job.max_attempts)
                        .values(status=JobStatus.failed, finished_at=now, **base)).rowcount:
            return JobStatus.failed
        n = conn.execute(update(Job).where(held).values(status=JobStatus.queued, **base)).rowcount
    return JobStatus.queued if n else None


def retry(engine: Engine, *, job_id: int) -> bool:
    """Requeue an incomplete or failed job with fresh attempts; False when it is in another state.

    The job keeps its output folder and the workers share the result cache, so only the videos that were not
    scored are computed again. A retry is a new run: its attempts start again and the last run's error is
    cleared (a retry that scores every video must not go on saying which were not scored).
    """
    now = utcnow()
    with engine.begin() as conn:
        n = conn.execute(
            update(Job).where(Job.id == job_id, Job.status.in_(RETRYABLE_JOB_STATUSES))
            .values(status=JobStatus.queued, attempts=0, cancel_requested=False, lease_owner=None,
                    lease_expires_at=None, finished_at=None, progress_done=0, error=None,
                    updated_at=now)).rowcount
    if n:
        log.info("job %d requeued for a retry", job_id)
    return n == 1


def cancel(engine: Engine, *, job_id: int) -> str | None:
    """Cancel a job: a queued one at once, a running one at its next video.

    Returns:
        "cancelled", "cancel_requested", or None when the job is already final (nothing changed).
    """
    now = utcnow()
    with engine.begin() as conn:
        if conn.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.queued)
                        .values(status=JobStatus.cancelled, finished_at=now, updated_at=now)).rowcount:
            return "cancelled"
        if conn.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.running)
                        .values(cancel_requested=True, updated_at=now)).rowcount:
            return "cancel_requested"
    return None


def queue_counts(engine: Engine) -> dict[str, int]:
    """Jobs per non-final status."""
    with engine.connect() as conn:
        rows = conn.execute(select(Job.status, func.count()).where(
            Job.status.in_([JobStatus.queued, JobStatus.running])).group_by(Job.status)).all()
    counts = {"queued": 0, "running": 0}
    counts.update({str(s): int(n) for s, n in rows})
    return counts

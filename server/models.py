"""Database tables and API bodies, one family per entity (Base → Create/Update → table → Public).

Times are aware UTC datetimes (SQLModel stores them as UTC) and ISO 8601 with `Z` in the API. JSON columns
hold what the runner writes (per-video records, summaries, fingerprints) verbatim, so nothing it records is lost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import StrictBool, field_serializer
from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

#: `submit` uploads videos, `admin` administers, `label` stores human labels (the page's Label tab).
SCOPES = ("submit", "admin", "label")
Scope = Literal["submit", "admin", "label"]
#: Text a client sends to be stored: Postgres text cannot hold NUL characters, so they are refused with a 422
#: (`invalid_request`) instead of failing in the database driver (a 500).
NO_NUL = r"^[^\x00]*$"
#: Model card links: http(s) only, with a host (the page renders them as anchors: no `javascript:`, `data:`).
HTTP_LINK = r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\s\x00]+([/?#][^\x00]*)?$"


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


def iso(dt: datetime | None) -> str | None:
    """A time as ISO 8601 UTC with a `Z` (a naive one is taken as UTC)."""
    if dt is None:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt.replace(microsecond=0).isoformat() + "Z"


class JobStatus(StrEnum):
    """Where a job is in its life; the last four are final.

    `succeeded`: every video of the suite scored. `incomplete`: some videos failed because of the evaluator
    (judge, tracker, detector, out of memory, a stored file gone): the row is shown unranked with its
    coverage, and a retry rescores only the failed videos. `failed`: no video scored, or attempts ran out.
    """

    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    incomplete = "incomplete"
    failed = "failed"
    cancelled = "cancelled"


FINAL_JOB_STATUSES = (JobStatus.succeeded, JobStatus.incomplete, JobStatus.failed, JobStatus.cancelled)
#: Final statuses a retry may requeue (its scored videos come from the result cache).
RETRYABLE_JOB_STATUSES = (JobStatus.incomplete, JobStatus.failed)


class _Public(SQLModel):
    """API bodies serialise times as ISO 8601 UTC."""

    @field_serializer("*", when_used="json")
    def _times(self, v: Any) -> Any:
        return iso(v) if isinstance(v, datetime) else v


# --------------------------------------------------------------------------------------------- schema
# The schema version table: one row per migration applied (see server/core/migrations.py).
class SchemaVersion(SQLModel, table=True):
    __tablename__ = "schema_version"
    version: int = Field(primary_key=True)
    description: str = ""
    applied_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------------------------- users
# A person or a CI bot; quotas override the server defaults when set.
class UserBase(SQLModel):
    name: str = Field(min_length=1, max_length=100, index=True, unique=True)
    is_admin: bool = False
    submissions_per_day: int | None = None
    concurrent_jobs: int | None = None


class User(UserBase, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)


class UserPublic(UserBase, _Public):
    id: int
    created_at: datetime


# --------------------------------------------------------------------------------------------- tokens
# API tokens are stored as sha256 hashes; the plain token is shown once, when it is created.
class TokenBase(SQLModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: str = Field(default="submit", description="comma-separated: submit, admin, label")


class TokenCreate(SQLModel):
    name: str = Field(min_length=1, max_length=100, schema_extra={"pattern": NO_NUL})
    scopes: list[Scope] = Field(default_factory=lambda: ["submit"])


class Token(TokenBase, table=True):
    __tablename__ = "tokens"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(unique=True, index=True)
    prefix: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def scope_list(self) -> list[str]:
        """Scopes as a list."""
        return [s for s in self.scopes.split(",") if s]


class TokenCreated(_Public):
    id: int
    name: str
    scopes: list[str]
    token: str
    created_at: datetime


class TokenPublic(_Public):
    """A token as admins see it: never the token itself, only its first characters."""

    id: int
    name: str
    user: str
    scopes: list[str]
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokensPublic(SQLModel):
    data: list[TokenPublic]
    count: int


# A refused upload (422, 413, 400 on the submission route): counted against the user's refused-uploads rate,
# so nobody can make the server receive and inflate bad archives without end. Only time and code are kept.
class Refusal(SQLModel, table=True):
    __tablename__ = "refusals"
    __table_args__ = (Index("ix_refusals_user_time", "user_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    code: str
    created_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------------------------- models
# A generative model (the thing ranked); identified by (owner, name).
class ModelBase(SQLModel):
    name: str = Field(min_length=1, max_length=100, schema_extra={"pattern": NO_NUL})
    organisation: str | None = Field(default=None, max_length=200, schema_extra={"pattern": NO_NUL})
    base_model: str | None = Field(default=None, max_length=200, schema_extra={"pattern": NO_NUL})
    parameters: str | None = Field(default=None, max_length=50, schema_extra={"pattern": NO_NUL})
    link: str | None = Field(default=None, max_length=500, schema_extra={"pattern": NO_NUL})
    description: str | None = Field(default=None, max_length=5000, schema_extra={"pattern": NO_NUL})
    public: bool = True


class ModelCreate(ModelBase):
    """The model card sent with a submission (`public` strict: a JSON `0` or `"yes"` is refused)."""

    link: str | None = Field(default=None, max_length=500, schema_extra={"pattern": HTTP_LINK})
    public: StrictBool = True


class ModelUpdate(SQLModel):
    organisation: str | None = Field(default=None, max_length=200, schema_extra={"pattern": NO_NUL})
    base_model: str | None = Field(default=None, max_length=200, schema_extra={"pattern": NO_NUL})
    parameters: str | None = Field(default=None, max_length=50, schema_extra={"pattern": NO_NUL})
    link: str | None = Field(default=None, max_length=500, schema_extra={"pattern": HTTP_LINK})
    description: str | None = Field(default=None, max_length=5000, schema_extra={"pattern": NO_NUL})
    # Strict: a JSON 0 or "yes" is refused (422), not read as a boolean.
    public: StrictBool | None = None
    # Admin only.
    hidden: StrictBool | None = None
    flagged: StrictBool | None = None
    flag_reason: str | None = Field(default=None, max_length=1000, schema_extra={"pattern": NO_NUL})


class Model(ModelBase, table=True):
    __tablename__ = "models"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_models_owner_name"),)
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="users.id", index=True)
    hidden: bool = False
    flagged: bool = False
    flag_reason: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # Bumped by every UPDATE (the leaderboard cache's data version reads it).
    updated_at: datetime = Field(default_factory=utcnow, index=True, sa_column_kwargs={"onupdate": utcnow})


class ModelPublic(ModelBase, _Public):
    id: int
    hidden: bool
    flagged: bool
    flag_reason: str | None
    owner: str
    created_at: datetime
    links: dict[str, str]
    results: list[dict[str, Any]] | None = None


class ModelsPublic(SQLModel):
    data: list[ModelPublic]
    count: int


# --------------------------------------------------------------------------------------------- submissions
# One upload: the videos of one model for one suite version, with its content hash and settings.
class GenerationSettings(SQLModel):
    """What the submitter says about how the videos were made."""

    seed: int | None = None
    resolution: tuple[int, int] | None = None
    frames: int | None = None
    fps: float | None = None
    notes: str | None = Field(default=None, max_length=2000, schema_extra={"pattern": NO_NUL})


class SubmissionBase(SQLModel):
    suite_id: str
    suite_version: str
    suite_hash: str
    content_hash: str = Field(index=True)
    archive_name: str = ""
    archive_bytes: int = 0
    num_videos: int = 0


class Submission(SubmissionBase, table=True):
    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("owner_id", "idempotency_key", name="uq_submissions_idem"),)
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="users.id", index=True)
    model_id: int = Field(foreign_key="models.id", index=True)
    settings: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    probe: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    idempotency_key: str | None = None
    folder: str = Field(description="videos folder, relative to storage")
    created_at: datetime = Field(default_factory=utcnow, index=True)


class SubmissionPublic(SubmissionBase, _Public):
    id: int
    model_id: int
    settings: dict
    probe: dict
    created_at: datetime
    links: dict[str, str]


class SubmissionsPublic(SQLModel):
    data: list[SubmissionPublic]
    count: int


# --------------------------------------------------------------------------------------------- jobs
# A scoring run of one submission; the queue is this table (claimed with a lease, heartbeated).
class Job(SQLModel, table=True):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_id", "status", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submissions.id", index=True)
    model_id: int = Field(foreign_key="models.id", index=True)
    owner_id: int = Field(foreign_key="users.id", index=True)
    suite_id: str
    suite_version: str
    suite_hash: str
    status: str = Field(default=JobStatus.queued)
    attempts: int = 0
    max_attempts: int = 3
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    heartbeat_at: datetime | None = None
    progress_done: int = 0
    progress_total: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    cancel_requested: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = Field(default=None, index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class JobPublic(_Public):
    id: int
    submission_id: int
    model_id: int
    model_name: str
    suite_id: str
    suite_version: str
    status: JobStatus
    progress: dict[str, int]
    attempts: int
    max_attempts: int
    error: str | None
    cancel_requested: bool
    queue_position: int | None
    #: Videos not scored (incomplete or failed jobs): scenario id, status and reason, from the job's summary.
    failed_videos: list[dict[str, str]] | None = None
    lease_owner: str | None
    lease_expires_at: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    scores: dict[str, dict[str, float | None]] | None
    links: dict[str, str]


class JobsPublic(SQLModel):
    data: list[JobPublic]
    count: int


class SubmissionCreated(SQLModel):
    submission: SubmissionPublic
    job: JobPublic
    duplicate: bool


# --------------------------------------------------------------------------------------------- results
# One scenario's result in one job, as the runner recorded it (written as each video finishes).
class VideoResult(SQLModel, table=True):
    __tablename__ = "video_results"
    __table_args__ = (UniqueConstraint("job_id", "scenario_id", name="uq_video_results_job_scenario"),)
    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="jobs.id", index=True)
    scenario_id: str
    status: str
    reason: str | None = Field(default=None, sa_column=Column(Text))
    if_score: float | None = None
    record: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


# A finished (or stopped) job's summary with the fingerprints the leaderboard groups by.
class JobSummary(SQLModel, table=True):
    __tablename__ = "job_summaries"
    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="jobs.id", unique=True, index=True)
    suite_id: str
    suite_version: str
    suite_hash: str
    protocol: str
    judge_fingerprint: str = Field(index=True)
    judge_label: str
    tracker_fingerprint: str
    detector_fingerprint: str | None = None
    if_mean: float | None = None
    if_ci_low: float | None = None
    if_ci_high: float | None = None
    scored: int = 0
    expected: int = 0
    complete: bool = False
    summary: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------------------------- judge trust
# One person's answer to one question of one video, given on the page's Label tab without the judge's answers.
# The video is named by its content (sha256) and its scenario in a suite, so a label holds for every job that
# scored the same video; `job_id` is the job whose evidence frames were shown.
LABEL_ANSWERS = ("yes", "no", "unsure")


class Label(SQLModel, table=True):
    __tablename__ = "labels"
    __table_args__ = (
        UniqueConstraint("user_id", "video_sha256", "suite_hash", "scenario_id", "key_interaction", "slot",
                         name="uq_labels_question"),
        Index("ix_labels_video", "video_sha256", "scenario_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    job_id: int = Field(foreign_key="jobs.id", index=True)
    suite_hash: str
    scenario_id: str
    video_sha256: str
    key_interaction: int
    slot: int
    answer: str
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class LabelIn(SQLModel):
    """One answer: the key interaction (0-based), the question's slot (1–10) and yes, no or unsure."""

    key_interaction: int = Field(ge=0, le=99)
    slot: int = Field(ge=1, le=10)
    answer: Literal["yes", "no", "unsure"]


class LabelsIn(SQLModel):
    """The answers a labeller gives for one video (all questions, or some: the others stay as they were)."""

    labels: list[LabelIn] = Field(min_length=1, max_length=400)


# The negative controls of one judge fingerprint on a fixed sample of one suite (`intergeneval.controls`),
# measured once by a worker alongside a job; `report` is the runner's `controls` report verbatim.
class JudgeControls(SQLModel, table=True):
    __tablename__ = "judge_controls"
    __table_args__ = (UniqueConstraint("judge_fingerprint", "suite_hash", name="uq_judge_controls"),)
    id: int | None = Field(default=None, primary_key=True)
    judge_fingerprint: str = Field(index=True)
    judge_label: str
    suite_id: str
    suite_version: str
    suite_hash: str
    job_id: int = Field(foreign_key="jobs.id")
    report: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)

"""Service settings: one `Settings` object, read from `INTERGENEVAL_*` environment variables or a `.env` file.

Example:
    >>> s = Settings(data_dir="/srv/ige")
    >>> s.database_url
    'sqlite:////srv/ige/intergeneval.db'
    >>> str(s.storage_dir)
    '/srv/ige'

With only a data dir, the database is SQLite at `DATA_DIR/intergeneval.db` and storage lives under the data dir
(the embedded default). Multi-machine deployments set `INTERGENEVAL_DATABASE_URL=postgresql+psycopg://…` and a
storage dir that every worker mounts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the API and the workers are configured by; limits and quotas included."""

    model_config = SettingsConfigDict(env_prefix="INTERGENEVAL_", env_file=".env", extra="ignore",
                                      env_ignore_empty=True)

    data_dir: Path = Field(default=Path("intergeneval-data"), description="SQLite database and default storage")
    database_url: str = Field(default="", description="SQLAlchemy URL; default SQLite under the data dir")
    storage: Path | None = Field(default=None, description="uploads, job outputs, result cache (default data dir)")
    database_busy_timeout: float = Field(default=30.0, gt=0, description="SQLite: seconds a writer waits for "
                                         "another's lock before the request is answered 503")

    # Scoring: what workers load (the in-process worker of `serve` too).
    profile: str | None = Field(default="default", description="model profile: default, tiny, or none (only the "
                                "backends named explicitly)")
    judge: str | None = None
    judge_options: dict = Field(default_factory=dict)
    tracker: str | None = None
    tracker_options: dict = Field(default_factory=dict)
    detector: str | None = None
    detector_options: dict = Field(default_factory=dict)
    # How a job's videos run (docs/scaling.md): on the worker, several at a time, or handed to a Ray cluster.
    concurrency: int = Field(default=1, ge=1, description="videos of a job in flight at once")
    engine: Literal["local", "ray"] = Field(default="local", description="ray: hand jobs to the Ray cluster "
                                            "at ray_address (pip install 'intergeneval[ray]')")
    ray_address: str | None = Field(default=None, description="engine ray: the cluster (none: a local Ray "
                                    "instance on the worker's machine)")
    ray_min_videos: int = Field(default=0, ge=0, description="engine ray: jobs with fewer videos are scored "
                                "by the worker itself")
    engine_options: dict = Field(default_factory=dict, description="engine ray: trackers, judges, "
                                 "gpu_per_tracker, gpu_per_judge, cpus_per_actor")
    suites: list[str] = Field(default_factory=list, description="suite files/names accepted; default: shipped")
    default_suite: str | None = None

    # Judge trust (docs/judge-trust.md): each judge's negative controls, measured once per suite.
    controls_sample: int = Field(default=20, ge=0, description="scenarios of a suite given negative "
                                 "controls, once per judge fingerprint; 0: none")
    controls_from: Literal["admins", "anyone"] = Field(default="admins", description="whose submissions the "
                                                       "controls are derived from")

    # Queue.
    lease_seconds: float = Field(default=60.0, gt=0, description="a job whose lease is older is requeued")
    heartbeat_seconds: float | None = Field(default=None, description="default: a third of the lease")
    max_attempts: int = Field(default=3, ge=1)
    poll_seconds: float = Field(default=1.0, gt=0, description="idle worker's wait between claims")

    # Browsers: origins allowed to call the API from other sites (CORS); empty: none.
    cors_origins: list[str] = Field(default_factory=list, description="e.g. [\"https://lab.example\"]")

    # Admission.
    max_upload_bytes: int = Field(default=4 << 30, gt=0)
    max_files: int = Field(default=2000, gt=0, description="entries in one archive")
    max_uncompressed_bytes: int = Field(default=16 << 30, gt=0, description="zip-bomb bound")
    max_body_bytes: int = Field(default=1 << 20, gt=0, description="any other request body (JSON)")
    max_compression_ratio: float = Field(default=20.0, gt=1, description="declared bytes per archive byte")
    submissions_per_day: int = Field(default=20, ge=0)
    concurrent_jobs: int = Field(default=3, ge=0)
    refused_uploads_per_hour: int = Field(default=10, ge=0, description="refused uploads before 429")
    concurrent_uploads: int = Field(default=2, ge=1, description="uploads one user may send at once (per "
                                    "API process): parallel uploads fill the disk before quotas count them")

    # Video checks before queueing.
    min_frames: int = 2
    max_frames: int = 1000
    min_fps: float = 1.0
    max_fps: float = 120.0
    min_side: int = 16
    max_side: int = 4096

    @field_validator("profile", "judge", "tracker", "detector", "default_suite", "storage", mode="before")
    @classmethod
    def _blank_is_unset(cls, v: object) -> object:
        # docker-compose passes unset variables as empty strings: treat them as not given; "none" says so.
        return None if isinstance(v, str) and v.strip().lower() in ("", "none") else v

    @field_validator("data_dir", "storage", mode="after")
    @classmethod
    def _absolute(cls, v: Path | None) -> Path | None:
        return v.expanduser().absolute() if v is not None else None

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'intergeneval.db'}"
        return self

    @property
    def storage_dir(self) -> Path:
        """Where uploads, job outputs and the shared result cache live."""
        return self.storage or self.data_dir

    @property
    def heartbeat_interval(self) -> float:
        """Seconds between lease renewals."""
        return self.heartbeat_seconds or self.lease_seconds / 3

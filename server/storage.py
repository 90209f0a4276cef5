"""The storage folder: uploads in flight, accepted submissions, job outputs and the shared result cache.

Layout (all under one root that every worker mounts)::

    incoming/<random>/        an upload being received and checked (removed when refused)
    submissions/<random>/     an accepted submission's videos (<scenario id>.mp4)
    jobs/<job id>/            a job's output folder: per_video.jsonl, summary.json, evidence/
    cache/                    the runner's result cache, shared by all jobs, so a retried job resumes
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import time
import uuid
from pathlib import Path

log = logging.getLogger(__name__)


class StorageFull(OSError):
    """The server's disk (or its quota) is full: not the client's fault (the API answers 507)."""

    def __init__(self) -> None:
        super().__init__(errno.ENOSPC, "no space left on the server's storage")


def is_full(e: OSError) -> bool:
    """True for the errors of a full disk or quota."""
    return e.errno in (errno.ENOSPC, errno.EDQUOT)


class Storage:
    """Paths under the storage root; every path handed out stays inside it."""

    def __init__(self, root: Path):
        self.root = Path(root).absolute()
        for sub in ("incoming", "submissions", "jobs", "cache"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    @property
    def cache_dir(self) -> Path:
        """The runner's shared result cache."""
        return self.root / "cache"

    def new_incoming(self) -> Path:
        """A fresh folder for one upload in flight."""
        d = self.root / "incoming" / uuid.uuid4().hex
        try:
            d.mkdir()
        except OSError as e:
            if is_full(e):
                raise StorageFull() from None
            raise
        return d

    def accept(self, incoming_videos: Path) -> str:
        """Move checked videos into `submissions/`; returns their folder relative to the root."""
        rel = f"submissions/{uuid.uuid4().hex}"
        os.replace(incoming_videos, self.root / rel)
        return rel

    def path(self, rel: str) -> Path:
        """An absolute path for a stored relative one (refuses anything that leaves the root)."""
        p = (self.root / rel).resolve()
        if not p.is_relative_to(self.root.resolve()):
            raise ValueError(f"{rel!r} is outside the storage root")
        return p

    def job_dir(self, job_id: int) -> Path:
        """A job's output folder (the runner's OUT)."""
        return self.root / "jobs" / str(job_id)

    def remove(self, path: Path) -> None:
        """Delete a folder or file inside the root, ignoring one that is already gone."""
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    def sweep_incoming(self, older_than_s: float = 24 * 3600) -> int:
        """Remove uploads abandoned by a crashed server; returns how many were removed."""
        n = 0
        now = time.time()
        for d in (self.root / "incoming").iterdir():
            try:
                if now - d.stat().st_mtime > older_than_s:
                    self.remove(d)
                    n += 1
            except FileNotFoundError:
                continue
        return n

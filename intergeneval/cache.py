"""On-disk cache of per-video results, keyed by what determines them.

A key covers the video's bytes, the scenario's content, the judge, tracker and detector fingerprints, the
pipeline options and the protocol id, so a rerun, a second model or a changed judge costs only the missing
work. Each entry is a folder `<key[:2]>/<key>/` holding `record.json` and the evidence frames.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from .formats import atomic_write_text
from .hashing import canonical_json, sha256_json

#: Statuses that the same inputs would give again; others (judge or tracker failures) are retried on rerun.
FINAL_STATUSES = frozenset({"scored", "unreadable", "empty", "truncated", "single_frame", "wrong_size"})


def is_final(record: dict[str, Any]) -> bool:
    """True when a rerun would only repeat this result: a final status and no answer left missing.

    A scored video with some missing answers (a judge call that failed on every attempt, e.g. out of
    memory or a rate limit) is kept in the run's results but recomputed by the next run.
    """
    return (record.get("status") in FINAL_STATUSES
            and not (record.get("diagnostics") or {}).get("missing_answers"))


def cache_key(*, video_sha256: str, scenario_hash: str, fingerprints: dict[str, Any], protocol: str) -> str:
    """The protocol's cache key: sha256 over the video, the scenario, the fingerprints and the protocol."""
    return sha256_json(
        {"video": video_sha256, "scenario": scenario_hash, "fingerprints": fingerprints, "protocol": protocol}
    )


class ResultCache:
    """A folder of cached per-video records and their evidence frames."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def entry(self, key: str) -> Path:
        """The folder of one entry (it may not exist yet)."""
        return self.root / key[:2] / key

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached record for `key`, or None (a torn or unreadable entry counts as absent)."""
        f = self.entry(key) / "record.json"
        try:
            return json.loads(f.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None

    def put(self, key: str, record: dict[str, Any]) -> None:
        """Store a final record (`is_final`); others are not cached so a rerun tries again."""
        if not is_final(record):
            return
        d = self.entry(key)
        d.mkdir(parents=True, exist_ok=True)
        atomic_write_text(d / "record.json", canonical_json(record))


def link_or_copy(src: Path, dst: Path) -> None:
    """Place `src` at `dst` by hard link when possible (same file system), else by copy."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)

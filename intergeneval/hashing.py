"""Content hashes used for suites, scenarios, cache keys and fingerprints."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace, so equal content always hashes equally."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_text(text: str) -> str:
    """Hex sha256 of UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_json(value: Any) -> str:
    """Hex sha256 of a value's canonical JSON."""
    return sha256_text(canonical_json(value))


#: The key under which a backend fingerprint records what its remote server reported during a run (served
#: model names, `system_fingerprint`s): provenance, left out of every identity (cache keys, leaderboard
#: groups), since it may change from call to call and a resumed run must still find its finished videos.
SERVED_KEY = "served"


def fingerprint_identity(fingerprint: dict[str, Any] | None) -> dict[str, Any]:
    """A fingerprint without its `served` provenance: what identifies the backend.

    Example:
        >>> fingerprint_identity({"backend": "openai", "model": "m", "served": {"models": ["m-2024"]}})
        {'backend': 'openai', 'model': 'm'}
    """
    return {k: v for k, v in (fingerprint or {}).items() if k != SERVED_KEY}


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()

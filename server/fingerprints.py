"""Backend fingerprints as the leaderboard shows them: a full hash to group by, a short label to read.

Example:
    >>> fp = {"backend": "qwen", "model": "Qwen/Qwen2.5-VL-7B-Instruct", "revision": "abc", "temperature": 0}
    >>> len(fingerprint_hash(fp)), judge_label(fp).startswith("qwen:Qwen2.5-VL-7B-Instruct@")
    (64, True)
"""

from __future__ import annotations

from typing import Any

from intergeneval.hashing import sha256_json


def fingerprint_hash(fingerprint: dict[str, Any] | None) -> str:
    """sha256 of a fingerprint's canonical JSON (results are ranked together only when these match)."""
    return sha256_json(fingerprint or {})


def judge_label(fingerprint: dict[str, Any] | None) -> str:
    """`backend:model@hash8`, e.g. `qwen:Qwen2.5-VL-7B-Instruct@1a2b3c4d` (model without its hub owner)."""
    fp = fingerprint or {}
    backend = str(fp.get("backend", "judge"))
    model = str(fp.get("model") or fp.get("model_id") or "").rsplit("/", 1)[-1]
    if model.startswith(f"{backend}:"):  # e.g. the scripted judge names itself "scripted:answers.json@…"
        model = model[len(backend) + 1:]
    head = f"{backend}:{model}" if model else backend
    return f"{head}@{fingerprint_hash(fp)[:8]}"

"""Backend fingerprints as the leaderboard and `/health` show them: a hash to group by, a short label to read.

Example:
    >>> fp = {"backend": "qwen", "model": "Qwen/Qwen2.5-VL-7B-Instruct", "revision": "abc", "temperature": 0}
    >>> len(fingerprint_hash(fp)), judge_label(fp).startswith("qwen:Qwen2.5-VL-7B-Instruct@")
    (64, True)
    >>> backend_info(fp)["label"] == judge_label(fp)
    True
"""

from __future__ import annotations

import logging
from typing import Any

from intergeneval.hashing import fingerprint_identity, sha256_json

log = logging.getLogger(__name__)

ROLES = ("judge", "tracker", "detector")


def fingerprint_hash(fingerprint: dict[str, Any] | None) -> str:
    """sha256 of a fingerprint's canonical JSON (results are ranked together only when these match).

    What a remote judge's server reported during the run (`served`: model names, `system_fingerprint`s) is
    recorded with the results but is not part of the hash: one run's calls may report several.
    """
    return sha256_json(fingerprint_identity(fingerprint))


def _head(backend: str, model: str) -> str:
    model = model.rsplit("/", 1)[-1]
    if model.startswith(f"{backend}:"):  # e.g. the scripted judge names itself "scripted:answers.json@…"
        model = model[len(backend) + 1:]
    return f"{backend}:{model}" if model else backend


def judge_label(fingerprint: dict[str, Any] | None) -> str:
    """`backend:model@hash8`, e.g. `qwen:Qwen2.5-VL-7B-Instruct@1a2b3c4d` (model without its hub owner).

    Any backend's fingerprint reads the same way (`sam2:sam2.1-hiera-large@…`).
    """
    fp = fingerprint or {}
    model = str(fp.get("model") or fp.get("model_id") or "")
    return f"{_head(str(fp.get('backend', 'judge')), model)}@{fingerprint_hash(fp)[:8]}"


def backend_info(fingerprint: dict[str, Any]) -> dict[str, Any]:
    """A loaded backend as `/health` reports it: name, model, revision, label and full fingerprint hash."""
    return {"backend": str(fingerprint.get("backend", "?")),
            "model": _text(fingerprint.get("model") or fingerprint.get("model_id")),
            "revision": _text(fingerprint.get("revision")), "label": judge_label(fingerprint),
            "fingerprint": fingerprint_hash(fingerprint), "source": "worker"}


def configured_backends(settings: Any) -> dict[str, dict[str, Any] | None]:
    """The judge, tracker and detector the settings name (the profile filling the roles left open), without
    loading or importing any backend. Their fingerprints are unknown until a worker loads them: `fingerprint`
    is null and `label` has no hash.

    Args:
        settings: the service `Settings` (`profile`, `judge`, `judge_options`, … as the workers read them).

    Returns:
        `{role: info or None}` for judge, tracker and detector; None where no backend is named (or the
        profile is unknown: workers refuse to start with it, and health must still answer).
    """
    from intergeneval.errors import ConfigError
    from intergeneval.profiles import resolve_profile

    profile: dict[str, Any] = {}
    if settings.profile:
        try:
            profile = resolve_profile(settings.profile)
        except ConfigError as e:
            log.warning("health: %s", e)
            return dict.fromkeys(ROLES)
    out: dict[str, dict[str, Any] | None] = {}
    for role in ROLES:
        name, options = getattr(settings, role), dict(getattr(settings, f"{role}_options") or {})
        if not name:  # as the runner does: the profile's backend, explicit options over the profile's
            name = profile.get(role)
            options = {**profile.get(f"{role}_options", {}), **options}
        if not name:
            out[role] = None
            continue
        model = _text(options.get("model") or options.get("model_id") or options.get("checkpoint"))
        out[role] = {"backend": name, "model": model, "revision": _text(options.get("revision")),
                     "label": _head(name, model or ""), "fingerprint": None, "source": "settings"}
    return out


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None

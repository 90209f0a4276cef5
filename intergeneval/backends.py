"""`Backends`: the judge, tracker and detector of a run, built once and shared by every video.

Backends are named in the run's config (or by its profile) and built here; callers may also pass ready
instances (a service worker builds them once for all its jobs). Model backends read their identity (config,
processor, revision) when built and load their weights on first use, so a run whose videos are all cached
loads no model.

Several videos may be in flight at once (`--concurrency`). A backend that can serve calls from several
threads at a time says so with a class attribute `thread_safe = True` (the API judge, the scripted judge,
the replay tracker); every other backend is used by one thread at a time, under `Backends.using(role)`.

Example:
    >>> from intergeneval.backends import Backends
    >>> from intergeneval.runconfig import EvalConfig
    >>> cfg = EvalConfig(videos=".", suite="", out=".", judge="scripted",  # doctest: +SKIP
    ...                  judge_options={"answers": "answers.json"}, tracker="replay",
    ...                  tracker_options={"root": "tracks"})
    >>> with Backends(cfg).using("judge") as judge: ...  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from .errors import ConfigError, InterGenEvalError
from .registry import DETECTORS, JUDGES, TRACKERS, lookup
from .runconfig import EvalConfig

ROLES = ("judge", "tracker", "detector")
_TABLES = {"judge": JUDGES, "tracker": TRACKERS, "detector": DETECTORS}


class Backends:
    """The judge, tracker and (optional) detector of a run, built once and reused for every video."""

    def __init__(self, cfg: EvalConfig, *, judge: Any = None, tracker: Any = None, detector: Any = None):
        given = {"judge": judge, "tracker": tracker, "detector": detector}
        self.names = backend_names(cfg, provided={role for role, b in given.items() if b is not None})
        for role in ROLES:
            if given[role] is None and self.names.get(role):
                given[role] = build(role, self.names[role], self.names[f"{role}_options"], cfg.profile)
        self.judge, self.tracker, self.detector = given["judge"], given["tracker"], given["detector"]
        # One lock per backend that must not serve two threads at once (models hold per-call state).
        self._locks = {role: threading.Lock() for role in ROLES}

    def fingerprints(self) -> dict[str, Any]:
        """Fingerprints of the three backends (detector None when the run has none)."""
        return {
            "judge": self.judge.fingerprint(),
            "tracker": self.tracker.fingerprint(),
            "detector": self.detector.fingerprint() if self.detector is not None else None,
        }

    @contextlib.contextmanager
    def using(self, role: str) -> Iterator[Any]:
        """The backend of `role`, held by this thread alone unless it is `thread_safe`."""
        backend = getattr(self, role)
        if getattr(backend, "thread_safe", False):
            yield backend
            return
        with self._locks[role]:
            yield backend


def build(role: str, name: str, options: dict[str, Any], profile: str | None = None) -> Any:
    """Build the backend registered as `name` for `role`; errors name the profile it came from."""
    try:
        return lookup(_TABLES[role], name, kind=role)(**options)
    except InterGenEvalError as e:  # before any video: name the profile the backend came from
        where = f" (profile {profile!r})" if profile else ""
        e.args = (f"{role} {name!r}{where}: {e}",)
        raise


def backend_names(cfg: EvalConfig, *, provided: set[str] = frozenset()) -> dict[str, Any]:
    """Backend names and options for the roles not `provided` as instances.

    An explicitly named backend wins over the profile's; the profile fills the rest (the detector too).
    """
    names: dict[str, Any] = {}
    for role in ROLES:
        if role not in provided:
            names[role] = getattr(cfg, role)
            names[f"{role}_options"] = dict(getattr(cfg, f"{role}_options"))
    open_roles = [role for role in ROLES if role in names and names[role] is None]
    if cfg.profile and open_roles:
        from .profiles import resolve_profile

        prof = resolve_profile(cfg.profile)
        for role in open_roles:
            names[role] = prof.get(role)
            names[f"{role}_options"] = {**prof.get(f"{role}_options", {}), **names[f"{role}_options"]}
    for role in ("judge", "tracker"):
        if role in names and names[role] is None:
            raise ConfigError(f"no {role}: name one (--{role}) or a model profile (--profile default|tiny)")
    return names

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
from collections.abc import Callable, Iterator
from typing import Any

from .errors import ConfigError, InterGenEvalError
from .registry import DETECTORS, JUDGES, TRACKERS, check_options, declared_options, lookup
from .runconfig import EvalConfig

ROLES = ("judge", "tracker", "detector")
_TABLES = {"judge": JUDGES, "tracker": TRACKERS, "detector": DETECTORS}


class Backends:
    """The judge, tracker and (optional) detector of a run, built once and reused for every video.

    Every backend's name and options are checked first (`registry.check_options`, against what the backend
    declares); only then is any built, so a typo in the last option fails at once, not after a model loads.
    `on_load(role)` is told as each backend starts being built.
    """

    def __init__(self, cfg: EvalConfig, *, judge: Any = None, tracker: Any = None, detector: Any = None,
                 on_load: Callable[[str], None] | None = None):
        given = {"judge": judge, "tracker": tracker, "detector": detector}
        self.cfg = cfg  # another process (a Ray actor) builds the same backends from it
        self.provided = {role for role, b in given.items() if b is not None}
        self.names = backend_names(cfg, provided=self.provided)
        planned = {role: plan(role, self.names, cfg) for role in ROLES
                   if given[role] is None and self.names.get(role)}
        for role, (cls, options) in planned.items():
            if on_load is not None:
                on_load(role)
            given[role] = build(role, self.names, cls, options, cfg.profile)
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


def plan(role: str, names: dict[str, Any], cfg: EvalConfig) -> tuple[type, dict[str, Any]]:
    """The class of `role`'s backend and its checked options, before anything is built.

    The run's `attempts` goes to a judge that takes it, unless its options name their own.

    Raises:
        ConfigError, BackendUnavailable: unknown name, undeclared option or wrong value type, missing
            package; the message names the backend (and the profile when the backend came from it).
    """
    try:
        cls = lookup(_TABLES[role], names[role], kind=role)
        options = names[f"{role}_options"]
        if role == "judge" and "attempts" in declared_options(cls):
            options = {"attempts": cfg.attempts, **options}
        return cls, check_options(cls, options, kind=role, name=names[role])
    except InterGenEvalError as e:
        e.args = (_naming(str(e), role, names, cfg.profile),)
        raise


def build(role: str, names: dict[str, Any], cls: type, options: dict[str, Any], profile: str | None) -> Any:
    """Build a planned backend; errors name it (and the profile it came from)."""
    try:
        return cls(**options)
    except InterGenEvalError as e:  # before any video: name the backend and where it came from
        e.args = (_naming(str(e), role, names, profile),)
        raise


def _naming(message: str, role: str, names: dict[str, Any], profile: str | None) -> str:
    """`message` starting with "<role> '<name>'", followed by the profile when the backend came from it (a
    backend the user named is never blamed on the profile)."""
    head = f"{role} {names[role]!r}"
    where = f" (profile {profile!r})" if role in names["from_profile"] else ""
    if message.startswith(head):
        return head + where + message[len(head):]
    return f"{head}{where}: {message}"


def backend_names(cfg: EvalConfig, *, provided: set[str] = frozenset()) -> dict[str, Any]:
    """Backend names and options for the roles not `provided` as instances; `from_profile` lists the roles
    the profile filled.

    An explicitly named backend wins over the profile's; the profile fills the rest (the detector too).
    """
    names: dict[str, Any] = {"from_profile": set()}
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
            names["from_profile"].add(role)
    for role in ("judge", "tracker"):
        if role in names and names[role] is None:
            raise ConfigError(f"no {role}: name one (--{role}) or a model profile (--profile default|tiny)")
    return names

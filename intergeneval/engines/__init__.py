"""Engines: who runs the videos of a run that are not in the cache.

`runner.evaluate` looks videos up in the cache, appends every record to `per_video.jsonl` as it arrives and
writes the summary; an engine only decides how the uncached videos' work (`pipeline.score_video`) runs:

- `local` (the default): in this process; `--concurrency N` keeps up to N videos in flight on threads
  (decoding and overlay overlap tracking and judging; API judges get the calls of N videos at once).
  N = 1 scores one video after the other in the calling thread.
- `ray`: on a Ray cluster (`--address`) or a local Ray instance; needs `pip install 'intergeneval[ray]'`.

An engine is an object with `run(jobs, backends, options, hook, after)`: it pulls `VideoJob`s from `jobs`
only when it has room for one more (so a stop request is seen before each new video), calls `after(result)`
for each finished video (the runner writes its evidence and cache entry there) and then yields the
`Scored`, in completion order.

Example:
    >>> make_engine("local", concurrency=4)
    LocalEngine(concurrency=4)
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError

ENGINES = ("local", "ray")


def make_engine(name: str = "local", *, concurrency: int = 1, address: str | None = None,
                options: dict[str, Any] | None = None) -> Any:
    """Build engine `name`; a bad name or option, or Ray missing for `ray`, is a `ConfigError`."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigError(f"concurrency must be a whole number of videos, at least 1, got {concurrency!r}")
    options = dict(options or {})
    if name == "local":
        if address is not None or options:
            raise ConfigError("--address and engine options are for --engine ray; the local engine takes "
                              "only --concurrency")
        from .local import LocalEngine

        return LocalEngine(concurrency)
    if name == "ray":
        import inspect

        from .ray_engine import RayEngine

        known = [p for p in inspect.signature(RayEngine).parameters if p not in ("concurrency", "address")]
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise ConfigError(f"unknown engine option(s) {', '.join(unknown)} for --engine ray; known: "
                              f"{', '.join(known)}")
        return RayEngine(concurrency=concurrency, address=address, **options)
    raise ConfigError(f"unknown engine {name!r}; known: {', '.join(ENGINES)}")

"""`EvalConfig`: everything one scoring run needs, built by the CLI, the service worker or a test."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import config
from .errors import ConfigError

#: Default of `max_decoded_mb` (`intergeneval.video.MAX_DECODED_MB`; repeated so no video code is imported).
MAX_DECODED_MB = 4096


@dataclass(frozen=True, slots=True)
class EvalConfig:
    """A scoring run: which videos, which suite, where results go, which backends."""

    videos: Path = field(metadata={"help": "folder of <scenario id>.mp4 files"})
    suite: Path | str = field(metadata={"help": "suite file or folder, reference meta.json, or shipped suite name"})
    out: Path = field(metadata={"help": "output folder: per_video.jsonl, summary.json/csv, evidence/, report.html"})
    judge: str | None = field(default=None, metadata={"help": "judge backend name (else the profile's)"})
    judge_options: dict[str, Any] = field(default_factory=dict, metadata={"help": "backend options"})
    tracker: str | None = field(default=None, metadata={"help": "tracker backend name (else the profile's)"})
    tracker_options: dict[str, Any] = field(default_factory=dict, metadata={"help": "backend options"})
    detector: str | None = field(default=None, metadata={"help": "detector for suites without first-frame masks"})
    detector_options: dict[str, Any] = field(default_factory=dict, metadata={"help": "backend options"})
    profile: str | None = field(default=None, metadata={"help": "named model set (default, tiny); sets backends"})
    stride: int = field(default=config.STRIDE, metadata={"help": "frame sampling stride"})
    attempts: int = field(default=config.JUDGE_ATTEMPTS, metadata={"help": "judge attempts per call"})
    mask_resize: str = field(default="stretch", metadata={"help": "suite masks to video size: stretch or cover"})
    expect_size: tuple[int, int] | None = field(default=None, metadata={"help": "required (width, height)"})
    max_side: int | None = field(default=None, metadata={"help": "decode frames at most this many pixels on "
                                                          "the longer side (None: the video's size)"})
    max_decoded_mb: int = field(default=MAX_DECODED_MB, metadata={"help": "refuse a video whose decoded "
                                                                  "frames need more memory (MB)"})
    cache_dir: Path | None = field(default=None, metadata={"help": "result cache (default OUT/cache)"})
    evidence: bool = field(default=True, metadata={"help": "save the overlay frames the judge saw"})
    limit: int | None = field(default=None, metadata={"help": "score only the first N scenarios"})
    bootstrap_samples: int = field(default=config.BOOTSTRAP_SAMPLES, metadata={"help": "bootstrap resamples"})
    bootstrap_seed: int = field(default=config.BOOTSTRAP_SEED, metadata={"help": "bootstrap seed"})
    # How the videos run; never what they give (every engine writes the same results).
    engine: str = field(default="local", metadata={"help": "local or ray (see intergeneval.engines)"})
    concurrency: int = field(default=1, metadata={"help": "videos in flight at once"})
    address: str | None = field(default=None, metadata={"help": "Ray cluster address (engine ray)"})
    engine_options: dict[str, Any] = field(default_factory=dict, metadata={"help": "engine options"})
    # Negative controls of the judge (intergeneval.controls); reported apart, never in the model's scores.
    controls: tuple[str, ...] = field(default=(), metadata={"help": "kinds: frozen, reversed, swapped"})
    controls_only: bool = field(default=False, metadata={"help": "only the controls (OUT/controls.json)"})
    controls_sample: int | None = field(default=None, metadata={"help": "how many scenarios get controls"})

    def public(self) -> dict[str, Any]:
        """The options that shape results, as recorded in the summary (no paths: they vary per machine)."""
        d = asdict(self)
        for k in ("videos", "suite", "out", "cache_dir", "limit", "judge_options", "tracker_options",
                  "detector_options", "evidence", "engine", "concurrency", "address", "engine_options",
                  "max_decoded_mb", "controls", "controls_only", "controls_sample"):
            d.pop(k)
        if d["max_side"] is None:  # absent unless used, so earlier summaries stay comparable
            d.pop("max_side")
        return d

    def check(self) -> None:
        """Refuse options and paths that cannot work, before anything is loaded.

        Raises:
            ConfigError: naming the option or path and what is wrong.
        """
        for name, low in (("stride", 1), ("attempts", 1), ("max_decoded_mb", 1)):
            if getattr(self, name) < low:
                raise ConfigError(f"{name} must be at least {low}, got {getattr(self, name)}")
        if self.limit is not None and self.limit < 1:  # 0 is not "everything": say what was meant
            raise ConfigError(f"limit must be at least 1 (leave it out to score every scenario); got "
                              f"{self.limit}")
        if self.max_side is not None and self.max_side < 64:
            raise ConfigError(f"max_side must be at least 64 pixels, got {self.max_side}")
        if self.mask_resize not in ("stretch", "cover"):
            raise ConfigError(f"mask_resize must be stretch or cover, got {self.mask_resize!r}")
        videos = Path(self.videos)
        if videos.is_file():
            raise ConfigError(f"{videos}: is a file; give the folder that holds the videos "
                              "(<scenario id>.mp4)")
        if not videos.is_dir():
            raise ConfigError(f"{videos}: videos folder does not exist")
        check_folder(self.out, "output")
        check_folder(self.cache_dir, "cache")


def check_folder(path: str | Path | None, what: str) -> None:
    """Refuse a folder to write into that is a file, or lies under one (before anything is loaded).

    Raises:
        ConfigError: naming the path, e.g. "out.json: is a file, but the output folder must be a folder".
    """
    if path is None:
        return
    path = Path(path)
    for p in (path, *path.parents):
        if p.exists():
            if p.is_dir():
                return
            if p == path:
                raise ConfigError(f"{p}: is a file, but the {what} folder must be a folder (name a new one)")
            raise ConfigError(f"{path}: cannot make the {what} folder there: {p} is a file")


def parse_options(pairs: list[str] | None, flag: str) -> dict[str, Any]:
    """Parse repeated `key=value` backend options; values are JSON when they parse as JSON, else strings.

    Example:
        >>> parse_options(["model=tiny:qwen", "threads=1", "constrained=true"], "--judge-option")
        {'model': 'tiny:qwen', 'threads': 1, 'constrained': True}
    """
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"{flag} takes key=value, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out

"""`intergeneval demo`: synthetic videos with known masks, scored end to end, with a report.

With the model extras installed, the demo runs the real backends (Qwen2.5-VL judge, SAM2 tracker) on the
`tiny` profile: small random models of the same classes built offline, so the numbers mean nothing but
every code path of a real run is exercised. Without them it uses the scripted judge and replay tracker,
whose answers follow the scenes' ground truth.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .runconfig import EvalConfig


@dataclass(frozen=True)
class DemoResult:
    """Where the demo put things, and its summary."""

    summary: dict[str, Any]
    results: Path
    report: Path
    note: str


def default_profile() -> str | None:
    """`tiny` when the model extras and the tiny profile are installed, else None (scripted + replay)."""
    if importlib.util.find_spec("transformers") is None or importlib.util.find_spec("torch") is None:
        return None
    if importlib.util.find_spec("intergeneval.profiles") is None:
        return None
    from .profiles import resolve_profile

    try:
        resolve_profile("tiny")
    except Exception:  # the profile module exists but has no tiny profile: fall back
        return None
    return "tiny"


def demo_config(out: Path, *, profile: str | None = None, n_videos: int = 4) -> tuple[EvalConfig, str]:
    """Write the synthetic scenes under OUT/scenes; return the run that scores them into OUT/results and a
    line saying which backends it uses."""
    from .runconfig import check_folder
    from .synthetic import make_scene_set

    out = Path(out)
    check_folder(out, "demo output")  # and the profile, before any scene is written
    profile = profile if profile is not None else default_profile()
    if profile not in (None, "scripted"):
        from .profiles import resolve_profile

        resolve_profile(profile)
    # Half the scenes are text-to-video (no first-frame masks), so model profiles also run detection.
    try:
        scenes = make_scene_set(out / "scenes", n_videos=n_videos, text_only=n_videos // 2)
    except OSError as e:
        raise ConfigError(f"{out / 'scenes'}: cannot write the demo scenes: {e.strerror or e}") from None
    if profile in (None, "scripted"):
        cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=out / "results", judge="scripted",
                         judge_options={"answers": str(scenes.answers)}, tracker="replay",
                         tracker_options={"root": str(scenes.tracks)})
        note = "backends: scripted judge (answers follow the scenes' ground truth), replayed mask tracks"
    else:
        cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=out / "results", profile=profile)
        note = f"backends: profile {profile!r}"
        if profile == "tiny":
            note += (" (Qwen2.5-VL judge, SAM2.1 tracker, GroundingDINO detector: the real model classes "
                     "with small random weights built offline, so every step of a real run is exercised and "
                     "the scores mean nothing)")
    return cfg, note


def run_demo(out: Path, *, profile: str | None = None, n_videos: int = 4,
             run: Callable[[EvalConfig], dict[str, Any]] | None = None) -> DemoResult:
    """Write the scenes, score them into OUT/results (`run` defaults to `evaluate`) and write the report."""
    from .report import write_report
    from .runner import evaluate

    cfg, note = demo_config(out, profile=profile, n_videos=n_videos)
    summary = (run or evaluate)(cfg)
    report = write_report(Path(out) / "results")
    return DemoResult(summary, Path(out) / "results", report, note)

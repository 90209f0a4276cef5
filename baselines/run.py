"""Generate one video per suite scenario into a folder the scorer reads: `<scenario id>.mp4`, resumable.

Example:
    >>> from baselines.run import parse_shard
    >>> parse_shard("1/4")
    (1, 4)

Layout of the output folder::

    VIDEOS/<scenario id>.mp4      one per scenario (H.264, yuv420p), the names `intergeneval score` looks for
    VIDEOS/model_card.json        model, checkpoint and revision, seed, resolution, frames, fps, steps, guidance
    VIDEOS/generation.jsonl       one line per generated video: id, seed, frames, seconds, sha256

Resume: a video already in the folder is skipped when it decodes completely with the expected frame count
and size; anything else (a cut-off file, another size) is generated again. A folder whose `model_card.json`
records other settings is refused, so two models' videos are never mixed. Videos are written to a hidden
temporary name and renamed when complete, so an interrupted run never leaves a half-written `<id>.mp4`.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intergeneval.errors import ConfigError, VideoError
from intergeneval.formats import append_jsonl, atomic_write_text, load_suite
from intergeneval.hashing import sha256_file
from intergeneval.records import Scenario, Suite

from .base import Generator

log = logging.getLogger(__name__)

CARD = "model_card.json"
LOG = "generation.jsonl"
#: Settings that must match for a folder to be resumed (the rest, like memory options, may differ).
_CARD_KEYS = ("name", "base_model", "revision", "checkpoint", "mode", "resolution", "frames", "fps", "steps",
              "guidance", "negative_prompt", "dtype", "call_options", "seed", "suite")


@dataclass
class GenerationReport:
    """What one `generate_videos` call did."""

    out: Path
    selected: list[str] = field(default_factory=list)
    generated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    regenerated: list[str] = field(default_factory=list)
    seconds: float = 0.0


def parse_shard(text: str | None) -> tuple[int, int]:
    """`"i/n"` (0 ≤ i < n) → (i, n); None → (0, 1)."""
    if text is None:
        return 0, 1
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ConfigError(f"--shard {text!r}: expected i/n with integers, e.g. 0/4") from None
    if n < 1 or not 0 <= i < n:
        raise ConfigError(f"--shard {text!r}: need 0 <= i < n (shards are numbered from 0)")
    return i, n


def select(suite: Suite, *, shard: tuple[int, int] = (0, 1), limit: int | None = None) -> list[Scenario]:
    """The first `limit` scenarios, then every n-th from the i-th (shards interleave, so each is balanced)."""
    i, n = shard
    scenarios = list(suite.scenarios[:limit] if limit is not None else suite.scenarios)
    return scenarios[i::n]


def video_is_complete(path: Path, *, frames: int, width: int, height: int) -> bool:
    """True when `path` decodes fully with exactly `frames` frames of `width`×`height`."""
    from intergeneval.video import decode

    try:
        video = decode(path, expect_size=(width, height))
    except VideoError as e:
        log.warning("%s will be generated again: %s", path, e.reason)
        return False
    if video.info.frames != frames:
        log.warning("%s will be generated again: %d frames, expected %d", path, video.info.frames, frames)
        return False
    return True


def generate_videos(
    generator: Generator, suite: str | Path | Suite, out: str | Path, *, seed: int = 42,
    shard: tuple[int, int] = (0, 1), limit: int | None = None,
    progress: Callable[[str, str], None] | None = None,
) -> GenerationReport:
    """Generate the missing videos of `suite` (or of one shard of it) into `out`.

    Args:
        generator: a generator, not yet loaded (it is loaded only if some video is missing).
        suite: a suite file, folder or shipped name, or a loaded `Suite`.
        out: the output folder (created).
        seed: the sampling seed of every video (recorded per video).
        shard: `(i, n)`: generate only scenarios i, i+n, i+2n, … of the selection.
        limit: only the first N scenarios of the suite.
        progress: called with (scenario id, "generated" | "skipped") after each scenario.

    Raises:
        ConfigError: an image-to-video model on scenarios without first frames, or a folder holding
            videos made with other settings.
    """
    spec = generator.spec
    suite = suite if isinstance(suite, Suite) else load_suite(suite, require_questions=False)
    out = Path(out)
    chosen = select(suite, shard=shard, limit=limit)
    if generator.needs_first_frame:
        missing = [s.id for s in chosen if s.first_frame is None]
        if missing:
            raise ConfigError(
                f"model {spec.name!r} is image-to-video but {len(missing)} of {len(chosen)} scenarios of suite "
                f"{suite.suite_id!r} have no first frame (e.g. {', '.join(missing[:3])}). Render first frames "
                "from each scenario's image_prompt and attach them with `intergeneval suite build`, then pass "
                "the built suite."
            )
    out.mkdir(parents=True, exist_ok=True)
    card = {**generator.card(), "checkpoint": _checkpoint_name(generator), "seed": seed,
            "suite": {"id": suite.suite_id, "version": suite.version, "content_hash": suite.content_hash}}
    _check_card(out / CARD, card)
    report = GenerationReport(out=out, selected=[s.id for s in chosen])
    started = time.perf_counter()
    loaded = False
    for scenario in chosen:
        path = out / f"{scenario.id}.mp4"
        if path.exists():
            if video_is_complete(path, frames=spec.num_frames, width=spec.width, height=spec.height):
                report.skipped.append(scenario.id)
                if progress:
                    progress(scenario.id, "skipped")
                continue
            report.regenerated.append(scenario.id)
        if not loaded:  # loading takes minutes for real models: only when a video is missing
            generator.load()
            loaded = True
            card = {**card, **_loaded_fields(generator)}
            atomic_write_text(out / CARD, json.dumps(card, indent=2, ensure_ascii=False) + "\n")
        t0 = time.perf_counter()
        frames = generator.generate(scenario, seed=seed)
        _write(path, frames, fps=spec.fps)
        seconds = time.perf_counter() - t0
        append_jsonl(out / LOG, {"id": scenario.id, "seed": seed, "frames": int(frames.shape[0]),
                                 "width": int(frames.shape[2]), "height": int(frames.shape[1]), "fps": spec.fps,
                                 "seconds": round(seconds, 3), "sha256": sha256_file(path), "model": spec.name})
        report.generated.append(scenario.id)
        log.info("%s: %s (%.1f s)", spec.name, path, seconds)
        if progress:
            progress(scenario.id, "generated")
    if not (out / CARD).exists():
        atomic_write_text(out / CARD, json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    report.seconds = time.perf_counter() - started
    return report


def _write(path: Path, frames: Any, *, fps: int) -> None:
    from intergeneval.video import encode_video

    tmp = path.with_name(f".{path.stem}.{os.getpid()}.partial.mp4")
    try:
        encode_video(tmp, frames, fps=fps)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _checkpoint_name(generator: Generator) -> str | None:
    return str(generator.checkpoint) if generator.checkpoint is not None else None


def _loaded_fields(generator: Generator) -> dict[str, Any]:
    """Card fields only known once the model is loaded (the commit actually used, the adapter's settings)."""
    card = generator.card()
    return {k: card[k] for k in ("resolved_revision", "base_model", "adapter", "scheduler") if k in card}


def _check_card(path: Path, card: dict[str, Any]) -> None:
    if not path.is_file():
        return
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConfigError(f"{path}: unreadable model card ({e}); move the folder aside or delete the card") \
            from None
    differ = [k for k in _CARD_KEYS if k in old and old.get(k) != card.get(k)]
    if differ:
        detail = "; ".join(f"{k}: {old.get(k)!r} there, {card.get(k)!r} now" for k in differ[:4])
        raise ConfigError(f"{path.parent} holds videos made with other settings ({detail}). "
                          "Use another --out folder so the two sets are never mixed.")

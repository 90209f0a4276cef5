"""How the model backends scale, on the tiny profile (random weights of the real classes, CPU).

    .venv/bin/python benchmarks/backends.py               # 4 videos of 49 frames, 3 repeats
    .venv/bin/python benchmarks/backends.py --videos 8 --repeat 5

Prints:
- seconds per video for a full tiny-profile run (`evaluate`: decode, track, overlay, judge), from the runner's
  per-video timings;
- tracking time for 4 objects over 1 object on the same 49 frames, and SAM2 image-encoder passes per frame
  (must be 1 whatever the object count: the features are shared; the mask decoder and memory attention
  still run per object, which is what the ratio measures);
- judge time for a video with 3 key interactions over one with 1 (target ≤ 1.5), with the vision encoder
  passes per video (must be 1), for batched calls (the default) and one call at a time.

Timings are medians over `--repeat` runs; on a shared machine single runs vary a lot. Tiny models run on one
CPU thread, as in the tiny profile.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from intergeneval.judges.base import JudgeVideo
from intergeneval.profiles import resolve_profile
from intergeneval.records import KeyInteraction, ObjectSpec, Question, Scenario
from intergeneval.runconfig import EvalConfig
from intergeneval.runner import evaluate
from intergeneval.synthetic import make_scene_set
from intergeneval.video import decode, overlay_sampled, sample_indices

TARGET_JUDGE_RATIO = 1.5


def _median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def per_video_seconds(scenes_dir: Path, n_videos: int) -> dict[str, float]:
    """A full tiny-profile run; per-video medians of the runner's timings."""
    scenes = make_scene_set(scenes_dir, n_videos=n_videos)
    out = scenes_dir.parent / "results"
    evaluate(EvalConfig(videos=scenes.videos, suite=scenes.suite, out=out, profile="tiny", evidence=False))
    records = [json.loads(line) for line in (out / "per_video.jsonl").read_text().splitlines() if line]
    scored = [r for r in records if r["status"] == "scored"]
    if len(scored) != n_videos:
        sys.exit(f"only {len(scored)}/{n_videos} videos were scored: {[r.get('reason') for r in records]}")
    return {k: statistics.median(r["timings"][k] for r in scored) for k in ("total_s", "track_s", "judge_s")}


def tracking_ratio(frames: np.ndarray, repeat: int) -> dict[str, Any]:
    """Tracking time of 4 objects over 1, and image-encoder passes per frame for each."""
    from intergeneval.registry import TRACKERS, lookup

    prof = resolve_profile("tiny")
    tracker = lookup(TRACKERS, prof["tracker"], kind="tracker")(**prof["tracker_options"])
    calls = [0]
    tracker.model.vision_encoder.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    h, w = frames.shape[1:3]
    out: dict[str, Any] = {}
    for n in (1, 4):
        masks = np.zeros((n, h, w), dtype=bool)
        for k in range(n):
            masks[k, h // 8 + k * h // 6 : h // 8 + k * h // 6 + h // 8, w // 8 : w // 3] = True
        list(tracker.track("warm-up", frames[:2], masks))
        calls[0] = 0
        out[f"track_{n}_s"] = _median_time(lambda m=masks: list(tracker.track("bench", frames, m)), repeat)
        out[f"encoder_per_frame_{n}"] = calls[0] / (repeat * len(frames))
    out["ratio"] = out["track_4_s"] / out["track_1_s"]
    return out


def judge_ratio(frames: np.ndarray, repeat: int, *, batch_calls: int) -> dict[str, Any]:
    """Judge time (all QA calls + the changes call, as the runner asks them) for 3 key interactions over 1."""
    from intergeneval.registry import JUDGES, lookup

    prof = resolve_profile("tiny")
    options = {**prof["judge_options"], "batch_calls": batch_calls}
    judge = lookup(JUDGES, prof["judge"], kind="judge")(**options)
    calls = [0]
    judge.model.model.visual.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    sampled = sample_indices(len(frames))
    masks = {t: np.zeros((2, *frames.shape[1:3]), dtype=bool) for t in sampled}
    shown = tuple(overlay_sampled(frames, sampled, masks))
    runs = [0]

    def video(n_interactions: int) -> JudgeVideo:
        kis = tuple(KeyInteraction(f"k{i}", tuple(Question(s, f"Is step {s} of part {i} visible?")
                                                  for s in range(1, 11))) for i in range(n_interactions))
        objects = (ObjectSpec("man", "a man in a red shirt"), ObjectSpec("fridge", "a white fridge"))
        sc = Scenario("bench", "A man opens a fridge.", objects, "contact", "unidirectional", "human-object",
                      kis)
        runs[0] += 1  # a new key each run: nothing is reused across runs
        return JudgeVideo(f"bench-{runs[0]}", sc, tuple(sampled), shown, ("red", "green"))

    def judge_video(n: int) -> None:
        v = video(n)
        for i in range(n):
            judge.answer(v, i)
        judge.changes(v)

    judge_video(1)
    out: dict[str, Any] = {}
    for n in (1, 3):
        calls[0] = 0
        out[f"judge_{n}_s"] = _median_time(lambda n=n: judge_video(n), repeat)
        out[f"encoder_per_video_{n}"] = calls[0] / repeat
    out["ratio"] = out["judge_3_s"] / out["judge_1_s"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        video = per_video_seconds(root / "scenes", args.videos)
        frames = decode(sorted((root / "scenes" / "videos").glob("*.mp4"))[0]).frames
        track = tracking_ratio(frames, args.repeat)
        judge = judge_ratio(frames, args.repeat, batch_calls=4)
        single = judge_ratio(frames, args.repeat, batch_calls=1)
    h, w = frames.shape[1:3]
    print(f"tiny profile, {args.videos} synthetic videos of {len(frames)} frames at {w}x{h}, "
          f"medians of {args.repeat}")
    print(f"  seconds per video (full run)       {video['total_s']:.2f} s  (track {video['track_s']:.2f} s, "
          f"judge {video['judge_s']:.2f} s)")
    print(f"  tracking 4 objects / 1 object      {track['ratio']:.2f}  ({track['track_4_s']:.2f} s / "
          f"{track['track_1_s']:.2f} s); image-encoder passes per frame: {track['encoder_per_frame_1']:.0f} "
          f"(1 object), {track['encoder_per_frame_4']:.0f} (4 objects)")
    ok = "meets" if judge["ratio"] <= TARGET_JUDGE_RATIO else "misses"
    print(f"  judge 3 key interactions / 1       {judge['ratio']:.2f}  ({judge['judge_3_s']:.2f} s / "
          f"{judge['judge_1_s']:.2f} s; {ok} the target ≤ {TARGET_JUDGE_RATIO}); vision-encoder passes "
          f"per video: {judge['encoder_per_video_1']:.0f} and {judge['encoder_per_video_3']:.0f}")
    print(f"  same, one call at a time           {single['ratio']:.2f}  ({single['judge_3_s']:.2f} s / "
          f"{single['judge_1_s']:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

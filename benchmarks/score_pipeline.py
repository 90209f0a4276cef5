"""How fast the scoring pipeline runs around its backends, on synthetic videos.

    .venv/bin/python benchmarks/score_pipeline.py            # 20 videos, 49 frames, 720x480, 3 runs
    .venv/bin/python benchmarks/score_pipeline.py --profile  # and where the time outside backends goes

Writes synthetic scenes once, then times `intergeneval.runner.evaluate` with the scripted judge and the
replay tracker (near-free backends, so what remains is the pipeline's own cost), each run on a fresh output
folder so no cached result is reused. Prints videos/s, decode frames/s, and the share of wall time spent
outside decoding and the backends (tracking, judging): the target is under 10 %. Per-video timings come
from the runner's `timings` record. The median of `--repeat` runs is reported: on a shared machine single
runs vary by several points.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from intergeneval.runconfig import EvalConfig
from intergeneval.runner import evaluate
from intergeneval.synthetic import SceneSet, make_scene_set

TARGET_SHARE = 0.10


def run_once(scenes: SceneSet, out: Path, *, evidence: bool,
             profiler: cProfile.Profile | None) -> dict[str, Any]:
    """One timed `evaluate` over the scenes; returns the figures of that run."""
    cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=out, judge="scripted",
                     judge_options={"answers": str(scenes.answers)}, tracker="replay",
                     tracker_options={"root": str(scenes.tracks)}, evidence=evidence)
    t = time.perf_counter()
    if profiler:
        profiler.enable()
    summary = evaluate(cfg)
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - t
    records = [json.loads(line) for line in (out / "per_video.jsonl").read_text().splitlines() if line]
    failed = {r["scenario_id"]: r["status"] for r in records if r["status"] != "scored"}
    if failed or summary["videos"]["scored"] != len(scenes.ids):
        raise SystemExit(f"not every video was scored: {failed}")
    sums = {k: sum(r["timings"].get(k, 0.0) for r in records)
            for k in ("decode_s", "track_s", "judge_s", "overlay_s", "evidence_s", "total_s")}
    backends = sums["decode_s"] + sums["track_s"] + sums["judge_s"]
    frames = sum(r["video_info"]["frames"] for r in records)
    return {
        "wall": wall, "videos_per_s": len(records) / wall, "decode_fps": frames / sums["decode_s"],
        "share": 1 - backends / wall, "frames": frames, **sums,
        "other_per_video": sums["total_s"] - backends - sums["overlay_s"] - sums["evidence_s"],
        "outside_per_video": wall - sums["total_s"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--videos", type=int, default=20)
    ap.add_argument("--frames", type=int, default=49)
    ap.add_argument("--size", default="480x720", help="HEIGHTxWIDTH")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs; the median is reported")
    ap.add_argument("--no-evidence", action="store_true", help="do not write the evidence JPEGs")
    ap.add_argument("--profile", action="store_true", help="cProfile the first run, list the top functions")
    ap.add_argument("--workdir", type=Path, default=None, help="keep scenes and results here")
    args = ap.parse_args(argv)
    height, width = (int(v) for v in args.size.lower().split("x"))
    write = sys.stdout.write

    with tempfile.TemporaryDirectory(prefix="igbench-") as tmp:
        work = args.workdir or Path(tmp)
        t = time.perf_counter()
        scenes = make_scene_set(work / "scenes", n_videos=args.videos, frames=args.frames,
                                size=(height, width))
        write(f"scenes: {args.videos} videos x {args.frames} frames, {width}x{height} "
              f"(written in {time.perf_counter() - t:.2f} s)\n")
        profiler = cProfile.Profile() if args.profile else None
        runs = []
        for i in range(args.repeat):
            r = run_once(scenes, work / f"results-{time.time_ns()}", evidence=not args.no_evidence,
                         profiler=profiler if i == 0 else None)
            runs.append(r)
            write(f"run {i + 1}: wall {r['wall']:.2f} s, {r['videos_per_s']:.2f} videos/s, "
                  f"decode {r['decode_fps']:.0f} frames/s, outside decoding and backends {r['share']:.1%} "
                  f"(overlay {r['overlay_s']:.3f} s, evidence JPEGs {r['evidence_s']:.3f} s, other per-video "
                  f"{r['other_per_video']:.3f} s, hashing/cache/summary {r['outside_per_video']:.3f} s)\n")

    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    write(f"median of {len(runs)} runs:\n"
          f"  videos/s: {med['videos_per_s']:.2f}\n"
          f"  decode frames/s: {med['decode_fps']:.0f}\n"
          f"  backends per video: track (replay, npz load) {med['track_s'] / args.videos * 1e3:.0f} ms, "
          f"judge (scripted) {med['judge_s'] / args.videos * 1e3:.1f} ms\n"
          f"  share of wall time outside decoding and backends: {med['share']:.1%} "
          f"(target < {TARGET_SHARE:.0%}: {'met' if med['share'] < TARGET_SHARE else 'NOT met'})\n")
    if profiler:
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(20)
        write(buf.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())

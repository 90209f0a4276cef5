"""Per-stage seconds of a full scoring run with the model backends, on a GPU (or the CPU).

    python benchmarks/gpu_stages.py --device cuda          # tiny profile, 8 videos, 1 then 4 in flight
    python benchmarks/gpu_stages.py --device cpu --videos 2 --levels 1
    python benchmarks/gpu_stages.py --device cuda --threads 1 --switch-interval 0.5   # see docs/scaling.md

Writes synthetic 49-frame videos (half of them without first-frame masks, so detection runs too), then
scores them with the model profile (`tiny` by default: random weights of the real classes, built offline)
with every backend on `--device`, once per `--levels` concurrency, each on a fresh output folder. Prints the
median seconds per video of each stage (decode, detect, track, overlay, judge, evidence, total), videos/s,
and on CUDA the peak GPU memory. The first run includes loading the models; a warm-up run on one video
comes first so the timed runs do not.

Needs numpy, pillow, av, torch, transformers and qwen-vl-utils (no server or training packages).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from intergeneval.runconfig import EvalConfig
from intergeneval.runner import evaluate
from intergeneval.synthetic import make_scene_set

STAGES = ("decode_s", "detect_s", "track_s", "overlay_s", "judge_s", "evidence_s", "total_s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda", help="torch device of every backend: cuda, cuda:1, cpu")
    ap.add_argument("--profile", default="tiny")
    ap.add_argument("--videos", type=int, default=8)
    ap.add_argument("--frames", type=int, default=49)
    ap.add_argument("--size", default="480x720", help="HEIGHTxWIDTH of the synthetic videos")
    ap.add_argument("--levels", default="1,4", help="concurrency levels to time")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch CPU threads of the backends (default: 1 on the CPU, torch's own on CUDA)")
    ap.add_argument("--switch-interval", type=float, default=None,
                    help="sys.setswitchinterval in ms for the run (Python's default: 5)")
    args = ap.parse_args(argv)
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval / 1000)
    import torch

    height, width = (int(v) for v in args.size.lower().split("x"))
    on = {"device": args.device}
    if args.device.startswith("cuda"):
        on["threads"] = None  # the tiny profile's one CPU thread is for CPU runs
    if args.threads is not None:
        on["threads"] = args.threads
    write = sys.stdout.write
    with tempfile.TemporaryDirectory(prefix="iggpu-") as tmp:
        work = Path(tmp)
        scenes = make_scene_set(work / "scenes", n_videos=args.videos, frames=args.frames,
                                size=(height, width), text_only=args.videos // 2)

        def cfg(out: Path, concurrency: int, limit: int | None = None) -> EvalConfig:
            return EvalConfig(videos=scenes.videos, suite=scenes.suite, out=out, profile=args.profile,
                              judge_options=dict(on), tracker_options=dict(on), detector_options=dict(on),
                              concurrency=concurrency, limit=limit)

        t = time.perf_counter()
        evaluate(cfg(work / "warm-up", 1, limit=1))
        name = torch.cuda.get_device_name(torch.device(args.device)) if "cuda" in args.device else "CPU"
        write(f"profile {args.profile} on {args.device} ({name}); "
              f"{args.videos} videos x {args.frames} frames at {width}x{height}; warm-up (loads the models) "
              f"{time.perf_counter() - t:.1f} s; "
              f"torch threads {on.get('threads') or torch.get_num_threads()}, "
              f"switch interval {sys.getswitchinterval() * 1000:g} ms\n")
        for n in (int(x) for x in args.levels.split(",")):
            if args.device.startswith("cuda"):
                torch.cuda.reset_peak_memory_stats()
            out = work / f"run-{n}"
            t = time.perf_counter()
            summary = evaluate(cfg(out, n))
            wall = time.perf_counter() - t
            records = [json.loads(x) for x in (out / "per_video.jsonl").read_text().splitlines() if x]
            stages = {k: statistics.median(r["timings"].get(k, 0.0) for r in records) for k in STAGES}
            line = "  ".join(f"{k[:-2]} {v:.3f}" for k, v in stages.items())
            peak = (f", peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB"
                    if args.device.startswith("cuda") else "")
            write(f"--concurrency {n}: {wall:.2f} s, {len(records) / wall:.2f} videos/s, "
                  f"{summary['videos']['scored']}/{args.videos} scored{peak}\n  median s per video: {line}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Videos in flight against a judge with a fixed latency: videos/s at --concurrency 1, 4, 16, then Ray.

    .venv/bin/python benchmarks/concurrency.py                 # 40 videos, 300 ms per judge call
    .venv/bin/python benchmarks/concurrency.py --no-ray        # the local engine only
    .venv/bin/python benchmarks/concurrency.py --repeat 3      # medians of 3 runs per level

Setup (not timed): synthetic videos with their mask tracks (`intergeneval.synthetic`, 49 frames of 96x128
by default) and a local OpenAI-compatible server that answers every call after `--latency` seconds, in a
process of its own (`judge_server.py`). Each run scores all videos afresh (new output folder, no cache) with
the `openai` judge and the `replay` tracker, named as a user would (`--judge openai`), so the Ray engine's
actors build the same backends.

Printed: wall time and videos/s per concurrency (the median of `--repeat` runs, each level's runs in turn
so a busy spell hits every level), the speed-up over --concurrency 1 against the goal of
0.8 x N, whether every run's summary.json is byte-identical to the sequential run's, the floor the CPU work
sets (the highest level against a judge that answers at once), and the Ray engine (a local instance,
started before the timed run) on the same videos: its wall time over the local engine's at the same
concurrency.
A video makes one call per key interaction and one emergence/disappearance call (2 for these scenes). At
--concurrency 1 they run one after another: 40 x 2 x 300 ms = 24 s of latency. With N > 1 the `openai`
judge gets a video's calls together, N calls in flight in all: 80 calls at N = 16 take 5 waves of 300 ms,
1.5 s, which caps the speed-up at about 16.8 before any CPU work.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from judge_server import judge_server

from intergeneval.runconfig import EvalConfig
from intergeneval.runner import evaluate
from intergeneval.synthetic import make_scene_set

GOAL = 0.8


def run(scenes, out: Path, base_url: str, concurrency: int, engine: str = "local") -> float:
    """One scoring run; its wall time in seconds."""
    cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=out, judge="openai",
                     judge_options={"model": "bench-judge", "base_url": base_url, "max_retries": 0},
                     tracker="replay", tracker_options={"root": str(scenes.tracks)}, concurrency=concurrency,
                     engine=engine, engine_options={"num_cpus": 2} if engine == "ray" else {})
    t = time.perf_counter()
    summary = evaluate(cfg)
    wall = time.perf_counter() - t
    if summary["videos"]["scored"] != len(scenes.ids):
        raise SystemExit(f"not every video was scored: {summary['videos']['failures'][:3]}")
    return wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--videos", type=int, default=40)
    ap.add_argument("--frames", type=int, default=49)
    ap.add_argument("--size", default="96x128", help="HEIGHTxWIDTH (small: the judge's latency, not the CPU "
                    "work per video, is what this measures; overhead.py measures that)")
    ap.add_argument("--latency", type=float, default=0.3, help="seconds per judge call")
    ap.add_argument("--levels", default="1,4,16", help="concurrency levels")
    ap.add_argument("--no-ray", action="store_true", help="skip the Ray engine run")
    ap.add_argument("--ray-concurrency", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=1, help="runs per level; medians are printed")
    args = ap.parse_args(argv)
    height, width = (int(v) for v in args.size.lower().split("x"))
    levels = [int(x) for x in args.levels.split(",")]
    write = sys.stdout.write
    with tempfile.TemporaryDirectory(prefix="igconc-") as tmp:
        work = Path(tmp)
        scenes = make_scene_set(work / "scenes", n_videos=args.videos, frames=args.frames,
                                size=(height, width))
        write(f"{args.videos} videos x {args.frames} frames, {width}x{height}; judge latency "
              f"{args.latency * 1000:.0f} ms per call\n")
        walls: dict[int, float] = {}
        with judge_server(latency=args.latency) as base_url:
            run(scenes, work / "warm-up", base_url, 4)  # imports, first connections
            runs: dict[int, list[float]] = {n: [] for n in levels}
            for i in range(args.repeat):
                for n in levels:
                    runs[n].append(run(scenes, work / f"local-{n}-{i}", base_url, n))
            for n in levels:
                walls[n] = statistics.median(runs[n])
                spread = f" (runs: {', '.join(f'{w:.2f}' for w in runs[n])})" if args.repeat > 1 else ""
                speedup = walls[levels[0]] / walls[n] * levels[0]
                verdict = "met" if speedup >= GOAL * n else "NOT met"
                same = all((work / f"local-{n}-{i}" / "summary.json").read_bytes() == (
                    work / f"local-{levels[0]}-0" / "summary.json").read_bytes() for i in range(args.repeat))
                write(f"--concurrency {n:2d}: {walls[n]:6.2f} s, {args.videos / walls[n]:5.2f} videos/s, "
                      f"speed-up {speedup:5.2f}x (goal {GOAL * n:.1f}x: {verdict}); summary.json "
                      f"identical to the sequential run's: {same}{spread}\n")
            if not args.no_ray:
                import ray

                n = args.ray_concurrency
                local = walls.get(n) or run(scenes, work / f"local-{n}-0", base_url, n)
                t = time.perf_counter()
                ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
                started = time.perf_counter() - t
                try:
                    ray_wall = run(scenes, work / "ray", base_url, n, engine="ray")
                finally:
                    ray.shutdown()
                same = (work / "ray" / "summary.json").read_bytes() == (
                    work / f"local-{n}-0" / "summary.json").read_bytes()
                write(f"--engine ray (local instance with 2 CPUs, started in {started:.1f} s beforehand) at "
                      f"--concurrency {n}: {ray_wall:6.2f} s; local engine {local:6.2f} s; "
                      f"ray / local = {ray_wall / local:.2f}; summary.json identical: {same}\n")
        with judge_server(latency=0.0) as instant:
            n = levels[-1]
            floor = run(scenes, work / "floor", instant, n)
            write(f"CPU floor: --concurrency {n} against a judge that answers at once: {floor:.2f} s "
                  f"({args.videos / floor:.2f} videos/s): no latency hiding can beat it on this machine\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

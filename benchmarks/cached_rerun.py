"""What a rerun costs when every video is already in the cache (lazy backends: no model is loaded).

    .venv/bin/python benchmarks/cached_rerun.py              # tiny profile, 4 videos of 49 frames

Runs `evaluate` twice on the same output folder, each time building the backends afresh, and prints both
wall times with the model weights each run loaded; then the same two runs as `intergeneval score` commands
(fresh processes: imports included, as a user sees it).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from intergeneval import checkpoints
from intergeneval.runconfig import EvalConfig
from intergeneval.runner import evaluate
from intergeneval.synthetic import make_scene_set


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--videos", type=int, default=4)
    ap.add_argument("--profile", default="tiny")
    args = ap.parse_args(argv)
    from transformers import PreTrainedModel

    loads: list[str] = []
    real = checkpoints.load

    def counting(loader, *a, **kw):
        if isinstance(loader, type) and issubclass(loader, PreTrainedModel):
            loads.append(loader.__name__)
        return real(loader, *a, **kw)

    checkpoints.load = counting
    with tempfile.TemporaryDirectory(prefix="igrerun-") as tmp:
        scenes = make_scene_set(Path(tmp) / "scenes", n_videos=args.videos)
        cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=Path(tmp) / "out",
                         profile=args.profile)
        for label in ("first run", "full-cache rerun"):
            loads.clear()
            t = time.perf_counter()
            summary = evaluate(cfg)
            wall = time.perf_counter() - t
            sys.stdout.write(f"in-process {label}: {wall:.2f} s, {summary['videos']['scored']}/{args.videos} "
                             f"scored, model weights loaded: {', '.join(loads) or 'none'}\n")
        command = [sys.executable, "-c", "from intergeneval.cli import app; app()", "score",
                   str(scenes.videos), "--prompts", str(scenes.suite), "--out", str(Path(tmp) / "cli"),
                   "--profile", args.profile,
                   "--no-report"]
        for label in ("first run", "full-cache rerun"):
            t = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            sys.stdout.write(f"intergeneval score, {label}: {time.perf_counter() - t:.2f} s "
                             f"(exit {done.returncode})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

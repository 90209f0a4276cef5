"""How much a thread issuing many small torch operations slows down next to a busy Python thread.

    python benchmarks/gil_convoy.py            # Python's default switch interval (5 ms), then 0.5 ms

Why it is here: on a GPU, a tiny model (the `tiny` profile) is nothing but small kernel launches, and each
torch call gives up the GIL for a few microseconds. With other videos in flight (`--concurrency N`), a thread
running plain Python (the reply grammar, JSON, image preparation) takes the GIL and keeps it for up to the
switch interval before the launching thread gets it back: every small operation can cost ~5 ms instead of
microseconds (the "convoy effect"). `docs/scaling.md` uses these figures to explain why the tiny profile on
a GPU was slower at `--concurrency 4` than at 1. Real-size models spend milliseconds per kernel on the GPU,
so they are far less exposed.

Prints, per switch interval, the seconds of 2,000 additions of 64-element tensors: alone, beside a thread
running pure Python, beside a thread running large matrix products (which hold no GIL while they compute).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable


def small_ops(n: int) -> float:
    import torch

    x = torch.ones(64)
    t = time.perf_counter()
    for _ in range(n):
        x + 1
    return time.perf_counter() - t


def python_busy(stop: threading.Event) -> None:
    while not stop.is_set():
        sum(range(1000))


def torch_busy(stop: threading.Event) -> None:
    import torch

    z = torch.ones(256, 256)
    while not stop.is_set():
        z @ z


def beside(work: Callable[[threading.Event], None], n: int) -> float:
    stop = threading.Event()
    other = threading.Thread(target=work, args=(stop,))
    other.start()
    time.sleep(0.05)  # the other thread is running
    try:
        return small_ops(n)
    finally:
        stop.set()
        other.join()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ops", type=int, default=2000)
    ap.add_argument("--intervals", default="5,0.5", help="switch intervals to try, in ms")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    default = sys.getswitchinterval()
    try:
        for ms in (float(v) for v in args.intervals.split(",")):
            sys.setswitchinterval(ms / 1000)
            alone = small_ops(args.ops)
            py, mm = beside(python_busy, args.ops), beside(torch_busy, args.ops)
            sys.stdout.write(
                f"switch interval {ms:g} ms: {args.ops} small ops alone {alone * 1e3:.1f} ms; beside a "
                f"pure-Python thread {py * 1e3:.1f} ms ({py / alone:.0f}x); beside a matrix-product thread "
                f"{mm * 1e3:.1f} ms ({mm / alone:.1f}x)\n")
    finally:
        sys.setswitchinterval(default)
    return 0


if __name__ == "__main__":
    sys.exit(main())

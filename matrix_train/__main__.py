"""`python -m matrix_train {train,infer,synth-data,make-merged,analyze} ...`: dispatch to one module each."""

from __future__ import annotations

import argparse
import logging
import sys


def _synth(argv) -> None:
    from .synth import write_synthetic_dataset

    p = argparse.ArgumentParser(prog="python -m matrix_train synth-data")
    p.add_argument("--out", required=True, help="output dataset root")
    p.add_argument("--videos", type=int, default=8, help="number of clips")
    p.add_argument("--frames", type=int, default=9, help="frames per clip")
    p.add_argument("--height", type=int, default=64)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    out = write_synthetic_dataset(a.out, videos=a.videos, frames=a.frames, height=a.height, width=a.width,
                                  seed=a.seed)
    print(f"wrote {a.videos} clips to {out}")  # noqa: T201 (CLI output)


def _merged(argv) -> None:
    from .data import make_merged

    p = argparse.ArgumentParser(prog="python -m matrix_train make-merged")
    p.add_argument("root", help="dataset root containing mask_annotation/")
    p.add_argument("--overwrite", action="store_true", help="rewrite existing merged/000.png")
    a = p.parse_args(argv)
    print(f"wrote {make_merged(a.root, overwrite=a.overwrite)} merged maps")  # noqa: T201


def _train(argv) -> None:
    from .train import get_args, main

    print(f"checkpoint: {main(get_args(argv))}")  # noqa: T201


def _infer(argv) -> None:
    from .infer import get_args, main

    main(get_args(argv))


def _analyze(argv) -> None:
    from .analyze import get_args, main

    main(get_args(argv))


COMMANDS = {
    "train": _train, "infer": _infer, "synth-data": _synth, "make-merged": _merged, "analyze": _analyze,
}


def run(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        names = ", ".join(COMMANDS)
        got = argv[:1] or "nothing"
        raise SystemExit(f"usage: python -m matrix_train {{{names}}} [options]  (got {got})")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    run()

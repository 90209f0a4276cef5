"""`python -m baselines`: generate a baseline's videos for a suite, or list the registered baselines.

Example:
    python -m baselines list
    python -m baselines generate --model wan2.1-t2v-1.3b --suite intergeneval-open-v1 --out videos/wan13b \\
        --seed 42 --shard 0/2 --dtype bf16 --vae-tiling
"""

from __future__ import annotations

import argparse
import logging
import sys

from intergeneval.errors import InterGenEvalError

from .registry import MODELS, generator_class, get_spec, with_overrides
from .run import generate_videos, parse_shard


def get_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    p = argparse.ArgumentParser(prog="python -m baselines", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="registered models and their checkpoints")
    g = sub.add_parser("generate", help="one <scenario id>.mp4 per scenario, resumable")
    g.add_argument("--model", required=True, help="registered model name (see `list`)")
    g.add_argument("--suite", required=True, help="suite file, folder or shipped name (intergeneval-open-v1)")
    g.add_argument("--out", required=True, help="output folder for <scenario id>.mp4 and model_card.json")
    g.add_argument("--seed", type=int, default=42, help="sampling seed of every video (default 42)")
    g.add_argument("--shard", help="i/n: only scenarios i, i+n, … (shards numbered from 0), for several GPUs")
    g.add_argument("--limit", type=int, help="only the first N scenarios of the suite")
    g.add_argument("--device", help="cuda, cuda:1 or cpu (default: cuda when available)")
    g.add_argument("--dtype", choices=("bf16", "fp16", "fp32"), help="transformer dtype (default: the model's)")
    g.add_argument("--cpu-offload", action="store_true", help="keep sub-models on the CPU until they run")
    g.add_argument("--vae-tiling", action="store_true", help="decode in tiles: lower peak memory")
    g.add_argument("--steps", type=int, help="denoising steps (default: the model's)")
    g.add_argument("--guidance", type=float, help="guidance scale (default: the model's)")
    g.add_argument("--repo", help="another diffusers checkpoint of the same family (Hugging Face id or folder)")
    g.add_argument("--revision", help="pin the checkpoint to this commit (recorded in model_card.json)")
    g.add_argument("--checkpoint", help="MATRIX: a matrix_train checkpoint folder (or its training output)")
    g.add_argument("-v", "--verbose", action="store_true", help="log progress")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the command; library errors become one line on stderr and exit status 1."""
    args = get_args(argv)
    if args.command == "list":
        for spec in MODELS.values():
            where = spec.repo or "(see --repo / --checkpoint)"
            sys.stdout.write(f"{spec.name:24} {spec.mode}  {where}\n")
        return 0
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        spec = with_overrides(get_spec(args.model), dtype=args.dtype, steps=args.steps, guidance=args.guidance,
                              repo=args.repo, revision=args.revision)
        generator = generator_class(spec)(spec, device=args.device, cpu_offload=args.cpu_offload,
                                          vae_tiling=args.vae_tiling, checkpoint=args.checkpoint)

        def progress(scenario_id: str, what: str) -> None:
            sys.stdout.write(f"{what:9} {scenario_id}\n")
            sys.stdout.flush()

        report = generate_videos(generator, args.suite, args.out, seed=args.seed, shard=parse_shard(args.shard),
                                 limit=args.limit, progress=progress)
    except InterGenEvalError as e:
        sys.stderr.write(f"error: {e}\n")
        return 1
    sys.stdout.write(f"{len(report.generated)} generated, {len(report.skipped)} already there, "
                     f"{len(report.selected)} selected -> {report.out} ({report.seconds:.1f} s)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

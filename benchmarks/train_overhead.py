"""Training-step overhead of MATRIX (LoRA + SGA/SPA capture, heads, losses) over plain LoRA.

    .venv/bin/python benchmarks/train_overhead.py                 # >= 8,000 video tokens and 2x that
    .venv/bin/python benchmarks/train_overhead.py --frames 5 --size 640 --layers 8 --repeat 3

The model is tiny-wan widened to `--layers` blocks (SGA on one block, SPA on another, LoRA on both, as the
presets do) at `--size`^2 pixels and `--frames` latent frames: N = frames * (size/16)^2 video tokens. One step
is what `train` does after the frozen encoders (their outputs are random tensors here: they are the same for
both runs, and `--cache-encoded` skips them in training too): forward, losses, backward, AdamW. "plain" is the
same model with lambda_sga = lambda_spa = 0, so nothing is captured and there are no heads; "lora-all" is
the paper's other baseline, LoRA without layer selection (on every block, no alignment).

Prints, per N: the fastest and the median of `--repeat` interleaved steps, and the peak memory of one step,
for plain and MATRIX; their ratios against the targets (time <= 1.15x, memory <= 1.2x); and MATRIX's extra
peak memory at N and 2N (linear capture: about 2x; a materialised N x N map would give 4x). CUDA: wall time
and the allocator's peak. CPU: process CPU time, single-threaded by default (`--threads`), since wall time on
a shared machine varies 2-3x with other processes' load; memory is the peak of live torch tensors
(`matrix_train.profiling`).
"""

from __future__ import annotations

import argparse
import logging
import statistics

import torch

logger = logging.getLogger("train_overhead")

from matrix_train.assembly import build_matrix_model
from matrix_train.components import load_components, load_transformer
from matrix_train.presets import apply_overrides, get_preset
from matrix_train.profiling import measure_peak, measure_time
from matrix_train.step import Prepared, losses_from_prepared
from matrix_train.targets import build_sga, build_spa, nearest_resize
from matrix_train.train import make_schedule

TARGET_TIME, TARGET_MEMORY = 1.15, 1.2
# The paper's two baselines and MATRIX: LoRA on the supervised blocks (no alignment), LoRA on every block.
RUNS = (("plain", False, "supervised"), ("lora-all", False, "all"), ("matrix", True, "supervised"))
PROMPT = "a <id1> man <id1,id2> hands a <id2> cup to a <id3> woman"


def config(args, frames: int, alignment: bool, lora_layers: str = "supervised"):
    over = {
        "tiny_transformer": {**get_preset("tiny-wan").tiny_transformer, "num_layers": args.layers,
                             "num_attention_heads": args.heads, "attention_head_dim": args.head_dim,
                             "ffn_dim": 4 * args.heads * args.head_dim},
        "sga_layers": [args.layers // 2 + 1], "spa_layers": [args.layers // 2 - 1],
        "height": args.size, "width": args.size, "num_frames": 4 * (frames - 1) + 1,
        "capture_chunk": args.chunk, "gradient_checkpointing": args.checkpointing,
    }
    if not alignment:
        over.update(lambda_sga=0.0, lambda_spa=0.0)
    over["lora_layers"] = lora_layers
    return apply_overrides(get_preset("tiny-wan"), over)


def synthetic_batch(cfg, parts, frames: int, device) -> Prepared:
    """Random encoder outputs and three moving elliptic instances (pixel masks) for one clip."""
    g = torch.Generator().manual_seed(0)
    t, size = cfg.num_frames, cfg.height
    h = w = size // 8
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    masks = torch.zeros(1, 5, t, size, size, dtype=torch.bool)
    for k, (cy, cx, r) in enumerate([(0.35, 0.3, 0.18), (0.6, 0.65, 0.15), (0.3, 0.7, 0.1)]):
        for f in range(t):
            dy = 0.01 * f * (1 if k % 2 else -1)
            masks[0, k, f] = ((yy / size - cy - dy) ** 2 + (xx / size - cx) ** 2) < r * r
    valid = torch.tensor([[True, True, True, False, False]])
    ids, attn, offsets, spans = parts.tokenize(PROMPT)
    text = parts.encode_text(ids[None], attn[None])
    sga = build_sga([spans], [offsets], valid)
    spa = build_spa(nearest_resize(masks[:, :, 0], (h // 2, w // 2)), valid)

    def rnd(c):
        return torch.randn(1, c, frames, h, w, generator=g).to(device)

    return Prepared(rnd(16), rnd(20), rnd(20), text.to(device), None, sga, spa, masks)


def build_step(args, frames: int, alignment: bool, device, lora_layers: str = "supervised"):
    """One training step (a closure) of plain LoRA or MATRIX, warmed up (optimizer state created)."""
    cfg = config(args, frames, alignment, lora_layers)
    torch.manual_seed(0)
    model = build_matrix_model(cfg, load_transformer(cfg)).to(device).train()
    if cfg.gradient_checkpointing:
        model.transformer.enable_gradient_checkpointing()
    batch = synthetic_batch(cfg, load_components(cfg), frames, device)
    schedule = make_schedule(cfg)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.learning_rate)
    gen = torch.Generator().manual_seed(0)

    def step():
        losses = losses_from_prepared(model, batch, schedule, gen, device)
        losses["total"].backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    step()
    tokens = frames * (cfg.height // 16) * (cfg.width // 16)
    return step, tokens, int(batch.spa[0].shape[1])


def run_size(args, frames: int, device) -> dict:
    steps = {}
    for name, alignment, layers in RUNS:
        steps[name], tokens, rows = build_step(args, frames, alignment, device, layers)
    # Alternate the runs, so that load from other processes hits them alike.
    times = {name: [] for name, _, _ in RUNS}
    for _ in range(args.repeat):
        for name in times:
            times[name].append(measure_time(steps[name], device))
    out = {"tokens": tokens, "spa_rows": rows}
    for name in times:
        out[name] = {"seconds": min(times[name]), "median": statistics.median(times[name]),
                     "peak": measure_peak(steps[name], device)}
        logger.info("%d tokens, %s: %s, all step times %s", tokens, name, out[name],
                    [round(t, 3) for t in times[name]])
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--frames", type=int, default=5, help="latent frames at N (2N doubles them)")
    p.add_argument("--size", type=int, default=640, help="square frame size in pixels (multiple of 16)")
    p.add_argument("--layers", type=int, default=8, help="transformer blocks (2 of them supervised)")
    p.add_argument("--heads", type=int, default=2)
    p.add_argument("--head-dim", type=int, default=16)
    p.add_argument("--chunk", type=int, default=1024, help="capture_chunk (query/key tile)")
    p.add_argument("--checkpointing", action="store_true", help="checkpoint every block (as real presets do)")
    p.add_argument("--repeat", type=int, default=3, help="timed steps per run")
    p.add_argument("--no-double", action="store_true", help="skip the 2N run")
    p.add_argument("--threads", type=int, default=1, help="CPU threads (CPU time is exact with 1)")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    mem_kind = "CUDA max_memory_allocated" if device.type == "cuda" else "peak of live torch tensors"
    time_kind = "wall" if device.type == "cuda" else "process CPU"
    print(f"device={device.type} threads={torch.get_num_threads()} layers={args.layers} "  # noqa: T201
          f"heads={args.heads}x{args.head_dim} chunk={args.chunk} checkpointing={args.checkpointing} "
          f"time: {time_kind}, memory: {mem_kind}")
    sizes = [args.frames] if args.no_double else [args.frames, 2 * args.frames]
    rows = [run_size(args, f, device) for f in sizes]
    print(f"{'N tokens':>9} {'run':7} {'min s':>8} {'median s':>9} {'peak MiB':>9}")  # noqa: T201
    for r in rows:
        for name, _, _ in RUNS:
            x = r[name]
            mib = x["peak"] / 2**20
            print(f"{r['tokens']:9d} {name:7} {x['seconds']:8.3f} {x['median']:9.3f} {mib:9.1f}")  # noqa: T201
    for r in rows:
        t = r["matrix"]["seconds"] / r["plain"]["seconds"]
        t_med = r["matrix"]["median"] / r["plain"]["median"]
        m = r["matrix"]["peak"] / r["plain"]["peak"]
        print(f"N={r['tokens']}: MATRIX / plain time {t:.3f}x (target <= {TARGET_TIME}) "  # noqa: T201
              f"{'ok' if t <= TARGET_TIME else 'MISSED'} [medians {t_med:.3f}x]; memory {m:.3f}x "
              f"(target <= {TARGET_MEMORY}) {'ok' if m <= TARGET_MEMORY else 'MISSED'}; "
              f"SPA query rows {r['spa_rows']}")
        t_all = r["matrix"]["seconds"] / r["lora-all"]["seconds"]
        m_all = r["matrix"]["peak"] / r["lora-all"]["peak"]
        print(f"N={r['tokens']}: MATRIX / LoRA on all blocks: time {t_all:.3f}x, memory {m_all:.3f}x")  # noqa: T201
    if len(rows) == 2:
        extra = [r["matrix"]["peak"] - r["plain"]["peak"] for r in rows]
        print(f"extra memory of the maps: {extra[0] / 2**20:.1f} MiB at N={rows[0]['tokens']}, "  # noqa: T201
              f"{extra[1] / 2**20:.1f} MiB at 2N={rows[1]['tokens']}: {extra[1] / max(extra[0], 1):.2f}x")


if __name__ == "__main__":
    main()

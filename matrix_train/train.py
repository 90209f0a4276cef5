"""`python -m matrix_train train`: LoRA + MATRIX alignment losses on a preset, with accelerate.

Example:
    python -m matrix_train train --preset tiny-wan --data D --output OUT --max-steps 2
    accelerate launch -m matrix_train train --preset wan2.1-i2v-14b --data MATRIX-11K --output runs/wan

Writes OUT/loss_log.jsonl (one line per step: total, diffusion, sga, spa, lr), OUT/skipped.jsonl (samples that
failed validation) and OUT/checkpoint-NNNNNN/ every `checkpoint_every` steps and at the end.
`--resume OUT` continues from the newest checkpoint; on CPU the continuation is bit-for-bit identical.
`--cache-encoded` reuses each clip's (frozen, deterministic) encoder outputs: exact, for small datasets.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import DistributedType, set_seed

from .assembly import build_matrix_model, load_trainable_state_dict, trainable_state_dict
from .checkpoints import WEIGHTS, checkpoint_dir, export_diffusers_lora, load_checkpoint, save_checkpoint
from .components import load_components, load_transformer
from .data import MatrixDataset, collate
from .losses import FlowMatchSchedule, VPredictionSchedule
from .presets import MatrixConfig, apply_overrides, get_preset, load_config_file, parse_set_flags
from .prompts import parse_markers
from .step import compute_losses

logger = logging.getLogger(__name__)


def get_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m matrix_train train", description=__doc__.split("\n\n")[0])
    p.add_argument("--preset",
                   help="preset name (tiny-wan, tiny-cogvideox, wan2.1-i2v-14b, cogvideox-5b-i2v)")
    p.add_argument("--config", help="YAML/TOML/JSON file of config overrides")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override one config key")
    p.add_argument("--data", required=True, help="dataset root in the MATRIX-11K layout")
    p.add_argument("--output", required=True, help="output folder (loss log, checkpoints)")
    p.add_argument("--max-steps", type=int, help="override max_steps")
    p.add_argument("--batch-size", type=int, help="override batch_size")
    p.add_argument("--learning-rate", type=float, help="override learning_rate")
    p.add_argument("--checkpoint-every", type=int, help="override checkpoint_every")
    p.add_argument("--seed", type=int, help="override seed")
    p.add_argument("--no-alignment", action="store_true",
                   help="plain LoRA on the supervised blocks: lambda_sga = lambda_spa = 0 (= --baseline "
                        "lora-selected)")
    p.add_argument("--baseline", choices=BASELINES,
                   help="the paper's LoRA baselines: 'lora-selected' (LoRA on the MATRIX blocks, no "
                        "alignment losses) or 'lora-all' (LoRA on every block, no alignment: 'LoRA without "
                        "layer selection', Tables 2 and 5)")
    p.add_argument("--report-to", choices=("tensorboard", "wandb"), action="append", default=[],
                   help="also log losses through accelerate's tracker (repeatable); files under OUTPUT/")
    p.add_argument("--resume", help="checkpoint folder, or an output folder (its newest checkpoint)")
    p.add_argument("--num-workers", type=int, default=0, help="data loader workers")
    p.add_argument("--cache-encoded", action="store_true",
                   help="keep every clip's VAE/text encodings in memory (exact; for small datasets and "
                        "demos)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> tuple[MatrixConfig, dict | None]:
    """The run's config and, with --resume, the saved training state."""
    if args.resume:
        weights, cfg, meta = load_checkpoint(args.resume)
        state = torch.load(Path(meta["folder"]) / "training_state.pt", weights_only=False)
        state["weights"] = weights
        # A resumed run keeps its config; only how long it runs and how often it saves may change.
        given = (("max_steps", args.max_steps), ("checkpoint_every", args.checkpoint_every))
        overrides = {k: v for k, v in given if v is not None}
        return apply_overrides(cfg, overrides), state
    if not args.preset:
        raise SystemExit("train: --preset is required (or --resume)")
    cfg = get_preset(args.preset)
    overrides = load_config_file(args.config) if args.config else {}
    overrides.update(parse_set_flags(args.set))
    for key in ("max_steps", "batch_size", "learning_rate", "checkpoint_every", "seed"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    baseline = args.baseline or ("lora-selected" if args.no_alignment else None)
    if args.no_alignment and baseline != "lora-selected":
        raise SystemExit("train: --no-alignment is --baseline lora-selected; give one of them")
    if baseline:
        overrides.update(BASELINES[baseline])
    return apply_overrides(cfg, overrides), None


# Config overrides of the paper's baselines (same data, steps and seed as the MATRIX run they compare with).
BASELINES = {
    "lora-selected": {"lambda_sga": 0.0, "lambda_spa": 0.0},
    "lora-all": {"lambda_sga": 0.0, "lambda_spa": 0.0, "lora_layers": "all"},
}


def param_groups(model, cfg: MatrixConfig) -> list[dict]:
    """AdamW groups: LoRA + patch embedding at `learning_rate`; heads at `head_lr`, their biases and scalars
    without weight decay (decay would pull the affine head's bias and scale toward 0)."""
    groups = {"base": [], "head": [], "head_no_decay": []}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if {"sga_head", "spa_head"} & set(name.split(".")):  # also under a wrapper ("module.sga_head...")
            groups["head_no_decay" if p.ndim <= 1 else "head"].append(p)
        else:
            groups["base"].append(p)
    out = [{"params": groups["base"], "lr": cfg.learning_rate, "weight_decay": cfg.weight_decay}]
    if groups["head"]:
        out.append({"params": groups["head"], "lr": cfg.head_lr, "weight_decay": cfg.weight_decay})
    if groups["head_no_decay"]:
        out.append({"params": groups["head_no_decay"], "lr": cfg.head_lr, "weight_decay": 0.0})
    return out


def lr_lambda(cfg: MatrixConfig):
    def f(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / (cfg.warmup_steps + 1)
        if cfg.lr_schedule == "cosine":
            progress = (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps)
            return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
        return 1.0

    return f


class StepSampler:
    """Batches of dataset indices as a pure function of the step: shuffled per epoch with `seed + epoch`,
    sharded over processes. Resuming at step s needs no sampler state."""

    def __init__(self, n: int, batch: int, seed: int, start: int, stop: int, rank: int = 0, world: int = 1):
        self.n, self.batch, self.seed, self.start, self.stop = n, batch, seed, start, stop
        self.rank, self.world = rank, world
        self._perms: dict[int, list[int]] = {}

    def _perm(self, epoch: int) -> list[int]:
        if epoch not in self._perms:
            g = torch.Generator().manual_seed(self.seed + epoch)
            self._perms = {epoch: torch.randperm(self.n, generator=g).tolist()}
        return self._perms[epoch]

    def __iter__(self):
        for step in range(self.start, self.stop):
            first = (step * self.world + self.rank) * self.batch
            yield [self._perm(pos // self.n)[pos % self.n] for pos in range(first, first + self.batch)]

    def __len__(self) -> int:
        return self.stop - self.start


def make_schedule(cfg: MatrixConfig):
    if cfg.objective == "flow":
        return FlowMatchSchedule(cfg.flow_shift)
    from diffusers import CogVideoXDDIMScheduler

    if cfg.pretrained:
        sched = CogVideoXDDIMScheduler.from_pretrained(cfg.pretrained, subfolder="scheduler",
                                                       revision=cfg.revision)
    else:
        sched = CogVideoXDDIMScheduler(prediction_type="v_prediction")
    return VPredictionSchedule(sched)


@dataclass
class Trained:
    """What `train` leaves behind: the (wrapped) model and its accelerator, for callers that go on using
    them."""

    accelerator: Accelerator
    model: torch.nn.Module
    output: Path
    step: int

    @property
    def checkpoint(self) -> Path:
        folder = checkpoint_dir(self.output, self.step)
        return folder if (folder / WEIGHTS).exists() else self.output


def trainable_weights(accelerator: Accelerator, model) -> dict[str, torch.Tensor]:
    """Full trained weights on every process (FSDP: gathered from the shards; a collective call)."""
    raw = accelerator.unwrap_model(model)
    names = {n for n, p in raw.named_parameters() if p.requires_grad}
    if accelerator.distributed_type == DistributedType.FSDP:
        state = accelerator.get_state_dict(model)
        return {n: t.detach().cpu().contiguous() for n, t in state.items() if n in names}
    return trainable_state_dict(raw)


def check_in_sync(accelerator: Accelerator, weights: dict[str, torch.Tensor]) -> None:
    """Raise if the processes' trained weights differ (they must be identical after every step)."""
    if accelerator.num_processes == 1:
        return
    sums = torch.tensor([float(t.double().abs().sum()) for t in weights.values()], dtype=torch.float64)
    every = accelerator.gather(sums.to(accelerator.device)[None]).cpu()
    if not torch.equal(every.min(0).values, every.max(0).values):
        lows, highs = every.min(0).values, every.max(0).values
        bad = [n for n, lo, hi in zip(weights, lows, highs, strict=True) if lo != hi]
        raise RuntimeError(f"trained weights differ between the {accelerator.num_processes} processes "
                           f"(gradients not synchronised?): {bad[:5]}")


def main(args: argparse.Namespace) -> Path:
    return train(args).checkpoint


def train(args: argparse.Namespace) -> Trained:
    cfg, state = config_from_args(args)
    output = Path(args.output)
    if state is None and (output / "loss_log.jsonl").exists():
        raise SystemExit(f"{output} already holds a run (loss_log.jsonl); use --resume {output} or a new "
                         "--output")
    accelerator = Accelerator(mixed_precision=cfg.mixed_precision, log_with=args.report_to or None,
                              project_dir=str(output))
    set_seed(cfg.seed)
    device = accelerator.device
    dtype = torch.bfloat16 if cfg.mixed_precision == "bf16" else torch.float32
    dataset = MatrixDataset(args.data, height=cfg.height, width=cfg.width, num_frames=cfg.num_frames)

    model = build_matrix_model(cfg, load_transformer(cfg, dtype))
    if cfg.gradient_checkpointing:
        model.transformer.enable_gradient_checkpointing()
    parts = load_components(cfg, dtype).to(device)
    schedule = make_schedule(cfg)
    optimizer = torch.optim.AdamW(param_groups(model, cfg))
    lr_sched = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(cfg))
    generator = torch.Generator().manual_seed(cfg.seed + accelerator.process_index)
    start = 0
    if state is not None:
        load_trainable_state_dict(model, state["weights"])
        optimizer.load_state_dict(state["optimizer"])
        lr_sched.load_state_dict(state["lr_scheduler"])
        generator.set_state(state["generators"][accelerator.process_index])
        start = state["step"]
        logger.info("resumed at step %d", start)
    # Every loss is computed in the wrapped model's forward (model.py): DDP all-reduces, FSDP can shard.
    model, optimizer = accelerator.prepare(model, optimizer)

    sampler = StepSampler(len(dataset), cfg.batch_size, cfg.seed, start, cfg.max_steps,
                          accelerator.process_index, accelerator.num_processes)
    loader = torch.utils.data.DataLoader(dataset, batch_sampler=sampler, collate_fn=collate,
                                         num_workers=args.num_workers)
    deviations = cfg.deviations()
    for note in deviations:
        logger.warning("not the paper's method: %s", note)
    if accelerator.is_main_process:
        output.mkdir(parents=True, exist_ok=True)
        with (output / "skipped.jsonl").open("w") as f:
            for video, reason in dataset.skipped:
                f.write(json.dumps({"video": video, "reason": reason}) + "\n")
        (output / "config.json").write_text(json.dumps({**cfg.to_dict(), "deviations": deviations}, indent=2))
        write_spans(output / "spans.jsonl", dataset, cfg.marker_mode)
    dataset.skip_log = output / "skipped.jsonl"  # clips found bad when first decoded are added here
    if args.report_to:
        accelerator.init_trackers("matrix_train", config=tracker_config(cfg))
    meta = {"preset": cfg.preset, "deviations": json.dumps(deviations)}
    if parts.resolved_revision:
        meta["resolved_revision"] = parts.resolved_revision

    def save(step: int) -> None:
        weights = trainable_weights(accelerator, model)
        check_in_sync(accelerator, weights)
        # Every process's generator state is gathered, so a multi-process run resumes exactly too.
        gens = accelerator.gather_for_metrics([generator.get_state()], use_gather_object=True) \
            if accelerator.num_processes > 1 else [generator.get_state()]
        if accelerator.is_main_process:
            st = {"optimizer": optimizer.state_dict(), "lr_scheduler": lr_sched.state_dict(),
                  "generators": gens, "step": step}
            folder = save_checkpoint(checkpoint_dir(output, step), weights, cfg, step, training_state=st,
                                     extra_meta=meta)
            export_diffusers_lora(folder, weights, cfg)

    progress = None
    if accelerator.is_main_process and not args.quiet:
        from tqdm.auto import tqdm

        progress = tqdm(total=cfg.max_steps, initial=start, desc="train")
    log = (output / "loss_log.jsonl").open("a") if accelerator.is_main_process else None
    step = start
    cache = {} if args.cache_encoded else None
    model.train()
    for batch in loader:
        t0 = time.perf_counter()
        with accelerator.autocast():
            losses = compute_losses(model, parts, batch, schedule, generator, device, cache)
        accelerator.backward(losses["total"])
        optimizer.step()
        lr_sched.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        row = {"step": step, **{k: float(v.detach()) for k, v in losses.items()},
               "lr": lr_sched.get_last_lr()[0], "seconds": round(time.perf_counter() - t0, 4)}
        if log is not None:
            log.write(json.dumps(row) + "\n")
            log.flush()
        if args.report_to:
            accelerator.log({f"loss/{k}": row[k] for k in losses} | {"lr": row["lr"]}, step=step)
        if progress is not None:
            progress.update(1)
            progress.set_postfix(loss=f"{row['total']:.4f}")
        if step % cfg.checkpoint_every == 0 or step == cfg.max_steps:
            save(step)
    if step == start and start < cfg.max_steps:
        raise RuntimeError("the data loader produced no batches")
    if log is not None:
        log.close()
    if progress is not None:
        progress.close()
    if args.report_to:
        accelerator.end_training()
    accelerator.wait_for_everyone()
    return Trained(accelerator, model, output, step)


def write_spans(path: Path, dataset: MatrixDataset, mode: str) -> None:
    """Every clip's supervised spans as text (the noun-phrase chunker is a heuristic: let people read it)."""
    with path.open("w") as f:
        for sample in dataset.samples:
            text, spans = parse_markers(sample["prompt"], mode)
            f.write(json.dumps({"video": sample["name"], "text": text,
                                "spans": [[text[a:b], list(ids)] for a, b, ids in spans]}) + "\n")


def tracker_config(cfg: MatrixConfig) -> dict:
    """The config as flat scalars (trackers such as TensorBoard's hparams take no lists or dicts)."""
    return {k: v if isinstance(v, int | float | str | bool) else json.dumps(v)
            for k, v in cfg.to_dict().items()}

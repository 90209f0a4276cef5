"""Checkpoint folders: `checkpoint-NNNNNN/` with the trained weights, the config and the resume state.

Layout::

    checkpoint-000500/matrix_weights.safetensors   LoRA + patch embedding + heads (float32), metadata = config
    checkpoint-000500/config.json                  the full MatrixConfig (also in the safetensors metadata)
    checkpoint-000500/training_state.pt            optimizer, LR schedule, RNG state, step (for --resume)
    checkpoint-000500/diffusers_lora/pytorch_lora_weights.safetensors
                                                   the LoRA alone, in the PEFT/diffusers format that
                                                   the stock pipeline's `load_lora_weights(folder)` loads

The diffusers copy has no widened patch embedding and no heads: a stock pipeline has no ID-map input, so it
runs the trained LoRA without the first-frame layout conditioning (`infer` runs the whole model).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from .presets import MatrixConfig

WEIGHTS = "matrix_weights.safetensors"
DIFFUSERS_LORA = "diffusers_lora"
FORMAT = "matrix_train/1"


def checkpoint_dir(output: Path, step: int) -> Path:
    return Path(output) / f"checkpoint-{step:06d}"


def latest_checkpoint(path: str | Path) -> Path:
    """`path` itself if it is a checkpoint folder, else its newest `checkpoint-*` child."""
    path = Path(path)
    if (path / WEIGHTS).is_file():
        return path
    found = sorted(p for p in path.glob("checkpoint-*") if (p / WEIGHTS).is_file())
    if not found:
        raise FileNotFoundError(f"no checkpoint (folder with {WEIGHTS}) in {path}")
    return found[-1]


def save_checkpoint(
    folder: Path, weights: dict[str, torch.Tensor], cfg: MatrixConfig, step: int, *,
    training_state: dict | None = None, extra_meta: dict | None = None,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"format": FORMAT, "config": json.dumps(cfg.to_dict()), "step": str(step), **(extra_meta or {})}
    tmp = folder / (WEIGHTS + ".tmp")
    save_file(weights, str(tmp), metadata={k: str(v) for k, v in meta.items()})
    tmp.replace(folder / WEIGHTS)  # never leave a half-written checkpoint under the real name
    record = {**cfg.to_dict(), "step": step, **(extra_meta or {}), "deviations": cfg.deviations()}
    (folder / "config.json").write_text(json.dumps(record, indent=2))
    if training_state is not None:
        torch.save(training_state, folder / "training_state.pt")
    return folder


def export_diffusers_lora(folder: Path, weights: dict[str, torch.Tensor], cfg: MatrixConfig) -> Path | None:
    """Write the LoRA of `weights` where `pipe.load_lora_weights(folder / DIFFUSERS_LORA)` finds it, with its
    rank and alpha as adapter metadata (so the scale alpha / rank is kept). None when there is no LoRA."""
    from diffusers import CogVideoXImageToVideoPipeline, WanImageToVideoPipeline
    from peft import LoraConfig

    lora = {k.removeprefix("transformer.").replace(".default.", "."): v for k, v in weights.items()
            if k.startswith("transformer.") and ".lora_" in k}
    if not lora:
        return None
    targets = sorted({k.split(".lora_")[0] for k in lora})
    meta = LoraConfig(r=cfg.lora_rank, lora_alpha=cfg.lora_alpha, target_modules=targets).to_dict()
    meta = json.loads(json.dumps(meta, default=lambda x: sorted(x) if isinstance(x, set) else str(x)))
    pipe_cls = WanImageToVideoPipeline if cfg.family == "wan" else CogVideoXImageToVideoPipeline
    out = folder / DIFFUSERS_LORA
    pipe_cls.save_lora_weights(out, transformer_lora_layers=lora, transformer_lora_adapter_metadata=meta)
    return out


def load_checkpoint(path: str | Path) -> tuple[dict[str, torch.Tensor], MatrixConfig, dict]:
    """(weights, config, metadata) from a checkpoint folder (or an output folder: its latest checkpoint)."""
    folder = latest_checkpoint(path)
    weights = {}
    with safe_open(str(folder / WEIGHTS), "pt") as f:
        meta = f.metadata() or {}
        for key in f.keys():  # noqa: SIM118 (safe_open is not a mapping)
            weights[key] = f.get_tensor(key)
    if meta.get("format") != FORMAT:
        raise ValueError(f"{folder / WEIGHTS}: not a matrix_train checkpoint (format {meta.get('format')!r})")
    cfg = MatrixConfig.from_dict(json.loads(meta["config"]))
    meta["folder"] = str(folder)
    return weights, cfg, meta


def step_of(folder: Path) -> int:
    m = re.search(r"checkpoint-(\d+)$", str(folder))
    return int(m.group(1)) if m else -1

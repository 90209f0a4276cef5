"""MATRIX: a `matrix_train` adapter (LoRA + widened patch embedding) on its base image-to-video model.

Example:
    python -m baselines generate --model matrix --checkpoint runs/matrix-cog5b --suite SUITE_WITH_FRAMES \\
        --out videos/matrix

Loading and sampling are `matrix_train`'s own (`load_checkpoint`, `build_matrix_model`, `load_components`,
`infer.generate`): the same code that trained the adapter samples from it. Geometry, steps and guidance come
from the checkpoint's config (`--steps`/`--guidance` override them). The model is conditioned on the first
frame and on the palette ID map of the scenario's first-frame masks (object k → colour k); a scenario
without masks gets an empty ID map (logged). Device and dtype follow `matrix_train infer --device/--dtype`:
by default CUDA + bf16 when a GPU is visible, else CPU + float32; `--device`/`--dtype` choose (the dtype
used is recorded in model_card.json).

`tiny-matrix` without `--checkpoint` is an *untrained* MATRIX model of the `tiny-cogvideox` preset
(LoRA initialised to zero, widened patch embedding random): same classes, for tests.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from intergeneval.errors import BackendUnavailable, ConfigError
from intergeneval.records import Scenario

from .base import Generator, first_frame_image, pick_device
from .registry import ModelSpec

log = logging.getLogger(__name__)

TINY_PRESET = "tiny-cogvideox"


class MatrixGenerator(Generator):
    """Samples a MATRIX checkpoint with `matrix_train`'s inference code."""

    def __init__(self, spec: ModelSpec, **kwargs: Any):
        _require_matrix_train()
        from matrix_train.presets import MatrixConfig, get_preset

        checkpoint = kwargs.get("checkpoint")
        if checkpoint is None and not spec.tiny:
            raise ConfigError("model 'matrix' needs --checkpoint: a matrix_train checkpoint folder (or the "
                              "training output folder, whose newest checkpoint is used)")
        if checkpoint is not None:
            self.cfg, self.step = _checkpoint_config(Path(checkpoint), MatrixConfig)
        else:
            self.cfg, self.step = get_preset(TINY_PRESET), 0
        cfg = self.cfg
        # As `matrix_train infer`: CUDA + bf16 when a GPU is visible, else CPU + float32, unless chosen.
        device = pick_device(kwargs.get("device"))
        dtype = spec.dtype or ("bf16" if device.startswith("cuda") else "fp32")
        # The checkpoint decides the geometry; steps/guidance of 0 (the registered default) mean "its
        # config's".
        spec = dataclasses.replace(
            spec, repo=cfg.pretrained or f"tiny:{cfg.preset}", revision=cfg.revision, height=cfg.height,
            width=cfg.width, num_frames=cfg.num_frames, fps=cfg.fps, dtype=dtype,
            steps=spec.steps or cfg.infer_steps, guidance=spec.guidance or cfg.guidance_scale,
        )
        super().__init__(spec, **{**kwargs, "device": device})
        self.model = self.parts = None

    def load(self) -> None:
        import torch

        from matrix_train.assembly import build_matrix_model
        from matrix_train.components import load_components, load_transformer
        from matrix_train.devices import DTYPES, place
        from matrix_train.infer import load_model

        device, dtype = torch.device(self.device), DTYPES[self.spec.dtype]
        if self.checkpoint is not None:
            self.model, self.parts, meta = load_model(self.checkpoint, device=device, dtype=dtype)
            self.step = int(meta.get("step", self.step))
        else:
            cfg = self.cfg
            model = build_matrix_model(cfg, load_transformer(cfg, dtype))
            self.model, self.parts = place(model.eval(), load_components(cfg, dtype), device, dtype)
        self.resolved_revision = self.parts.resolved_revision

    def generate(self, scenario: Scenario, *, seed: int) -> np.ndarray:
        import torch

        from matrix_train.infer import InferScenario, generate, id_map_for

        if self.model is None:
            raise ConfigError("model 'matrix': call load() before generate()")
        s = self.spec
        image = np.asarray(first_frame_image(scenario, s.width, s.height), dtype=np.float32)
        first = torch.from_numpy(image).permute(2, 0, 1)[None] / 127.5 - 1  # (1, 3, H, W) in [-1, 1]
        sc = InferScenario(scenario.id, scenario.video_prompt, scenario.first_frame, scenario.masks)
        ids = id_map_for(sc, s.height, s.width)
        frames = generate(self.model, self.parts, scenario.video_prompt, first, ids, steps=s.steps,
                          guidance=s.guidance, seed=seed, negative_prompt=s.negative_prompt)
        if frames.shape[:3] != (s.num_frames, s.height, s.width):
            raise ValueError(f"MATRIX returned frames of shape {frames.shape[:3]} for scenario "
                             f"{scenario.id!r}")
        return frames

    def card(self) -> dict[str, Any]:
        cfg = self.cfg
        return {
            **super().card(),
            "adapter": {"checkpoint": None if self.checkpoint is None else str(self.checkpoint),
                        "step": self.step, "preset": cfg.preset, "family": cfg.family,
                        "sga_layers": list(cfg.sga_layers), "spa_layers": list(cfg.spa_layers),
                        "lora_rank": cfg.lora_rank, "lora_alpha": cfg.lora_alpha,
                        "trained": self.checkpoint is not None, "device": self.device,
                        "deviations": cfg.deviations()},
        }


def _require_matrix_train() -> None:
    try:
        import matrix_train.infer  # noqa: F401
    except ModuleNotFoundError as e:
        raise BackendUnavailable(f"model 'matrix' needs matrix_train and its dependencies ({e.name} is "
                                 "missing): pip install 'intergeneval[train]'") from None


def _checkpoint_config(path: Path, config_cls: Any) -> tuple[Any, int]:
    """The MatrixConfig and step of a checkpoint, read from its config.json (the weights are read in load)."""
    from matrix_train.checkpoints import latest_checkpoint

    try:
        folder = latest_checkpoint(path)
    except FileNotFoundError as e:
        raise ConfigError(f"--checkpoint {path}: {e}") from None
    data = json.loads((folder / "config.json").read_text())
    known = {f.name for f in dataclasses.fields(config_cls)}
    step = int(data.get("step", -1))
    return config_cls.from_dict({k: v for k, v in data.items() if k in known}), step

"""`python -m matrix_train infer`: one video per suite scenario from its first frame and first-frame masks.

Example:
    python -m matrix_train infer --preset tiny-wan --checkpoint OUT --suite suite.json --out VIDEOS

Writes VIDEOS/<scenario id>.mp4 (the name InterGenEval's runner looks for) and VIDEOS/generation.json
(checkpoint, config, seed, steps). The ID map is built from the scenario's masks with the training palette
(object k -> id k). SGA/SPA capture and the heads are not used at inference.
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .assembly import MatrixModel, build_matrix_model, load_trainable_state_dict
from .checkpoints import load_checkpoint
from .components import Components, load_components, load_transformer
from .data import id_map_from_masks, read_mask, resize_cover_crop, write_mp4
from .devices import add_device_flags, place, resolve_device

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InferScenario:
    """What inference needs from a suite scenario."""

    id: str
    video_prompt: str
    first_frame: Path | None
    masks: tuple[Path, ...] | None = None


def _plain_list(path: Path) -> list[InferScenario] | None:
    """A JSON list of {id, video_prompt, first_frame?, masks?} (paths relative to the file), else None."""
    try:
        items = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not (isinstance(items, list) and items
            and all(isinstance(i, dict) and "id" in i and "video_prompt" in i for i in items)):
        return None

    def resolve(p):
        return None if p is None else path.parent / p

    return [
        InferScenario(str(it["id"]), it["video_prompt"], resolve(it.get("first_frame")),
                      tuple(resolve(m) for m in it["masks"]) if it.get("masks") else None)
        for it in items
    ]


def load_scenarios(path: str | Path) -> list[InferScenario]:
    """Scenarios of an InterGenEval suite (file, folder or shipped name, via
    `intergeneval.formats.load_suite`); failing that, a plain JSON list of {id, video_prompt, first_frame?,
    masks?}."""
    path = Path(path)
    try:
        from intergeneval.errors import InterGenEvalError
        from intergeneval.formats import load_suite
    except ImportError:  # scoring library not installed: plain lists only
        load_suite = None
    if load_suite is not None:
        try:
            suite = load_suite(path, require_questions=False)
            return [InferScenario(s.id, s.video_prompt, s.first_frame, s.masks) for s in suite.scenarios]
        except (InterGenEvalError, ValueError) as err:
            plain = _plain_list(path) if path.is_file() else None
            if plain is None:
                raise
            logger.info("%s is not an InterGenEval suite (%s); read as a plain scenario list", path, err)
            return plain
    plain = _plain_list(path)
    if plain is None:
        raise ValueError(f"{path}: expected a JSON list of {{id, video_prompt, first_frame?, masks?}}")
    return plain


def get_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m matrix_train infer", description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", help="expected preset; must match the checkpoint's")
    p.add_argument("--checkpoint", required=True, help="checkpoint folder or training output folder")
    p.add_argument("--suite", required=True, help="InterGenEval suite (file or folder)")
    p.add_argument("--out", required=True, help="folder for <scenario id>.mp4")
    p.add_argument("--steps", type=int, help="denoising steps (default: the config's infer_steps)")
    p.add_argument("--guidance", type=float, help="CFG scale (default: the config's guidance_scale)")
    p.add_argument("--seed", type=int, default=42, help="sampling seed (the released inference used 42)")
    p.add_argument("--negative-prompt", default="", help="negative prompt for CFG")
    p.add_argument("--limit", type=int, help="only the first N scenarios")
    add_device_flags(p)
    return p.parse_args(argv)


def load_model(checkpoint: str | Path, preset: str | None = None, device=None, dtype=None,
               ) -> tuple[MatrixModel, Components, dict]:
    """The checkpoint's model and frozen parts, on `device` in `dtype` (default: CPU, float32)."""
    weights, cfg, meta = load_checkpoint(checkpoint)
    if preset and preset != cfg.preset:
        raise ValueError(f"--preset {preset} but checkpoint {meta['folder']} was trained with {cfg.preset}")
    dtype = dtype or torch.float32
    model = build_matrix_model(cfg, load_transformer(cfg, dtype))
    load_trainable_state_dict(model, weights)
    model, parts = place(model.eval(), load_components(cfg, dtype), torch.device(device or "cpu"), dtype)
    return model, parts, meta


def _image(path: Path, height: int, width: int) -> torch.Tensor:
    x = torch.from_numpy(np.asarray(Image.open(path).convert("RGB")).copy()).permute(2, 0, 1)[None].float()
    return resize_cover_crop(x / 127.5 - 1, height, width)


def id_map_for(scenario: InferScenario, height: int, width: int) -> torch.Tensor:
    """(1, 3, H, W) in [-1, 1]: the palette ID map of the scenario's masks (object k -> id k)."""
    if not scenario.masks:
        logger.warning("scenario %s has no masks: using an empty (black) ID map", scenario.id)
        return -torch.ones(1, 3, height, width)
    masks = {k + 1: read_mask(p) for k, p in enumerate(scenario.masks)}
    return _image_from_array(id_map_from_masks(masks), height, width)


def _image_from_array(rgb: np.ndarray, height: int, width: int) -> torch.Tensor:
    x = torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float()
    return resize_cover_crop(x / 127.5 - 1, height, width)


@torch.no_grad()
def generate(
    model: MatrixModel, parts: Components, prompt: str, first_frame: torch.Tensor, id_map: torch.Tensor, *,
    steps: int, guidance: float, seed: int, negative_prompt: str = "",
) -> np.ndarray:
    """(T, H, W, 3) uint8 frames for one prompt, first frame (1, 3, H, W) and ID map (1, 3, H, W)."""
    cfg = model.cfg
    device = next(model.parameters()).device
    model.capture.begin(None)
    t = cfg.num_frames
    frame_cond = parts.first_frame_condition(first_frame.to(device), t)
    id_cond = parts.first_frame_condition(id_map.to(device), t)
    texts = []
    for p in (prompt, negative_prompt):
        ids, mask, _, _ = parts.tokenize(p)
        texts.append(parts.encode_text(ids[None], mask[None]))
    image_tokens = parts.image_tokens(first_frame.to(device))
    f, h, w = cfg.latent_frames, cfg.height // 8, cfg.width // 8
    g = torch.Generator().manual_seed(seed)
    latents = torch.randn(1, 16, f, h, w, generator=g).to(device)
    if cfg.objective == "flow":
        from diffusers import FlowMatchEulerDiscreteScheduler

        sched = FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=cfg.flow_shift)
    else:
        from .train import make_schedule

        sched = make_schedule(cfg).scheduler
    sched.set_timesteps(steps, device=device)
    latents = latents * getattr(sched, "init_noise_sigma", 1.0)  # flow-matching starts from unit noise
    for timestep in sched.timesteps:
        tt = timestep.expand(1).to(device)
        cond = model.predict(latents, frame_cond, id_cond, texts[0], tt, image_tokens)
        if guidance != 1.0:
            uncond = model.predict(latents, frame_cond, id_cond, texts[1], tt, image_tokens)
            cond = uncond + guidance * (cond - uncond)
        latents = sched.step(cond, timestep, latents, return_dict=False)[0]
    vae = parts.vae
    if cfg.family == "wan":
        mean = torch.tensor(vae.config.latents_mean, device=device).view(1, -1, 1, 1, 1)
        std = torch.tensor(vae.config.latents_std, device=device).view(1, -1, 1, 1, 1)
        z = latents * std + mean
    else:
        z = latents / vae.config.scaling_factor
    video = vae.decode(z.to(next(vae.parameters()).dtype)).sample[0]  # (3, T, H, W) in [-1, 1]
    return ((video.float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 3, 0).cpu().numpy()


def main(args: argparse.Namespace) -> list[Path]:
    device, dtype = resolve_device(args.device, args.dtype)
    model, parts, meta = load_model(args.checkpoint, args.preset, device, dtype)
    cfg = model.cfg
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    steps = args.steps or cfg.infer_steps
    guidance = cfg.guidance_scale if args.guidance is None else args.guidance
    scenarios = load_scenarios(args.suite)[: args.limit]
    written, skipped = [], []
    for sc in scenarios:
        if sc.first_frame is None:
            logger.warning("skipping scenario %s: no first frame (MATRIX is image-to-video)", sc.id)
            skipped.append({"id": sc.id, "reason": "no first frame"})
            continue
        frames = generate(
            model, parts, sc.video_prompt, _image(sc.first_frame, cfg.height, cfg.width),
            id_map_for(sc, cfg.height, cfg.width), steps=steps, guidance=guidance, seed=args.seed,
            negative_prompt=args.negative_prompt,
        )
        path = out / f"{sc.id}.mp4"
        write_mp4(path, frames, cfg.fps)
        written.append(path)
        logger.info("wrote %s", path)
    (out / "generation.json").write_text(json.dumps({
        "checkpoint": meta["folder"], "step": int(meta["step"]), "config": cfg.to_dict(), "seed": args.seed,
        "steps": steps, "guidance": guidance, "videos": [p.name for p in written], "skipped": skipped,
        "device": str(device), "dtype": str(dtype).removeprefix("torch."), "deviations": cfg.deviations(),
    }, indent=2))
    return written

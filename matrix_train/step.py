"""One MATRIX training step's losses: batch -> conditioning -> noisy latents -> model + maps -> losses.

Example:
    >>> out = compute_losses(model, parts, batch, schedule, generator)   # doctest: +SKIP
    >>> sorted(out)                                                       # doctest: +SKIP
    ['diffusion', 'sga', 'spa', 'total']
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .components import Components
from .targets import build_sga, build_spa, nearest_resize


@dataclass
class Prepared:
    """Model inputs and supervision for one batch (everything but the noise)."""

    latents: torch.Tensor  # (B, 16, F, h, w)
    frame_cond: torch.Tensor
    id_cond: torch.Tensor
    text: torch.Tensor  # (B, L, text_dim)
    image_tokens: torch.Tensor | None
    sga: tuple  # build_sga output
    spa: tuple  # build_spa output
    masks: torch.Tensor  # (B, K, T, H, W) bool


def _encode(parts: Components, batch: dict, tok: list, device) -> tuple:
    """The frozen encoders' outputs for a batch: latents, first-frame and ID-map conditions, text, CLIP."""
    video = batch["video"].to(device)
    t = video.shape[1]
    latents = parts.encode_video(video)
    # Both first-frame conditions (the frame and the ID map) in one VAE call: two encodes per step, not three.
    b = video.shape[0]
    frame_cond, id_cond = parts.first_frame_condition(
        torch.cat([video[:, 0], batch["id_map"].to(device, video.dtype)]), t).split(b)
    text = parts.encode_text(torch.stack([x[0] for x in tok]), torch.stack([x[1] for x in tok]))
    return latents, frame_cond, id_cond, text, parts.image_tokens(video[:, 0])


def _encode_cached(parts: Components, batch: dict, tok: list, device, cache: dict) -> tuple:
    # One clip at a time, so a clip's encoding never depends on its batch mates: a cached run (and its
    # resume, which refills the cache) computes exactly what an uncached batch-1 run does.
    out = []
    for i, key in enumerate(zip(batch["name"], batch["prompt"], strict=True)):
        if key not in cache:
            one = {k: v[i : i + 1] for k, v in batch.items() if isinstance(v, torch.Tensor)}
            cache[key] = _encode(parts, one, tok[i : i + 1], device)
        out.append(cache[key])
    return tuple(None if column[0] is None else torch.cat(column) for column in zip(*out, strict=True))


def prepare_batch(parts: Components, batch: dict, device, cache: dict | None = None) -> Prepared:
    """Encode a batch and build its supervision. `cache` (any dict, kept by the caller) stores each clip's
    encoder outputs under (name, prompt): the encoders are frozen and deterministic (posterior mode), so
    reusing them is exact; it costs their memory for every clip of the dataset."""
    tok = [parts.tokenize(p) for p in batch["prompt"]]
    if cache is None:
        latents, frame_cond, id_cond, text, image_tokens = _encode(parts, batch, tok, device)
    else:
        latents, frame_cond, id_cond, text, image_tokens = _encode_cached(parts, batch, tok, device, cache)
    masks, valid = batch["masks"], batch["mask_valid"]
    h, w = latents.shape[-2] // 2, latents.shape[-1] // 2
    sga = build_sga([x[3] for x in tok], [x[2] for x in tok], valid)
    spa = build_spa(nearest_resize(masks[:, :, 0], (h, w)), valid)
    return Prepared(latents, frame_cond, id_cond, text, image_tokens, sga, spa, masks)


def compute_losses(
    model, parts: Components, batch: dict, schedule, generator: torch.Generator, device=None,
    cache: dict | None = None,
) -> dict[str, torch.Tensor]:
    """Forward one batch; returns total, diffusion, sga, spa (scalars; the last three unweighted means)."""
    device = device or batch["video"].device
    prepared = prepare_batch(parts, batch, device, cache)
    return losses_from_prepared(model, prepared, schedule, generator, device)


def losses_from_prepared(
    model, p: Prepared, schedule, generator: torch.Generator, device
) -> dict[str, torch.Tensor]:
    """`compute_losses` after the frozen encoders: draw noise and timesteps, then one call of the (possibly
    DDP/FSDP-wrapped) model, whose forward computes every loss."""
    b = p.latents.shape[0]
    noise = torch.randn(p.latents.shape, generator=generator).to(device)
    idx = schedule.sample(b, generator)
    x_t, timestep, target, weight = schedule.noisy(p.latents, noise, idx)
    return model(p, x_t, timestep, target, weight)

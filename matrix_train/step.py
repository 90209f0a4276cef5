"""One MATRIX training step's losses: batch -> conditioning -> noisy latents -> model + maps -> losses.

Example:
    >>> out = compute_losses(model, parts, batch, schedule, generator)   # doctest: +SKIP
    >>> sorted(out)                                                       # doctest: +SKIP
    ['diffusion', 'sga', 'spa', 'total']
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .assembly import MatrixModel
from .components import Components
from .losses import map_losses, masked_mean_per_sample, total_loss
from .targets import build_sga, build_spa, capture_request, nearest_resize, token_grid_tracks


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
    frame_cond = parts.first_frame_condition(video[:, 0], t)
    id_cond = parts.first_frame_condition(batch["id_map"].to(device), t)
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


def layer_mean_maps(model: MatrixModel, kind: str, layers) -> torch.Tensor | None:
    """Mean over `layers` of the captured maps, scaled by the key count (uniform attention -> 1)."""
    keys = [f"{kind}.{i}" for i in layers if f"{kind}.{i}" in model.capture.maps]
    if not keys:
        return None
    return torch.stack([model.capture.maps[k] * model.capture.key_counts[k] for k in keys]).mean(0)


def alignment_loss(model: MatrixModel, head, maps, tracks, valid, grid) -> torch.Tensor:
    """Per-sample mean of per-map losses. maps (B, S, N), valid (B, S), tracks (B, S, T, H, W) bool at pixel
    resolution or already reduced to the head's grid (1/8: nearest resizing commutes at integer factors)."""
    cfg = model.cfg
    b, s = valid.shape
    per_map = torch.zeros(b, s, device=maps.device)
    idx = valid.nonzero(as_tuple=True)
    if len(idx[0]):
        sel = maps[idx].reshape(-1, 1, *grid)
        if cfg.loss_grid == "pixel":
            target = nearest_resize(tracks[idx].to(maps.device), (2 * grid[1], 2 * grid[2]))[:, None]
            logits = head(sel)
        else:
            target = token_grid_tracks(tracks[idx].to(maps.device), grid)[:, None]
            logits = head.token_logits(sel)
        losses = map_losses(
            logits, target, bce=cfg.beta_bce, dice=cfg.beta_dice, l2=cfg.beta_l2, cap=cfg.pos_weight_cap
        )
        per_map = per_map.index_put(idx, losses)
    return masked_mean_per_sample(per_map, valid.to(maps.device))


def compute_losses(
    model: MatrixModel, parts: Components, batch: dict, schedule, generator: torch.Generator, device=None,
    cache: dict | None = None,
) -> dict[str, torch.Tensor]:
    """Forward one batch; returns total, diffusion, sga, spa (scalars; the last three unweighted means)."""
    device = device or batch["video"].device
    prepared = prepare_batch(parts, batch, device, cache)
    return losses_from_prepared(model, prepared, schedule, generator, device)


def losses_from_prepared(
    model: MatrixModel, p: Prepared, schedule, generator: torch.Generator, device
) -> dict[str, torch.Tensor]:
    """`compute_losses` after the frozen encoders: lets benchmarks and experiments reuse encoded batches."""
    cfg = model.cfg
    b = p.latents.shape[0]
    noise = torch.randn(p.latents.shape, generator=generator).to(device)
    idx = schedule.sample(b, generator)
    x_t, timestep, target, weight = schedule.noisy(p.latents, noise, idx)
    use_sga = cfg.lambda_sga > 0 and cfg.sga_layers
    use_spa = cfg.lambda_spa > 0 and cfg.spa_layers
    request = capture_request(p.sga, p.spa, device)
    if not use_sga:
        request.sga_cols = None
    if not use_spa:
        request.spa_rows = None
    model.capture.begin(request if (use_sga or use_spa) else None)
    try:
        pred = model(x_t, p.frame_cond, p.id_cond, p.text, timestep, p.image_tokens)
        diffusion = (pred.float() - target.float()).square().flatten(1).mean(1)
        grid = (p.latents.shape[2], p.latents.shape[3] // 2, p.latents.shape[4] // 2)
        zero = torch.zeros(b, device=device)
        sga = spa = zero
        if use_sga or use_spa:
            # Reduce the pixel tracks to the head's grid once, where they are: unions and losses then work on
            # small tensors (full-resolution float copies were the largest tensors of a step).
            masks = nearest_resize(p.masks, (2 * grid[1], 2 * grid[2])).to(device)
        if use_sga:
            _, _, span_ids, valid = p.sga
            # A span's target is the union of the tracks of the ids it names (the verb: subject + object).
            tracks = (masks[:, None] & span_ids[..., None, None, None].to(device)).any(2)
            sga = alignment_loss(model, model.sga_head, layer_mean_maps(model, "sga", cfg.sga_layers),
                                 tracks, valid, grid)
        if use_spa:
            spa = alignment_loss(model, model.spa_head, layer_mean_maps(model, "spa", cfg.spa_layers),
                                 masks, p.spa[2], grid)
    finally:
        model.capture.release()
    total = total_loss(diffusion, sga, spa, weight, lambda_sga=cfg.lambda_sga, lambda_spa=cfg.lambda_spa)
    return {"total": total, "diffusion": diffusion.mean(), "sga": sga.mean(), "spa": spa.mean()}

"""`MatrixModel`: the transformer with MATRIX's additions, as ONE module whose `forward` returns the losses.

Example:
    >>> model = build_matrix_model(cfg, load_transformer(cfg))            # doctest: +SKIP
    >>> losses = model(prepared, x_t, timestep, target, weight)  # doctest: +SKIP
    >>> pred = model.predict(x_t, frame_cond, id_cond, text, timestep)  # doctest: +SKIP

`losses` is a dict of losses (training); `pred` the prediction (sampling).

Everything that touches a trained parameter (transformer with LoRA, patch embedding, heads) runs inside
`forward`. That is what DDP and FSDP need: DDP all-reduces the gradients of what the wrapped module's forward
used, and FSDP gathers a shard's parameters only around its forward. A loss computed through `model.module`
(or a head called outside `forward`) trains each process on its own gradients: the ranks drift apart.
"""

from __future__ import annotations

import torch
from torch import nn

from .attention_capture import CaptureContext
from .head import build_head
from .losses import map_losses, masked_mean_per_sample, total_loss
from .presets import MatrixConfig
from .targets import capture_request, nearest_resize, token_grid_tracks


def patch_embedding(transformer, family: str) -> nn.Module:
    return transformer.patch_embedding if family == "wan" else transformer.patch_embed.proj


def layer_mean_maps(capture: CaptureContext, kind: str, layers) -> torch.Tensor | None:
    """Mean over `layers` of the captured maps, scaled by the key count (uniform attention -> 1)."""
    keys = [f"{kind}.{i}" for i in layers if f"{kind}.{i}" in capture.maps]
    if not keys:
        return None
    return torch.stack([capture.maps[k] * capture.key_counts[k] for k in keys]).mean(0)


def alignment_loss(cfg: MatrixConfig, head: nn.Module, maps, tracks, valid, grid) -> torch.Tensor:
    """Per-sample mean of per-map losses. maps (B, S, N), valid (B, S), tracks (B, S, T, H, W) bool at pixel
    resolution or already reduced to the head's grid (1/8: nearest resizing commutes at integer factors)."""
    b, s = valid.shape
    per_map = torch.zeros(b, s, device=maps.device)
    idx = valid.nonzero(as_tuple=True)
    if not len(idx[0]):
        # Nothing to supervise in this batch; the head still takes part (with zero gradient), since DDP
        # expects every trained parameter in every step's graph.
        return per_map.sum(1) + 0.0 * sum(p.sum() for p in head.parameters())
    sel = maps[idx].reshape(-1, 1, *grid)
    if cfg.loss_grid == "pixel":
        target = nearest_resize(tracks[idx].to(maps.device), (2 * grid[1], 2 * grid[2]))[:, None]
        logits = head(sel)
    else:
        target = token_grid_tracks(tracks[idx].to(maps.device), grid)[:, None]
        logits = head.token_logits(sel)
    losses = map_losses(logits, target, bce=cfg.beta_bce, dice=cfg.beta_dice, l2=cfg.beta_l2,
                        cap=cfg.pos_weight_cap)
    per_map = per_map.index_put(idx, losses)
    return masked_mean_per_sample(per_map, valid.to(maps.device))


class MatrixModel(nn.Module):
    """Transformer (LoRA, widened patch embedding, capture processors) + the SGA/SPA heads it needs."""

    def __init__(self, cfg: MatrixConfig, transformer: nn.Module):
        super().__init__()
        self.cfg = cfg
        self.transformer = transformer
        self.capture = CaptureContext(chunk=cfg.capture_chunk)
        # Only heads that a loss uses exist: an unused trained parameter breaks DDP (and would be saved).
        self.sga_head = build_head(cfg) if cfg.uses_sga else None
        self.spa_head = build_head(cfg) if cfg.uses_spa else None
        # FSDP's transformer auto-wrap policy looks for the block classes here (diffusers declares them).
        self._no_split_modules = list(getattr(transformer, "_no_split_modules", None) or [])

    def forward(self, p, x_t, timestep, target, weight) -> dict[str, torch.Tensor]:
        """One training step's losses for prepared batch `p` (`step.Prepared`) noised to `x_t`.

        Returns total (weighted, what to back-propagate), diffusion, sga, spa (unweighted batch means)."""
        cfg = self.cfg
        device = x_t.device
        b = x_t.shape[0]
        request = None
        if cfg.uses_sga or cfg.uses_spa:
            request = capture_request(p.sga, p.spa, device)
            request.sga_cols = request.sga_cols if cfg.uses_sga else None
            request.spa_rows = request.spa_rows if cfg.uses_spa else None
        self.capture.begin(request)
        try:
            pred = self.predict(x_t, p.frame_cond, p.id_cond, p.text, timestep, p.image_tokens)
            diffusion = (pred.float() - target.float()).square().flatten(1).mean(1)
            grid = (x_t.shape[2], x_t.shape[3] // 2, x_t.shape[4] // 2)
            sga = spa = torch.zeros(b, device=device)
            if request is not None:
                # Reduce the pixel tracks to the head's grid once, where they are: unions and losses then work
                # on small tensors (full-resolution float copies were the largest tensors of a step).
                masks = nearest_resize(p.masks, (2 * grid[1], 2 * grid[2])).to(device)
            if cfg.uses_sga:
                _, _, span_ids, valid = p.sga
                # A span's target is the union of the tracks of the ids it names (a verb: subject + object).
                tracks = (masks[:, None] & span_ids[..., None, None, None].to(device)).any(2)
                maps = layer_mean_maps(self.capture, "sga", cfg.sga_layers)
                sga = alignment_loss(cfg, self.sga_head, maps, tracks, valid, grid)
            if cfg.uses_spa:
                maps = layer_mean_maps(self.capture, "spa", cfg.spa_layers)
                spa = alignment_loss(cfg, self.spa_head, maps, masks, p.spa[2], grid)
        finally:
            self.capture.release()
        total = total_loss(diffusion, sga, spa, weight, lambda_sga=cfg.lambda_sga, lambda_spa=cfg.lambda_spa)
        return {"total": total, "diffusion": diffusion.mean(), "sga": sga.mean(), "spa": spa.mean()}

    def predict(self, noisy, frame_cond, id_cond, text, timestep, image_tokens=None):
        """All latents (B, C, F, h, w); returns the model's prediction (B, 16, F, h, w) in float32.

        Inputs are cast to the patch embedding's dtype (float32 when trained under autocast, bf16 when the
        whole model was cast for sampling)."""
        dtype = self.patch_dtype
        x = torch.cat([noisy, frame_cond, id_cond], dim=1).to(dtype)
        text = text.to(dtype)
        image_tokens = None if image_tokens is None else image_tokens.to(dtype)
        if self.cfg.family == "wan":
            out = self.transformer(
                hidden_states=x, timestep=timestep, encoder_hidden_states=text,
                encoder_hidden_states_image=image_tokens, return_dict=False,
            )[0]
            return out.float()
        x = x.permute(0, 2, 1, 3, 4)  # CogVideoX takes (B, F, C, h, w)
        out = self.transformer(
            hidden_states=x, encoder_hidden_states=text, timestep=timestep,
            image_rotary_emb=self.rotary(x.shape[1], *x.shape[-2:], x.device), return_dict=False,
        )[0]
        return out.permute(0, 2, 1, 3, 4).float()

    @property
    def patch_dtype(self) -> torch.dtype:
        return patch_embedding(self.transformer, self.cfg.family).weight.dtype

    def rotary(self, frames: int, h: int, w: int, device):
        """CogVideoX 3-D RoPE exactly as its image-to-video pipeline builds it (None if the model has
        none)."""
        conf = self.transformer.config
        if not conf.use_rotary_positional_embeddings:
            return None
        from diffusers.models.embeddings import get_3d_rotary_pos_embed
        from diffusers.pipelines.cogvideo.pipeline_cogvideox_image2video import (
            get_resize_crop_region_for_grid,
        )

        p = conf.patch_size
        grid = (h // p, w // p)
        crops = get_resize_crop_region_for_grid(grid, conf.sample_width // p, conf.sample_height // p)
        cos, sin = get_3d_rotary_pos_embed(conf.attention_head_dim, crops, grid, frames, device=device)
        return cos, sin

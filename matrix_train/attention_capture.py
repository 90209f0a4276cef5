"""Exact, cheap attention maps for the MATRIX losses, captured through diffusers attention processors.

Example:
    >>> ctx = CaptureContext()
    >>> install_capture(transformer, "wan", ctx, sga_layers=(20, 24), spa_layers=(6, 8))  # doctest: +SKIP
    >>> ctx.begin(request); transformer(...); ctx.maps["sga.20"].shape                    # doctest: +SKIP
    torch.Size([B, S, N])

The maps are the per-head softmax probabilities the model really uses, averaged over heads, and only the parts
the losses need: SGA keeps the columns of the instance text tokens (then averages each span); SPA keeps the
rows of frame-0 tokens inside the instance masks (then averages each instance's rows). The normaliser is the
log-sum-exp over every key of the real softmax, built tile by tile (online), so no N x N tensor exists. Each
tile is wrapped in a non-reentrant checkpoint: backward recomputes it instead of storing its probabilities.
The attention output itself still goes through `dispatch_attention_fn` (SDPA / flash), unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from diffusers.models.attention_dispatch import dispatch_attention_fn
from diffusers.models.attention_processor import CogVideoXAttnProcessor2_0
from diffusers.models.embeddings import apply_rotary_emb
from diffusers.models.transformers.transformer_wan import WanAttnProcessor
from torch.utils.checkpoint import checkpoint

# diffusers' Wan attn2 splits [image tokens | text tokens] by assuming 512 text tokens; so do we.
_WAN_TEXT_CONTEXT = 512


# ---------------------------------------------------------------------------------------------------------
# Kernels (pure functions over per-head q/k in [B, H, S, d] layout)
# ---------------------------------------------------------------------------------------------------------
def _tile(fn, *args):
    # Recompute in backward rather than keep each tile's [B, H, M, chunk] probabilities alive.
    if torch.is_grad_enabled() and any(isinstance(a, torch.Tensor) and a.requires_grad for a in args):
        return checkpoint(fn, *args, use_reentrant=False)
    return fn(*args)


def _tile_lse(q: torch.Tensor, k: torch.Tensor, scale: float) -> torch.Tensor:
    return torch.logsumexp(torch.matmul(q, k.transpose(-1, -2)) * scale, dim=-1)


def logsumexp_over_keys(q: torch.Tensor, k: torch.Tensor, scale: float, chunk: int) -> torch.Tensor:
    """log sum_j exp(scale * q_i . k_j) for every query, over all keys, in (query, key) tiles.

    Args:
        q: (B, H, M, d) float32. k: (B, H, N, d) float32.

    Returns:
        (B, H, M). Peak extra memory is one (B, H, chunk, chunk) tile.
    """
    rows = []
    for qs in range(0, q.shape[2], chunk):
        qc = q[:, :, qs : qs + chunk]
        running = None
        for ks in range(0, k.shape[2], chunk):
            part = _tile(_tile_lse, qc, k[:, :, ks : ks + chunk], scale)
            running = part if running is None else torch.logaddexp(running, part)
        rows.append(running)
    return torch.cat(rows, dim=2)


def column_probs(
    q: torch.Tensor, k: torch.Tensor, cols: torch.Tensor, *, scale: float, chunk: int
) -> torch.Tensor:
    """Head-averaged softmax(q k^T * scale) restricted to some key columns.

    Args:
        q: (B, H, M, d) queries. k: (B, H, N, d) all keys the real softmax normalises over.
        cols: (B, C) long, key indices to keep (per batch element).

    Returns:
        (B, M, C) float32: mean over heads of P[b, h, i, cols[b, c]].
    """
    with torch.autocast(q.device.type, enabled=False):
        q, k = q.float(), k.float()
        lse = logsumexp_over_keys(q, k, scale, chunk)  # (B, H, M)
        index = cols[:, None, :, None].expand(-1, k.shape[1], -1, k.shape[3])
        k_cols = torch.gather(k, 2, index)  # (B, H, C, d)
        logits = torch.matmul(q, k_cols.transpose(-1, -2)) * scale  # (B, H, M, C): C is a few tokens
        return torch.exp(logits - lse[..., None]).mean(dim=1)


def _tile_rows(q_rows, k_chunk, lse, row_weights, scale):
    p = torch.exp(torch.matmul(q_rows, k_chunk.transpose(-1, -2)) * scale - lse[..., None]).mean(dim=1)
    return torch.matmul(row_weights, p)  # (B, S, R) @ (B, R, c) -> (B, S, c)


def row_probs(
    q_rows: torch.Tensor,
    k: torch.Tensor,
    row_weights: torch.Tensor,
    *,
    scale: float,
    chunk: int,
    out_start: int = 0,
    out_end: int | None = None,
) -> torch.Tensor:
    """Weighted averages of head-averaged softmax rows, for the keys in [out_start, out_end).

    Args:
        q_rows: (B, H, R, d) the selected queries. k: (B, H, N, d) every key of the real softmax.
        row_weights: (B, S, R) per output map, weights over the selected rows (e.g. 1/|mask| inside it).

    Returns:
        (B, S, out_end - out_start) float32. Only (B, H, R, chunk) exists at a time; never (R, N) per head.
    """
    out_end = k.shape[2] if out_end is None else out_end
    with torch.autocast(q_rows.device.type, enabled=False):
        q_rows, k, row_weights = q_rows.float(), k.float(), row_weights.float()
        lse = logsumexp_over_keys(q_rows, k, scale, chunk)  # (B, H, R)
        parts = [
            _tile(_tile_rows, q_rows, k[:, :, s : min(s + chunk, out_end)], lse, row_weights, scale)
            for s in range(out_start, out_end, chunk)
        ]
        return torch.cat(parts, dim=-1)


# ---------------------------------------------------------------------------------------------------------
# What to capture, and where the maps go
# ---------------------------------------------------------------------------------------------------------
@dataclass
class CaptureRequest:
    """Which columns/rows to capture for the current forward pass (padded over the batch).

    sga_cols (B, C) text-token indices; sga_weights (B, S, C) average each span's columns (zero rows = no
    span).
    spa_rows (B, R) frame-0 video-token indices; spa_weights (B, S, R) average each instance's rows.
    """

    sga_cols: torch.Tensor | None = None
    sga_weights: torch.Tensor | None = None
    spa_rows: torch.Tensor | None = None
    spa_weights: torch.Tensor | None = None


@dataclass
class CaptureContext:
    """Shared by the processors of one model. `maps` holds `sga.<layer>` / `spa.<layer>` ->
    (B, S, N_video)."""

    request: CaptureRequest | None = None
    maps: dict[str, torch.Tensor] = field(default_factory=dict)
    #: keys in each map's softmax normaliser (uniform attention would give 1 / count per key)
    key_counts: dict[str, int] = field(default_factory=dict)
    chunk: int = 4096

    _released: bool = False

    def begin(self, request: CaptureRequest | None) -> None:
        """Start a forward pass: clear last step's maps (they hold graph references) and set the request."""
        self.maps, self.key_counts = {}, {}
        self.request = request
        self._released = False

    def release(self) -> None:
        """Drop the maps once the loss holds them. The request stays: a checkpointed block's recompute in
        backward must redo the same capture computations (torch checks the saved-tensor count)."""
        self.maps = {}
        self._released = True

    def _store(self, key: str, compute, n_keys: int) -> None:
        # Block-level activation checkpointing re-runs this processor during backward. The recompute must
        # save the same tensors as the forward (torch checks), so it computes again, but the maps of the
        # original forward are the ones in the loss graph: keep those.
        if self.request is None:
            return
        maps = compute()
        if maps is not None and not self._released:
            self.maps.setdefault(key, maps)
            self.key_counts[key] = n_keys


def _sga_maps(ctx: CaptureContext, q_video, k_keys, scale):
    req = ctx.request
    if req.sga_cols is None or req.sga_cols.shape[1] == 0:
        return None
    p = column_probs(q_video, k_keys, req.sga_cols, scale=scale, chunk=ctx.chunk)  # (B, N, C)
    return torch.einsum("bnc,bsc->bsn", p, req.sga_weights.float())


def _spa_maps(ctx: CaptureContext, q_video, k_keys, scale, out_start):
    req = ctx.request
    if req.spa_rows is None or req.spa_rows.shape[1] == 0:
        return None
    index = req.spa_rows[:, None, :, None].expand(-1, q_video.shape[1], -1, q_video.shape[3])
    q_rows = torch.gather(q_video, 2, index)
    n_video = q_video.shape[2]
    return row_probs(
        q_rows, k_keys, req.spa_weights, scale=scale, chunk=ctx.chunk, out_start=out_start,
        out_end=out_start + n_video,
    )


def _wan_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    # Wan rotates interleaved (even, odd) channel pairs; cos/sin are repeated per pair.
    even, odd = x.unflatten(-1, (-1, 2)).unbind(-1)
    c, s = cos[..., 0::2], sin[..., 1::2]
    return torch.stack([even * c - odd * s, even * s + odd * c], dim=-1).flatten(-2).type_as(x)


class WanCaptureProcessor(WanAttnProcessor):
    """Wan attention with map capture: `kind="sga"` on attn2 (v2t), `kind="spa"` on attn1 (v2v)."""

    def __init__(self, ctx: CaptureContext, layer: int, kind: str):
        super().__init__()
        if kind not in ("sga", "spa"):
            raise ValueError(f"kind must be 'sga' or 'spa', got {kind!r}")
        self.ctx, self.layer, self.kind = ctx, layer, kind

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, rotary_emb=None):
        if getattr(attn, "fused_projections", False):
            raise NotImplementedError(
                "attention capture needs unfused to_q/to_k/to_v (call unfuse_projections)"
            )
        image_states = None
        if attn.add_k_proj is not None:
            n_img = encoder_hidden_states.shape[1] - _WAN_TEXT_CONTEXT
            image_states = encoder_hidden_states[:, :n_img]
            encoder_hidden_states = encoder_hidden_states[:, n_img:]
        context = hidden_states if encoder_hidden_states is None else encoder_hidden_states
        query = attn.norm_q(attn.to_q(hidden_states)).unflatten(2, (attn.heads, -1))  # (B, N, H, d)
        key = attn.norm_k(attn.to_k(context)).unflatten(2, (attn.heads, -1))
        value = attn.to_v(context).unflatten(2, (attn.heads, -1))
        if rotary_emb is not None:
            query, key = _wan_rope(query, *rotary_emb), _wan_rope(key, *rotary_emb)

        out = dispatch_attention_fn(
            query, key, value, attn_mask=attention_mask, dropout_p=0.0, is_causal=False
        )
        out = out.flatten(2, 3).type_as(query)
        if image_states is not None:
            # Image tokens have their own softmax in diffusers' Wan; the text map's normaliser is text-only.
            key_img = attn.norm_added_k(attn.add_k_proj(image_states)).unflatten(2, (attn.heads, -1))
            value_img = attn.add_v_proj(image_states).unflatten(2, (attn.heads, -1))
            out_img = dispatch_attention_fn(query, key_img, value_img, attn_mask=None, dropout_p=0.0)
            out = out + out_img.flatten(2, 3).type_as(query)

        if self.ctx.request is not None:
            if attention_mask is not None:
                raise NotImplementedError("attention capture with an attention mask is not supported")
            q_h, k_h = query.transpose(1, 2), key.transpose(1, 2)  # (B, H, S, d)
            scale = 1.0 / math.sqrt(q_h.shape[-1])
            if self.kind == "sga":
                self.ctx._store(
                    f"sga.{self.layer}", lambda: _sga_maps(self.ctx, q_h, k_h, scale), k_h.shape[2]
                )
            else:
                self.ctx._store(
                    f"spa.{self.layer}", lambda: _spa_maps(self.ctx, q_h, k_h, scale, 0), k_h.shape[2]
                )

        out = attn.to_out[0](out)
        return attn.to_out[1](out)


class CogVideoXCaptureProcessor(CogVideoXAttnProcessor2_0):
    """CogVideoX joint [text, video] attention with capture; `kinds` is a subset of {"sga", "spa"}."""

    def __init__(self, ctx: CaptureContext, layer: int, kinds: tuple[str, ...]):
        super().__init__()
        if not kinds or set(kinds) - {"sga", "spa"}:
            raise ValueError(f"kinds must be a non-empty subset of ('sga', 'spa'), got {kinds!r}")
        self.ctx, self.layer, self.kinds = ctx, layer, tuple(kinds)

    def __call__(
        self, attn, hidden_states, encoder_hidden_states, attention_mask=None, image_rotary_emb=None
    ):
        if attention_mask is not None:
            raise NotImplementedError("CogVideoX capture does not support an attention mask")
        n_text = encoder_hidden_states.shape[1]
        joint = torch.cat([encoder_hidden_states, hidden_states], dim=1)
        batch = joint.shape[0]
        query = attn.to_q(joint).unflatten(2, (attn.heads, -1)).transpose(1, 2)  # (B, H, L+N, d)
        key = attn.to_k(joint).unflatten(2, (attn.heads, -1)).transpose(1, 2)
        value = attn.to_v(joint).unflatten(2, (attn.heads, -1)).transpose(1, 2)
        if attn.norm_q is not None:
            query = attn.norm_q(query)
        if attn.norm_k is not None:
            key = attn.norm_k(key)
        if image_rotary_emb is not None:
            # RoPE on the video part only; concatenation instead of diffusers' in-place slice assignment.
            query = torch.cat(
                [query[:, :, :n_text], apply_rotary_emb(query[:, :, n_text:], image_rotary_emb)], 2
            )
            if not attn.is_cross_attention:
                key = torch.cat(
                    [key[:, :, :n_text], apply_rotary_emb(key[:, :, n_text:], image_rotary_emb)], 2
                )

        out = F.scaled_dot_product_attention(query, key, value, dropout_p=0.0, is_causal=False)
        out = out.transpose(1, 2).reshape(batch, -1, attn.heads * query.shape[-1])

        if self.ctx.request is not None:
            scale = 1.0 / math.sqrt(query.shape[-1])
            q_video = query[:, :, n_text:]
            if "sga" in self.kinds:
                self.ctx._store(
                    f"sga.{self.layer}", lambda: _sga_maps(self.ctx, q_video, key, scale), key.shape[2]
                )
            if "spa" in self.kinds:
                self.ctx._store(
                    f"spa.{self.layer}", lambda: _spa_maps(self.ctx, q_video, key, scale, n_text),
                    key.shape[2],
                )

        out = attn.to_out[1](attn.to_out[0](out))
        encoder_out, video_out = out.split([n_text, out.shape[1] - n_text], dim=1)
        return video_out, encoder_out


def install_capture(
    transformer, family: str, ctx: CaptureContext, sga_layers=(), spa_layers=()
) -> dict[str, object]:
    """Install capture processors on the selected blocks only; returns {module path: processor}."""
    if family not in ("wan", "cogvideox"):
        raise ValueError(f"unknown family {family!r}")
    blocks = transformer.blocks if family == "wan" else transformer.transformer_blocks
    bad = [i for i in (*sga_layers, *spa_layers) if not 0 <= i < len(blocks)]
    if bad:
        raise ValueError(f"layers {bad} out of range: the transformer has {len(blocks)} blocks")
    installed = {}
    if family == "wan":
        for i in sga_layers:
            installed[f"blocks.{i}.attn2"] = proc = WanCaptureProcessor(ctx, i, "sga")
            blocks[i].attn2.set_processor(proc)
        for i in spa_layers:
            installed[f"blocks.{i}.attn1"] = proc = WanCaptureProcessor(ctx, i, "spa")
            blocks[i].attn1.set_processor(proc)
    else:
        for i in sorted(set(sga_layers) | set(spa_layers)):
            kinds = tuple(k for k, layers in (("sga", sga_layers), ("spa", spa_layers)) if i in layers)
            installed[f"transformer_blocks.{i}.attn1"] = proc = CogVideoXCaptureProcessor(ctx, i, kinds)
            blocks[i].attn1.set_processor(proc)
    return installed

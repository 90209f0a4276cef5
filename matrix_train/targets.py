"""Mask tracks -> loss targets and capture requests (pure functions over tensors).

Example:
    >>> m = torch.zeros(9, 4, 4, dtype=torch.bool); m[3, 0, 0] = True
    >>> latent_frame_union(m)[:, 0, 0].tolist()   # pixel frame 3 lies in latent frame 1 (frames 1..4)
    [False, True, False]

Conventions: masks are bool (..., T, H, W) with T = 4k+1 pixel frames. Latent frame 0 <- pixel frame 0;
latent frame i >= 1 <- union of pixel frames 4i-3 .. 4i. Video tokens are flattened (F, h, w) row-major.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .attention_capture import CaptureRequest


def latent_frame_union(masks: torch.Tensor) -> torch.Tensor:
    """(..., T, H, W) bool -> (..., 1 + (T-1)/4, H, W): frame 0 alone, then unions of 4 frames."""
    t = masks.shape[-3]
    if (t - 1) % 4:
        raise ValueError(f"mask tracks need 4k+1 frames, got {t}")
    rest = masks[..., 1:, :, :].unflatten(-3, ((t - 1) // 4, 4)).any(dim=-3)
    return torch.cat([masks[..., :1, :, :], rest], dim=-3)


def nearest_resize(masks: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(..., H, W) -> (..., *size): the pixels `F.interpolate(mode="nearest")` would pick, by indexing.

    No float copy of the input: at 81 x 480 x 832 per instance that copy was the largest tensor of a step.
    Nearest resizing commutes with unions (and with itself at integer factors): tracks may be reduced first.
    """
    rows = _nearest_index(masks.shape[-2], size[0], masks.device)
    cols = _nearest_index(masks.shape[-1], size[1], masks.device)
    return masks.index_select(-2, rows).index_select(-1, cols)


def _nearest_index(n_in: int, n_out: int, device) -> torch.Tensor:
    # Ask torch which source index its own 2-D "nearest" picks (its float rounding is not a simple formula).
    src = torch.arange(n_in, dtype=torch.float32).view(1, 1, n_in, 1)
    return F.interpolate(src, size=(n_out, 1), mode="nearest").view(n_out).long().to(device)


def token_grid_tracks(masks: torch.Tensor, grid: tuple[int, int, int]) -> torch.Tensor:
    """(..., T, H, W) -> (..., F, h, w) bool on the video-token grid (temporal union, nearest spatially)."""
    out = nearest_resize(latent_frame_union(masks), grid[1:])
    if out.shape[-3] != grid[0]:
        raise ValueError(f"tracks give {out.shape[-3]} latent frames, the token grid has {grid[0]}")
    return out


def pixel_tracks(masks: torch.Tensor) -> torch.Tensor:
    """(..., T, H, W) -> (..., T, H/8, W/8) bool: every pixel frame, nearest 1/8 (the head's output grid)."""
    return nearest_resize(masks, (masks.shape[-2] // 8, masks.shape[-1] // 8))


def span_token_indices(offsets: list[tuple[int, int]], start: int, end: int) -> list[int]:
    """Tokens whose character range overlaps [start, end) (special tokens have empty ranges)."""
    return [j for j, (a, b) in enumerate(offsets) if b > a and a < end and b > start]


def build_sga(
    spans: list[list[tuple[int, int, tuple[int, ...]]]],
    offsets: list[list[tuple[int, int]]],
    mask_valid: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per batch element: the text columns to capture and how to average them into one map per span.

    Args:
        spans: per sample, (char start, char end, ids) from `parse_markers`.
        offsets: per sample, token char offsets. mask_valid: (B, MAX_IDS) which ids have masks.

    Returns:
        cols (B, C) long, weights (B, S, C), span_ids (B, S, MAX_IDS) bool (which ids each span covers),
        valid (B, S) bool. A span is valid when it has tokens and every id it names has a mask.
    """
    b = len(spans)
    per = []
    for i in range(b):
        rows = []
        for start, end, ids in spans[i]:
            toks = span_token_indices(offsets[i], start, end)
            ok = bool(toks) and all(1 <= k <= mask_valid.shape[1] and bool(mask_valid[i, k - 1]) for k in ids)
            rows.append((toks, ids, ok))
        per.append(rows)
    s = max(1, max(len(r) for r in per))
    cols_per = [sorted({j for toks, _, _ in rows for j in toks}) for rows in per]
    c = max(1, max(len(x) for x in cols_per))
    cols = torch.zeros(b, c, dtype=torch.long)
    weights = torch.zeros(b, s, c)
    span_ids = torch.zeros(b, s, mask_valid.shape[1], dtype=torch.bool)
    valid = torch.zeros(b, s, dtype=torch.bool)
    for i, rows in enumerate(per):
        where = {j: n for n, j in enumerate(cols_per[i])}
        cols[i, : len(cols_per[i])] = torch.tensor(cols_per[i], dtype=torch.long)
        for n, (toks, ids, ok) in enumerate(rows):
            for j in toks:
                weights[i, n, where[j]] = 1.0 / len(toks)
            for k in ids:
                if 1 <= k <= mask_valid.shape[1]:
                    span_ids[i, n, k - 1] = True
            valid[i, n] = ok
    return cols, weights, span_ids, valid


def build_spa(
    frame0_tokens: torch.Tensor, mask_valid: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Query rows for SPA: frame-0 tokens inside any instance's mask, averaged per instance.

    Args:
        frame0_tokens: (B, K, h, w) bool, each instance's frame-0 mask on the token grid.
        mask_valid: (B, K) bool.

    Returns:
        rows (B, R) long into the video tokens (frame 0 = the first h*w), weights (B, K, R), valid (B, K):
        an instance is valid when it has a mask with at least one frame-0 token.
    """
    b, k = frame0_tokens.shape[:2]
    flat = frame0_tokens.flatten(2) & mask_valid[..., None]  # (B, K, h*w)
    union = [torch.nonzero(flat[i].any(0)).flatten() for i in range(b)]
    r = max(1, max(len(u) for u in union))
    rows = torch.zeros(b, r, dtype=torch.long)
    weights = torch.zeros(b, k, r)
    for i in range(b):
        rows[i, : len(union[i])] = union[i]
        sel = flat[i][:, union[i]].float()  # (K, |union|)
        weights[i, :, : len(union[i])] = sel / sel.sum(-1, keepdim=True).clamp_min(1)
    valid = flat.any(-1)
    return rows, weights, valid


def capture_request(sga, spa, device=None) -> CaptureRequest:
    """Pack `build_sga` / `build_spa` outputs into the request the processors read."""
    cols, w_sga = sga[0], sga[1]
    rows, w_spa = spa[0], spa[1]
    return CaptureRequest(
        sga_cols=cols.to(device), sga_weights=w_sga.to(device),
        spa_rows=rows.to(device), spa_weights=w_spa.to(device),
    )

"""The light 1-channel causal head: attention map on the token grid -> mask logits per pixel frame at 1/8.

Example:
    >>> head = CausalMaskHead(channels=4)
    >>> head(torch.rand(3, 1, 3, 4, 4)).shape   # 3 maps, 3 latent frames -> 9 frames, 2x spatial
    torch.Size([3, 1, 9, 8, 8])

Replaces the released 73M-parameter VAE-decoder copy (3 channels, 8x, clamped to [-1, 1]): here 1 channel of
unclamped logits, causal 4x temporal (latent frame 0 -> 1 frame, every later one -> 4) and 2x spatial.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class CausalMaskHead(nn.Module):
    """(M, 1, F, h, w) maps -> (M, 1, 1 + 4(F-1), 2h, 2w) logits; `token_logits` for the token-grid loss."""

    def __init__(self, channels: int = 16, temporal: int = 4, grid: str = "pixel"):
        super().__init__()
        self.channels, self.temporal, self.grid = channels, temporal, grid
        # Only the parameters of the chosen loss grid exist: unused parameters would break DDP.
        if grid == "pixel":
            self.inp = nn.Conv3d(1, channels, kernel_size=(2, 3, 3), padding=(0, 1, 1))
            self.up_t = nn.Conv3d(channels, channels * temporal, kernel_size=(1, 3, 3), padding=(0, 1, 1))
            self.up_s = nn.Conv3d(channels, channels, kernel_size=(1, 3, 3), padding=(0, 1, 1))
            self.out = nn.Conv3d(channels, 1, kernel_size=1)
        elif grid == "token":  # a learned affine on the map itself
            self.token_scale = nn.Parameter(torch.ones(()))
            self.token_bias = nn.Parameter(torch.full((), -1.0))
        else:
            raise ValueError(f"grid must be 'pixel' or 'token', got {grid!r}")

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        x = F.pad(maps, (0, 0, 0, 0, 1, 0), mode="replicate")  # causal: frame i sees frames <= i only
        x = F.silu(self.inp(x))
        y = self.up_t(x).unflatten(1, (self.channels, self.temporal))  # (M, C, 4, F, h, w)
        y = y.permute(0, 1, 3, 2, 4, 5).flatten(2, 3)  # (M, C, 4F, h, w), sub-frames in time order
        y = y[:, :, self.temporal - 1 :]  # latent frame 0 stands for one pixel frame: keep its last sub-frame
        y = F.interpolate(y, scale_factor=(1, 2, 2), mode="nearest")
        return self.out(F.silu(self.up_s(y)))

    def token_logits(self, maps: torch.Tensor) -> torch.Tensor:
        return self.token_scale * maps + self.token_bias

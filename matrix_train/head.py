"""The light 1-channel causal head: attention map on the token grid -> mask logits per pixel frame at 1/8.

Example:
    >>> head = CausalMaskHead()
    >>> head(torch.rand(3, 1, 3, 4, 4)).shape   # 3 maps, 3 latent frames -> 9 frames, 2x spatial
    torch.Size([3, 1, 9, 8, 8])

Replaces the released 73M-parameter VAE-decoder copy (3 channels, 8x, clamped to [-1, 1]): 1 channel of
unclamped logits, causal 4x temporal (latent frame 0 -> 1 frame, every later one -> 4) and 2x spatial:

    logits = exp(log_scale) * U(map) + bias  [+ residual(map) with `residual=True`]

U repeats each latent frame over the pixel frames it stands for and upsamples 2x (nearest). The scale is
positive by construction, so a lower loss always means more attention mass inside the mask. This two-scalar
head is NOT the paper's (a learned decoder): `MatrixConfig.deviations` says so in every checkpoint.
`DecoderHead` is the paper's kind (config `head: decoder`). A learned conv decoder without a sign constraint
(it, or the optional zero-initialised residual here) can decode the mask from any pattern the map happens to
hold: the loss falls while the attention does not move (SGA on tiny-wan: BCE 1.11 -> 0.92 with the v2t
alignment score unchanged; see PITFALLS.md). `DecoderHead(monotone=True)` rules that out.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def causal_upsample(maps: torch.Tensor, temporal: int = 4, spatial: int = 2) -> torch.Tensor:
    """(M, C, F, h, w) -> (M, C, 1 + temporal (F-1), spatial h, spatial w): latent frame 0 -> pixel frame 0,
    latent frame i -> pixel frames temporal (i-1) + 1 .. temporal i (the grouping of `latent_frame_union`)."""
    y = maps.repeat_interleave(temporal, dim=2)[:, :, temporal - 1 :]
    return F.interpolate(y, scale_factor=(1, spatial, spatial), mode="nearest")


class CausalMaskHead(nn.Module):
    """(M, 1, F, h, w) maps -> (M, 1, 1 + 4(F-1), 2h, 2w) logits; `token_logits` for the token-grid loss.

    Maps arrive scaled so that uniform attention is 1; the initial bias -1 puts uniform attention at logit 0.

    Args:
        channels: hidden channels of the optional residual decoder.
        temporal: pixel frames per latent frame (after the first).
        grid: "pixel" (logits at 1/8 of every pixel frame) or "token" (logits on the token grid).
        residual: add a learned causal conv decoder (zero-initialised) to the pixel logits.
    """

    def __init__(self, channels: int = 16, temporal: int = 4, grid: str = "pixel", residual: bool = False):
        super().__init__()
        if grid not in ("pixel", "token"):
            raise ValueError(f"grid must be 'pixel' or 'token', got {grid!r}")
        if residual and grid != "pixel":
            raise ValueError("the residual decoder exists for the pixel grid only")
        self.channels, self.temporal, self.grid, self.residual = channels, temporal, grid, residual
        # Shape (1,), not scalars: FSDP2 (fully_shard) refuses 0-d parameters.
        self.log_scale = nn.Parameter(torch.zeros(1))
        self.bias = nn.Parameter(torch.full((1,), -1.0))
        # Only parameters that are used exist: unused parameters would break DDP.
        if residual:
            self.inp = nn.Conv3d(1, channels, kernel_size=(2, 3, 3), padding=(0, 1, 1))
            self.up_t = nn.Conv3d(channels, channels * temporal, kernel_size=(1, 3, 3), padding=(0, 1, 1))
            self.up_s = nn.Conv3d(channels, channels, kernel_size=(1, 3, 3), padding=(0, 1, 1))
            self.out = nn.Conv3d(channels, 1, kernel_size=1)
            nn.init.zeros_(self.out.weight)  # step 0 is the monotone path alone
            nn.init.zeros_(self.out.bias)

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        if self.grid != "pixel":
            raise RuntimeError("this head was built for the token-grid loss: call token_logits")
        logits = self.log_scale.exp() * causal_upsample(maps, self.temporal) + self.bias
        if not self.residual:
            return logits
        x = F.pad(maps, (0, 0, 0, 0, 1, 0), mode="replicate")  # causal: frame i sees frames <= i only
        x = F.silu(self.inp(x))
        y = self.up_t(x).unflatten(1, (self.channels, self.temporal))  # (M, C, 4, F, h, w)
        y = y.permute(0, 1, 3, 2, 4, 5).flatten(2, 3)  # (M, C, 4F, h, w), sub-frames in time order
        y = y[:, :, self.temporal - 1 :]  # latent frame 0 stands for one pixel frame: keep its last sub-frame
        y = F.interpolate(y, scale_factor=(1, 2, 2), mode="nearest")
        return logits + self.out(F.silu(self.up_s(y)))

    def token_logits(self, maps: torch.Tensor) -> torch.Tensor:
        """Token-grid loss: the same positive affine of the map, without upsampling."""
        return self.log_scale.exp() * maps + self.bias


def _causal_pad(x: torch.Tensor, frames: int) -> torch.Tensor:
    return F.pad(x, (1, 1, 1, 1, frames, 0), mode="replicate")  # time: past only; space: same size


class _Conv(nn.Module):
    """Causal 3-D conv (kernel t x 3 x 3). `monotone`: weights exp(v) / fan-in >= 0, so the output never
    decreases when an input grows."""

    def __init__(self, cin: int, cout: int, t: int, monotone: bool):
        super().__init__()
        self.t, self.monotone = t, monotone
        self.weight = nn.Parameter(torch.empty(cout, cin, t, 3, 3))
        self.bias = nn.Parameter(torch.zeros(cout))
        if monotone:
            nn.init.normal_(self.weight, 0.0, 0.5)
        else:
            nn.init.kaiming_uniform_(self.weight, a=5**0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight.exp() / self.weight[0].numel() if self.monotone else self.weight
        return F.conv3d(_causal_pad(x, self.t - 1), w, self.bias)


class DecoderHead(nn.Module):
    """The paper's kind of head: a learned causal upsampling conv decoder (the 3-D VAE decoder's layout,
    small): conv in, a residual conv, two causal 2x temporal upsamplings (F -> 2F-1 -> 4F-3 = 1 + 4(F-1)
    frames: latent frame 0 stays one frame, as in the VAE), one 2x spatial upsampling, a 1-channel conv out;
    unclamped logits. (M, 1, F, h, w) -> (M, 1, 1 + 4(F-1), 2h, 2w).

    `monotone=True` (default) keeps every weight non-negative and every activation increasing (leaky ReLU,
    no normalisation): the logits are then a non-decreasing function of every map value, so the loss can only
    fall by moving attention into the masks. Unconstrained, a learned decoder can also lower the loss by
    decoding the mask from whatever the map holds (PITFALLS.md).
    """

    def __init__(self, channels: int = 16, monotone: bool = True):
        super().__init__()
        self.monotone = monotone
        self.inp = _Conv(1, channels, 3, monotone)
        self.res = _Conv(channels, channels, 3, monotone)
        self.up_t1 = _Conv(channels, 2 * channels, 3, monotone)
        self.up_t2 = _Conv(channels, 2 * channels, 3, monotone)
        self.up_s = _Conv(channels, channels, 1, monotone)
        self.out = _Conv(channels, 1, 1, monotone)
        with torch.no_grad():  # uniform attention (maps scaled so that uniform = 1) starts at logit 0
            self.out.bias.sub_(self(torch.ones(1, 1, 2, 2, 2)).mean())

    def _act(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(x, 0.1) if self.monotone else F.silu(x)

    @staticmethod
    def _double_time(y: torch.Tensor) -> torch.Tensor:
        """(M, 2C, F, h, w) -> (M, C, 2F - 1, h, w): two output frames per input frame, the first frame's
        first copy dropped (causal: frame 0 stands for one frame)."""
        m, c2, f, h, w = y.shape
        y = y.unflatten(1, (2, c2 // 2)).permute(0, 2, 3, 1, 4, 5).reshape(m, c2 // 2, 2 * f, h, w)
        return y[:, :, 1:]

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        x = self._act(self.inp(maps))
        x = x + self._act(self.res(x))
        x = self._act(self._double_time(self.up_t1(x)))
        x = self._act(self._double_time(self.up_t2(x)))
        x = F.interpolate(x, scale_factor=(1, 2, 2), mode="nearest")
        return self.out(self._act(self.up_s(x)))


def build_head(cfg) -> nn.Module:
    """The head `cfg.head` names (see `MatrixConfig.head`)."""
    if cfg.head == "decoder":
        return DecoderHead(cfg.head_channels, monotone=cfg.head_monotone)
    return CausalMaskHead(cfg.head_channels, grid=cfg.loss_grid, residual=cfg.head == "affine+conv")

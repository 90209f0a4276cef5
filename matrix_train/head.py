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
`DecoderHead` is the paper's kind (config `head: decoder`): a learned causal upsampling conv decoder,
identity-initialised and (by default) monotone in the map. A learned conv decoder without those (random
init, or a sign-free residual like the optional one here) lowers the loss by decoding whatever pattern the
map holds while the attention does not move (PITFALLS.md, docs/training.md).
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


def _causal_pad(x: torch.Tensor, frames: int, space: int) -> torch.Tensor:
    return F.pad(x, (space, space, space, space, frames, 0), mode="replicate")  # time: past only


class _Conv(nn.Module):
    """Causal 3-D conv (kernel t x k x k; output frame i sees input frames i-t+1 .. i).

    `monotone`: the kernel used is max(kernel, 0), a projection onto non-negative weights, so the output never
    decreases when an input grows. (The parameter is `kernel`, not `weight`: checkpoints of the earlier
    exp-parametrised decoder fail to load by name instead of loading as wrong weights.)
    """

    def __init__(self, cin: int, cout: int, t: int, k: int, monotone: bool):
        super().__init__()
        self.t, self.k, self.monotone = t, k, monotone
        self.kernel = nn.Parameter(torch.empty(cout, cin, t, k, k))
        self.bias = nn.Parameter(torch.zeros(cout))

    @torch.no_grad()
    def identity_(self, scale: float, noise: float) -> None:
        """Dirac init: output channel o copies input channel o mod cin (a 1-channel output: the mean of all
        channels) at the current frame and centre tap, times `scale`; every tap also gets a positive
        perturbation (noise * U[0, 1) / fan-in, so about noise / 2 per output in all) that breaks the symmetry
        between channels and keeps projected taps above 0, where they still receive gradients."""
        cout, cin, t, k, _ = self.kernel.shape
        w = torch.zeros_like(self.kernel)
        if cout == 1:
            w[0, :, t - 1, k // 2, k // 2] = scale / cin
        else:
            w[torch.arange(cout), torch.arange(cout) % cin, t - 1, k // 2, k // 2] = scale
        self.kernel.copy_(w + noise * torch.rand_like(w) / self.kernel[0].numel())
        self.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.kernel.clamp_min(0) if self.monotone else self.kernel
        return F.conv3d(_causal_pad(x, self.t - 1, self.k // 2), w, self.bias)


class DecoderHead(nn.Module):
    """The paper's kind of head: a learned causal upsampling conv decoder (the 3-D VAE decoder's layout,
    small), trained jointly: conv in, a residual conv, two causal 2x temporal upsamplings (F -> 2F-1 -> 4F-3
    = 1 + 4(F-1) frames: latent frame 0 stays one frame, as in the VAE), one 2x spatial upsampling, a
    1-channel conv out; unclamped logits. (M, 1, F, h, w) -> (M, 1, 1 + 4(F-1), 2h, 2w).

    Two choices make SGA move attention through it (measurements: docs/training.md, PITFALLS.md):
    * Identity init: every conv starts as a Dirac kernel (leaky ReLU passes the non-negative maps
      unchanged), so at step 0 the logits are the upsampled map minus 1, the affine head's, and the
      gradient reaches the attention pointing into the masks. A randomly initialised decoder is a blur over
      most of a small token grid: its gradient barely localises (SGA moved 3 %, even with the head frozen).
    * `monotone=True` (default): non-negative kernels (a projection) and increasing activations, so the
      logits never fall when the map grows anywhere and the loss cannot be lowered by decoding the mask
      from a pattern of low attention. Unconstrained, the identity-initialised decoder starts well, then
      learns to decode whatever the map holds: the loss keeps falling while the attention stops moving.
    """

    def __init__(self, channels: int = 16, monotone: bool = True, noise: float = 0.01):
        super().__init__()
        self.monotone = monotone
        self.inp = _Conv(1, channels, 3, 3, monotone)
        self.res = _Conv(channels, channels, 3, 3, monotone)
        self.up_t1 = _Conv(channels, 2 * channels, 3, 3, monotone)
        self.up_t2 = _Conv(channels, 2 * channels, 3, 3, monotone)
        self.up_s = _Conv(channels, channels, 1, 3, monotone)
        self.out = _Conv(channels, 1, 1, 3, monotone)
        for conv in (self.inp, self.up_t1, self.up_t2, self.up_s, self.out):
            conv.identity_(1.0, noise)
        self.res.identity_(0.0, noise)  # the residual branch starts near 0: x + act(res(x)) ~ x
        with torch.no_grad():  # uniform attention (maps scaled so that uniform = 1) starts at logit 0
            self.out.bias.sub_(self(torch.ones(1, 1, 2, 2, 2)).mean())

    @staticmethod
    def _act(x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(x, 0.1)  # increasing, and the identity on the non-negative maps at init

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

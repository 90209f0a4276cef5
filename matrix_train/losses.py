"""Attention-alignment and diffusion losses, as pure functions.

Example:
    >>> logits, target = torch.zeros(2, 5), torch.tensor([[1, 0, 0, 0, 0], [0, 0, 0, 0, 0]]).bool()
    >>> bce_pos_weighted(logits, target).tolist()   # pos_weight 4 (map 0), the cap 10 (map 1: no positives)
    [1.1090354919433594, 0.6931471824645996]

Per map (one instance or span of one clip): BCE-with-logits with pos_weight = min(#neg/#pos, cap), plus the
paper's optional (1 - Dice) and L2-on-sigmoid terms. Missing instances are excluded by validity masks, never
replaced by dummy targets. Total: L = mean_b w(t_b) * [L_diff + lambda_sga * L_sga + lambda_spa * L_spa].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def bce_pos_weighted(logits: torch.Tensor, targets: torch.Tensor, cap: float = 10.0) -> torch.Tensor:
    """(M, ...) logits and bool targets -> (M,) mean BCE per map, pos_weight = min(neg / max(pos, 1), cap)."""
    t = targets.flatten(1).float()
    x = logits.flatten(1).float()
    pos = t.sum(1)
    pos_weight = ((t.shape[1] - pos) / pos.clamp_min(1)).clamp(max=cap)
    per = F.binary_cross_entropy_with_logits(x, t, pos_weight=pos_weight[:, None].expand_as(x),
                                             reduction="none")
    return per.mean(1)


def dice_loss(logits: torch.Tensor, targets: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """(M,) 1 - soft Dice of sigmoid(logits) against targets."""
    p, t = torch.sigmoid(logits.flatten(1).float()), targets.flatten(1).float()
    return 1 - (2 * (p * t).sum(1) + eps) / (p.sum(1) + t.sum(1) + eps)


def l2_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """(M,) mean squared error between sigmoid(logits) and targets."""
    return (torch.sigmoid(logits.flatten(1).float()) - targets.flatten(1).float()).square().mean(1)


def map_losses(
    logits: torch.Tensor, targets: torch.Tensor, *, bce: float = 1.0, dice: float = 0.0, l2: float = 0.0,
    cap: float = 10.0,
) -> torch.Tensor:
    """(M,) weighted per-map loss."""
    out = bce * bce_pos_weighted(logits, targets, cap)
    if dice:
        out = out + dice * dice_loss(logits, targets)
    if l2:
        out = out + l2 * l2_loss(logits, targets)
    return out


def masked_mean_per_sample(per_map: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """(B, S) losses and validity -> (B,) mean over each sample's valid maps (0 where it has none)."""
    v = valid.float()
    return (per_map * v).sum(1) / v.sum(1).clamp_min(1)


def total_loss(
    diffusion: torch.Tensor, sga: torch.Tensor, spa: torch.Tensor, weight: torch.Tensor, *,
    lambda_sga: float, lambda_spa: float,
) -> torch.Tensor:
    """All (B,): mean_b w_b * (L_diff + lambda_sga * L_sga + lambda_spa * L_spa)."""
    return (weight * (diffusion + lambda_sga * sga + lambda_spa * spa)).mean()


class FlowMatchSchedule:
    """Wan/DiffSynth training schedule: shifted sigmas on a 1000-step grid, x_t = (1 - s) x0 + s eps,
    target v = eps - x0, weight w(t) = exp(-2 ((t - 500) / 1000)^2) shifted to min 0 and scaled to mean 1."""

    def __init__(self, shift: float = 5.0, steps: int = 1000):
        s = torch.linspace(1, 0, steps + 1, dtype=torch.float64)[:-1]
        self.sigmas = shift * s / (1 + (shift - 1) * s)
        self.timesteps = self.sigmas * 1000
        w = torch.exp(-2 * ((self.timesteps - 500) / 1000) ** 2)
        w = w - w.min()
        self.weights = w / w.mean()

    def sample(self, batch: int, generator: torch.Generator) -> torch.Tensor:
        return torch.randint(0, len(self.sigmas), (batch,), generator=generator)

    def noisy(self, x0: torch.Tensor, noise: torch.Tensor, idx: torch.Tensor):
        """-> (x_t, model timestep, target, weight)."""
        s = self.sigmas[idx].float().view(-1, *[1] * (x0.dim() - 1)).to(x0.device)
        x_t = (1 - s) * x0 + s * noise
        timestep, weight = self.timesteps[idx].float().to(x0.device), self.weights[idx].float().to(x0.device)
        return x_t, timestep, noise - x0, weight


class VPredictionSchedule:
    """CogVideoX training: DDPM noising with its scheduler's alphas, v-prediction target, weight 1."""

    def __init__(self, scheduler):
        self.scheduler = scheduler  # also the sampler at inference, so both use the same alphas
        self.alphas_cumprod = scheduler.alphas_cumprod.double()
        self.steps = len(self.alphas_cumprod)

    def sample(self, batch: int, generator: torch.Generator) -> torch.Tensor:
        return torch.randint(0, self.steps, (batch,), generator=generator)

    def noisy(self, x0: torch.Tensor, noise: torch.Tensor, idx: torch.Tensor):
        ab = self.alphas_cumprod[idx].float().view(-1, *[1] * (x0.dim() - 1)).to(x0.device)
        x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
        v = ab.sqrt() * noise - (1 - ab).sqrt() * x0
        return x_t, idx.to(x0.device), v, torch.ones(len(idx), device=x0.device)

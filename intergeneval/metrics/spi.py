"""SPI, semantic physical integrity: penalises objects that emerge or disappear after frame 0."""

from __future__ import annotations

import math

from .. import config

#: Larger is better: 1 means no frame was flagged.
higher_is_better = True


def _check_count(name: str, value: object, upper: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= upper:
        raise ValueError(
            f"{name} must be an integer in 0..num_frames (0..{upper}), but got {value!r}"
        )


def spi(emergence: int, disappearance: int, num_frames: int, *, penalty: float = config.SPI_PENALTY
        ) -> float | None:
    r"""Semantic physical integrity of one video.

    .. math::
        E = 1 - \lambda\,\frac{e}{F},\qquad D = 1 - \lambda\,\frac{d}{F},\qquad \mathrm{SPI} = \frac{E + D}{2}

    F is the number of sampled frames compared with frame 0 (frame 0 excluded: 10 for 49 frames at
    stride 5), e and d the numbers of those frames flagged with emergence and with disappearance, and
    λ = 5. SPI is **not clipped**: each flagged frame costs λ/F, so it can be negative (range (−4, 1] at
    λ = 5). The product is computed as ``1 - λ * (e / F)``, the reference's operation order, so reference
    mode matches its numbers to the last bit.

    Args:
        emergence: e, frames with an emerged object (0 ≤ e ≤ F).
        disappearance: d, frames where a frame-0 instance is gone (0 ≤ d ≤ F).
        num_frames: F, sampled frames excluding frame 0.
        penalty: λ, the cost of flagging every compared frame.

    Returns:
        SPI, or None when F = 0 (nothing was compared: never 0, never 1).

    Raises:
        ValueError: a count is not an integer in its range, or the penalty is not a finite number ≥ 0.

    Example:
        >>> spi(0, 0, 10)
        1.0
        >>> spi(1, 2, 10)  # E = 0.5, D = 0.0
        0.25
        >>> spi(10, 10, 10)  # everything flagged: unclipped
        -4.0
        >>> spi(0, 0, 0) is None
        True
    """
    if isinstance(num_frames, bool) or not isinstance(num_frames, int) or num_frames < 0:
        raise ValueError(f"num_frames must be a non-negative integer, but got {num_frames!r}")
    _check_count("emergence", emergence, num_frames)
    _check_count("disappearance", disappearance, num_frames)
    if isinstance(penalty, bool) or not isinstance(penalty, int | float) or not math.isfinite(penalty) \
            or penalty < 0:
        raise ValueError(f"penalty must be a finite number >= 0, but got {penalty!r}")
    if num_frames == 0:
        return None
    e_score = 1 - penalty * (emergence / num_frames)
    d_score = 1 - penalty * (disappearance / num_frames)
    return (e_score + d_score) / 2

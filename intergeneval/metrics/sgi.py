"""SGI, semantic grounding integrity: the right subject acts on the right object (slots 7–10)."""

from __future__ import annotations

from collections.abc import Iterable

from .. import config
from ..records import Answer
from .answers import count_answers

#: Larger is better: the share of grounding questions the video passes.
higher_is_better = True


def sgi(answers: Iterable[Answer]) -> float | None:
    r"""Semantic grounding integrity of one video.

    .. math:: \mathrm{SGI} = \frac{\#\{\text{answer} = \text{yes}\}}{\#\{\text{answered}\}}
       \quad\text{over slots 7–10, pooled over all the video's key interactions}

    Missing answers are out of both numerator and denominator; only "yes" succeeds.

    Args:
        answers: the video's answers (any slots; only 7–10 count).

    Returns:
        The score in [0, 1], or None when no slot 7–10 has a valid answer.

    Raises:
        ValueError: an answer has a slot outside 1–10 or an answer string the protocol does not allow.

    Example:
        >>> from intergeneval.records import Answer
        >>> sgi([Answer(7, "yes"), Answer(8, "yes"), Answer(9, "no"), Answer(10, None), Answer(1, "no")])
        0.6666666666666666
        >>> sgi([Answer(1, "yes")]) is None
        True
    """
    return count_answers(answers, config.SGI_SLOTS).yes_rate

"""KISA, key interaction semantic alignment: does the interaction happen, step by step (slots 1–6)."""

from __future__ import annotations

from collections.abc import Iterable

from .. import config
from ..records import Answer
from .answers import count_answers

#: Larger is better: the share of interaction questions the video passes.
higher_is_better = True


def kisa(answers: Iterable[Answer]) -> float | None:
    r"""Key interaction semantic alignment of one video.

    .. math:: \mathrm{KISA} = \frac{\#\{\text{answer} = \text{yes}\}}{\#\{\text{answered}\}}
       \quad\text{over slots 1–6, pooled over all the video's key interactions}

    Pass the answers of all key interactions together. Missing answers (`answer is None`) are out of both
    numerator and denominator; "no" and "no (visually implausible)" are failures.

    Args:
        answers: the video's answers (any slots; only 1–6 count).

    Returns:
        The score in [0, 1], or None when no slot 1–6 has a valid answer (the video is then not scored:
        never 0, never 1).

    Raises:
        ValueError: an answer has a slot outside 1–10 or an answer string the protocol does not allow.

    Example:
        >>> from intergeneval.records import Answer
        >>> first = [Answer(s, "yes") for s in range(1, 7)]
        >>> second = [Answer(1, "no"), Answer(2, "no (visually implausible)"), Answer(3, None)]
        >>> kisa(first + second)  # 6 yes out of 8 answered; the missing answer is left out
        0.75
        >>> kisa([Answer(1, None), Answer(7, "yes")]) is None
        True
    """
    return count_answers(answers, config.KISA_SLOTS).yes_rate

"""Counting judge answers by slot: the sufficient statistics of KISA and SGI.

Example:
    >>> from intergeneval.records import Answer
    >>> count_answers([Answer(1, "yes"), Answer(2, None), Answer(7, "no (visually implausible)")])
    AnswerCounts(answered=2, yes=1, implausible=1, missing=1)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .. import config
from ..records import Answer

_IMPLAUSIBLE = config.ANSWERS[2]


@dataclass(frozen=True, slots=True)
class AnswerCounts:
    """Answers of some slots: `answered` valid ones, `yes` of them succeed; `missing` have no valid answer."""

    answered: int
    yes: int
    implausible: int
    missing: int

    @property
    def yes_rate(self) -> float | None:
        """#yes / #answered, or None when nothing was answered (missing is never 0 and never 1)."""
        return self.yes / self.answered if self.answered else None


def count_answers(answers: Iterable[Answer], slots: Iterable[int] | None = None) -> AnswerCounts:
    """Count the answers whose slot is in `slots` (all slots 1–10 when None).

    A missing answer (`answer is None`) is counted apart and never enters `answered`: it is out of both the
    numerator and the denominator of KISA and SGI. Only the exact string "yes" succeeds.

    Args:
        answers: answers of any number of key interactions, in any order.
        slots: the slots to count; the others are skipped.

    Returns:
        The counts over those slots.

    Raises:
        ValueError: an answer has a slot outside 1–10 or an answer string the protocol does not allow.

    Example:
        >>> from intergeneval.records import Answer
        >>> count_answers([Answer(1, "yes"), Answer(6, "no"), Answer(8, "yes")], slots=range(1, 7))
        AnswerCounts(answered=2, yes=1, implausible=0, missing=0)
    """
    wanted = frozenset(slots) if slots is not None else None
    answered = yes = implausible = missing = 0
    for a in answers:
        if isinstance(a.slot, bool) or not isinstance(a.slot, int) or not 1 <= a.slot <= config.NUM_SLOTS:
            raise ValueError(f"answer slot must be an integer in 1..{config.NUM_SLOTS}, but got {a.slot!r}")
        if a.answer is not None and a.answer not in config.ANSWERS:
            raise ValueError(f"answer of slot {a.slot} must be one of {config.ANSWERS} or None (missing), "
                             f"but got {a.answer!r}")
        if wanted is not None and a.slot not in wanted:
            continue
        if a.answer is None:
            missing += 1
            continue
        answered += 1
        yes += a.answer == "yes"
        implausible += a.answer == _IMPLAUSIBLE
    return AnswerCounts(answered=answered, yes=yes, implausible=implausible, missing=missing)

"""All scores of one video from its answers and its emergence/disappearance frames."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .. import config
from ..records import Answer
from .answers import count_answers
from .fidelity import interaction_fidelity, kisa_spi, sgi_spi
from .spi import spi as spi_score

#: Counts stored beside the metrics of every video; `aggregate.rates` turns them into rates.
DIAGNOSTICS = (
    "answered",
    "missing_answers",
    "yes",
    "implausible",
    "emergence_frames_count",
    "disappearance_frames_count",
    "compared_frames",
)


def _distinct_frames(name: str, frames: Sequence[int]) -> int:
    for f in frames:
        if isinstance(f, bool) or not isinstance(f, int) or f < 1:
            raise ValueError(f"{name} must hold frame indices >= 1 (frame 0 is the reference), but got {f!r}")
    return len(set(frames))


def video_scores(
    answers: Iterable[Answer],
    emergence_frames: Sequence[int] | None,
    disappearance_frames: Sequence[int] | None,
    num_compared: int,
    *,
    penalty: float = config.SPI_PENALTY,
) -> dict[str, Any]:
    """Score one video: KISA, SGI, SPI, KISA·SPI, SGI·SPI and IF, plus the counts behind them.

    KISA and SGI pool the answers of all key interactions (see `kisa`, `sgi`); SPI counts each flagged
    frame once (see `spi`). A metric that cannot be computed is None, never 0 or 1: KISA (SGI) when no
    slot 1–6 (7–10) has a valid answer, SPI when the emergence call failed (pass None for both frame
    lists) or no frame was compared, and every product that needs a missing factor.

    Args:
        answers: the answers of all the video's key interactions (missing ones have `answer=None`).
        emergence_frames: sampled frames (≠ 0) where an object emerged, or None when the call failed.
        disappearance_frames: sampled frames (≠ 0) where a frame-0 instance is gone, or None likewise.
        num_compared: F, the sampled frames compared with frame 0 (frame 0 excluded).
        penalty: λ of SPI.

    Returns:
        A dict with the metrics ``kisa, sgi, spi, kisa_spi, sgi_spi, if`` and the diagnostics
        ``answered, missing_answers, yes, implausible`` (over all slots), ``emergence_frames_count``,
        ``disappearance_frames_count`` (None when the call failed) and ``compared_frames``.

    Raises:
        ValueError: only one frame list is None, a frame index is not an integer >= 1, or a count is out of
            range for `num_compared`.

    Example:
        >>> from intergeneval.records import Answer
        >>> answers = [Answer(s, "yes") for s in range(1, 11)] + [Answer(3, None)]
        >>> s = video_scores(answers, [5], [], 10)
        >>> s["kisa"], s["sgi"], s["spi"], s["if"], s["missing_answers"]
        (1.0, 1.0, 0.75, 0.75, 1)
        >>> video_scores(answers, None, None, 10)["if"] is None
        True
    """
    answers = list(answers)
    k = count_answers(answers, config.KISA_SLOTS)
    g = count_answers(answers, config.SGI_SLOTS)
    if (emergence_frames is None) != (disappearance_frames is None):
        raise ValueError(
            "emergence_frames and disappearance_frames must both be None (the emergence call failed) "
            f"or both be lists, but got {emergence_frames!r} and {disappearance_frames!r}"
        )
    if emergence_frames is None or disappearance_frames is None:
        e = d = None
        s = None
    else:
        e = _distinct_frames("emergence_frames", emergence_frames)
        d = _distinct_frames("disappearance_frames", disappearance_frames)
        s = spi_score(e, d, num_compared, penalty=penalty)
    return {
        "kisa": k.yes_rate,
        "sgi": g.yes_rate,
        "spi": s,
        "kisa_spi": kisa_spi(k.yes_rate, s),
        "sgi_spi": sgi_spi(g.yes_rate, s),
        "if": interaction_fidelity(k.yes_rate, g.yes_rate, s),
        "answered": k.answered + g.answered,
        "missing_answers": k.missing + g.missing,
        "yes": k.yes + g.yes,
        "implausible": k.implausible + g.implausible,
        "emergence_frames_count": e,
        "disappearance_frames_count": d,
        "compared_frames": num_compared,
    }

"""Pure metric functions of the protocol: no I/O, no torch, only the standard library and numpy.

Example:
    >>> from intergeneval.metrics import spi, interaction_fidelity
    >>> s = spi(1, 0, 10)  # one emergence frame among 10 compared frames
    >>> s
    0.75
    >>> interaction_fidelity(0.5, 1.0, s)
    0.5625
"""

from .aggregate import (
    METRIC_INFO,
    METRICS,
    MetricInfo,
    aggregate,
    bootstrap_ci,
    per_category,
    rank_models,
    rank_ub,
    rates,
    round_reference,
)
from .answers import AnswerCounts, count_answers
from .fidelity import interaction_fidelity, kisa_spi, sgi_spi
from .kisa import kisa
from .sgi import sgi
from .spi import spi
from .scores import DIAGNOSTICS, video_scores

__all__ = [
    "DIAGNOSTICS",
    "METRICS",
    "METRIC_INFO",
    "AnswerCounts",
    "MetricInfo",
    "aggregate",
    "bootstrap_ci",
    "count_answers",
    "interaction_fidelity",
    "kisa",
    "kisa_spi",
    "per_category",
    "rank_models",
    "rank_ub",
    "rates",
    "round_reference",
    "sgi",
    "sgi_spi",
    "spi",
    "video_scores",
]

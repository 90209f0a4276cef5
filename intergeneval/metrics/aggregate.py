"""From per-video scores to model scores: means, per-category means, bootstrap CIs, the ranking rule, rates.

Example:
    >>> rows = [{"kisa": 1.0, "if": 0.5}, {"kisa": 0.5, "if": None}]
    >>> agg = aggregate(rows, samples=200)
    >>> agg["kisa"]["mean"], agg["kisa"]["n"], agg["if"]["n"], agg["sgi"]["mean"]
    (0.75, 2, 1, None)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import config


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """What a metric is called and which direction is better (torchmetrics' `higher_is_better`)."""

    name: str
    label: str
    higher_is_better: bool
    description: str


#: The six per-video metrics, in display order; the leaderboard's columns derive from this.
METRIC_INFO: dict[str, MetricInfo] = {
    m.name: m
    for m in (
        MetricInfo("kisa", "KISA", True, "key interaction semantic alignment: yes rate over slots 1–6"),
        MetricInfo("sgi", "SGI", True, "semantic grounding integrity: yes rate over slots 7–10"),
        MetricInfo("spi", "SPI", True, "semantic physical integrity: 1 − λ·(e+d)/(2F), unclipped"),
        MetricInfo("kisa_spi", "KISA·SPI", True, "KISA × SPI"),
        MetricInfo("sgi_spi", "SGI·SPI", True, "SGI × SPI"),
        MetricInfo("if", "IF", True, "interaction fidelity: (KISA·SPI + SGI·SPI) / 2"),
    )
}
METRICS: tuple[str, ...] = tuple(METRIC_INFO)

#: A confidence interval needs at least this many scored videos; with fewer it is absent (None).
MIN_CI_VIDEOS = 2
# Resampled index matrices are drawn in chunks of at most this many entries to bound memory.
_MAX_DRAWS = 4_000_000


def _mean(values: Sequence[float]) -> float | None:
    # fsum: the mean does not depend on the order of the videos (up to the final division).
    return math.fsum(values) / len(values) if values else None


def bootstrap_ci(
    values: Iterable[float],
    *,
    samples: int = config.BOOTSTRAP_SAMPLES,
    seed: int = config.BOOTSTRAP_SEED,
    level: float = config.CI_LEVEL,
) -> tuple[float, float]:
    r"""Percentile bootstrap confidence interval of the mean over videos.

    Draw `samples` resamples of the n values with replacement (``numpy.random.default_rng(seed)``), take
    each resample's mean, and return the empirical quantiles

    .. math:: \bigl(q_{(1-\text{level})/2},\; q_{(1+\text{level})/2}\bigr)

    of those means (numpy's linear interpolation). The same values in the same order with the same seed
    give the same interval; pass videos in a stable order (e.g. sorted by id).

    Args:
        values: one score per video (no None: filter missing scores first).
        samples: number of bootstrap resamples (>= 1).
        seed: seed of the resampling generator.
        level: coverage of the interval, in (0, 1).

    Returns:
        (low, high). Values that are all equal give (v, v).

    Raises:
        ValueError: fewer than `MIN_CI_VIDEOS` (2) values (one video says nothing about the spread: its
            "interval" would have zero width), a value that is not finite, or samples/level out of range.

    Example:
        >>> lo, hi = bootstrap_ci([0.2, 0.4, 0.6, 0.8], samples=500, seed=0)
        >>> 0.2 <= lo < 0.5 < hi <= 0.8
        True
        >>> bootstrap_ci([0.7, 0.7])
        (0.7, 0.7)
    """
    arr = np.asarray([float(v) for v in values], dtype=np.float64)
    if arr.size < MIN_CI_VIDEOS:
        raise ValueError(f"bootstrap_ci needs at least {MIN_CI_VIDEOS} values, but got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"bootstrap_ci needs finite values, but got {arr[~np.isfinite(arr)][:3].tolist()}")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples must be an integer >= 1, but got {samples!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), but got {level!r}")
    if np.all(arr == arr[0]):
        v = float(arr[0])
        return (v, v)
    rng = np.random.default_rng(seed)
    n = arr.size
    means = np.empty(samples, dtype=np.float64)
    chunk = max(1, _MAX_DRAWS // n)
    for start in range(0, samples, chunk):
        stop = min(samples, start + chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = arr[idx].mean(axis=1)
    alpha = 1.0 - level
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return (float(lo), float(hi))


def aggregate(
    rows: Sequence[Mapping[str, Any]],
    *,
    samples: int = config.BOOTSTRAP_SAMPLES,
    seed: int = config.BOOTSTRAP_SEED,
    level: float = config.CI_LEVEL,
) -> dict[str, dict[str, Any]]:
    """Model scores: for each metric, the plain mean over the videos that have it, with a bootstrap CI.

    A video whose metric is None (or absent from its row) is left out of that metric's mean and counted in
    no `n`; the caller reports coverage. Categories are pooled (use `per_category` for the breakdown). The CI
    needs at least `MIN_CI_VIDEOS` videos: with one, `ci_low` and `ci_high` are None (absent, never a
    zero-width interval that Rank(UB) would trust).

    Args:
        rows: one mapping per video with the keys of `METRICS` (values float or None).
        samples: bootstrap resamples.
        seed: bootstrap seed.
        level: CI coverage.

    Returns:
        ``{metric: {"mean", "ci_low", "ci_high", "n"}}`` for every metric of `METRICS`; all None and n = 0
        when no video has the metric.

    Example:
        >>> agg = aggregate([{"spi": 1.0}, {"spi": -1.0}, {"spi": None}, {"if": 0.9}], samples=100)
        >>> agg["spi"]["mean"], agg["spi"]["n"], agg["spi"]["ci_low"] <= 0.0 <= agg["spi"]["ci_high"]
        (0.0, 2, True)
        >>> agg["if"]
        {'mean': 0.9, 'ci_low': None, 'ci_high': None, 'n': 1}
    """
    out: dict[str, dict[str, Any]] = {}
    for m in METRICS:
        vals = [float(r[m]) for r in rows if r.get(m) is not None]
        lo = hi = None
        if len(vals) >= MIN_CI_VIDEOS:
            lo, hi = bootstrap_ci(vals, samples=samples, seed=seed, level=level)
        out[m] = {"mean": _mean(vals), "ci_low": lo, "ci_high": hi, "n": len(vals)}
    return out


def per_category(rows: Sequence[Mapping[str, Any]], key: str, *,
                 expected: Mapping[Any, int] | None = None) -> dict[str, dict[str, Any]]:
    """Per-category means, e.g. by ``"interaction_type"`` or ``"pairing"``, with expected and scored counts.

    Args:
        rows: one mapping per scored video holding `key` and the metrics of `METRICS` (float or None).
        key: the category field.
        expected: videos expected per category (the suite's). Every category in it is kept, with its
            means None, even when none of its videos was scored; without it, the rows' categories only.

    Returns:
        ``{category: {"expected", "scored", "videos", "metrics": {metric: mean or None}}}``, categories
        sorted; `scored` (and its older name `videos`) counts the category's rows; each mean is over the
        category's videos that have the metric.

    Raises:
        KeyError: a row lacks `key` (the message gives its position).

    Example:
        >>> rows = [{"pairing": "human-object", "if": 0.5}, {"pairing": "human-human", "if": None},
        ...         {"pairing": "human-object", "if": 0.25}]
        >>> cats = per_category(rows, "pairing", expected={"human-object": 3, "human-human": 1,
        ...                                                "human-animal": 2})
        >>> list(cats), cats["human-object"]["scored"], cats["human-object"]["metrics"]["if"]
        (['human-animal', 'human-human', 'human-object'], 2, 0.375)
        >>> animal = cats["human-animal"]
        >>> animal["expected"], animal["scored"], animal["metrics"]["if"]
        (2, 0, None)
    """
    groups: dict[Any, list[Mapping[str, Any]]] = {cat: [] for cat in (expected or {})}
    for i, r in enumerate(rows):
        if key not in r:
            raise KeyError(f"per_category: row {i} has no {key!r} field (it has {sorted(r)})")
        groups.setdefault(r[key], []).append(r)
    return {
        cat: {
            "expected": (expected or {}).get(cat, len(g)),
            "scored": len(g),
            "videos": len(g),
            "metrics": {m: _mean([float(r[m]) for r in g if r.get(m) is not None]) for m in METRICS},
        }
        for cat, g in sorted(groups.items(), key=lambda kv: str(kv[0]))
    }


def rank_ub(cis: Mapping[str, tuple[float, float]]) -> dict[str, int]:
    """Conservative rank: 1 + the number of other models whose CI lies entirely above this one's.

    Model B lies entirely above model A when ``ci_low(B) > ci_high(A)``. Overlapping intervals share a
    rank, so ties are generous and a model only drops below those it is clearly worse than.

    Args:
        cis: ``{model: (ci_low, ci_high)}`` of one metric (higher is better).

    Returns:
        ``{model: rank}``, in the order of `cis`.

    Raises:
        ValueError: an interval has ci_low > ci_high or a bound that is not finite.

    Example:
        >>> rank_ub({"a": (0.6, 0.7), "b": (0.5, 0.65), "c": (0.1, 0.2)})
        {'a': 1, 'b': 1, 'c': 3}
    """
    for name, (lo, hi) in cis.items():
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
            raise ValueError(f"rank_ub: CI of {name!r} must be finite with low <= high, but got ({lo}, {hi})")
    return {
        name: 1 + sum(1 for other, (lo, _) in cis.items() if other != name and lo > hi)
        for name, (_, hi) in cis.items()
    }


def rank_models(models: Mapping[Any, Mapping[str, Any]]) -> dict[Any, dict[str, Any]]:
    """The ranking rule of protocol Part I: only models with every scenario of the suite scored are ranked.

    A model is *ranked* when it is complete: ``scored == expected > 0`` (coverage 1.0), its run was not
    stopped (``complete`` not False) and it has a mean. `rank` orders the ranked models by mean, higher first
    (equal means share a rank: 1, 1, 3); `rank_ub` is `rank_ub` over the ranked models that have a CI (one
    without, e.g. a suite of one video, has none). Unranked (incomplete) models get neither and never count
    in another model's Rank(UB): a model scored on 1 of 100 videos cannot outrank one scored on all 100.

    Args:
        models: ``{key: {"mean", "ci_low", "ci_high", "scored", "expected"[, "complete"]}}``, one metric, one
            comparable group (same suite hash, judge fingerprint and protocol).

    Returns:
        ``{key: {"ranked", "rank", "rank_ub", "coverage"}}`` with coverage = scored / expected (None when
        nothing was expected).

    Example:
        >>> out = rank_models({
        ...     "all": {"mean": 0.5, "ci_low": 0.4, "ci_high": 0.6, "scored": 100, "expected": 100},
        ...     "one": {"mean": 0.95, "ci_low": None, "ci_high": None, "scored": 1, "expected": 100}})
        >>> out["all"]
        {'ranked': True, 'rank': 1, 'rank_ub': 1, 'coverage': 1.0}
        >>> out["one"]
        {'ranked': False, 'rank': None, 'rank_ub': None, 'coverage': 0.01}
    """
    out: dict[Any, dict[str, Any]] = {}
    for k, m in models.items():
        scored, expected = int(m.get("scored") or 0), int(m.get("expected") or 0)
        ranked = expected > 0 and scored == expected and m.get("complete", True) is not False \
            and m.get("mean") is not None
        out[k] = {"ranked": ranked, "rank": None, "rank_ub": None,
                  "coverage": scored / expected if expected else None}
    ranked = [k for k in models if out[k]["ranked"]]
    for k in ranked:
        out[k]["rank"] = 1 + sum(1 for o in ranked if models[o]["mean"] > models[k]["mean"])
    cis = {k: (models[k]["ci_low"], models[k]["ci_high"]) for k in ranked
           if models[k].get("ci_low") is not None and models[k].get("ci_high") is not None}
    for k, ub in rank_ub(cis).items():
        out[k]["rank_ub"] = ub
    return out


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def rates(rows: Sequence[Mapping[str, Any]], *, expected: int | None = None) -> dict[str, Any]:
    """Diagnostics beside the metrics, pooled over videos (counts summed, then divided).

    - implausible_rate = Σ implausible / Σ answered; yes_rate = Σ yes / Σ answered;
    - missing_answer_rate = Σ missing / (Σ answered + Σ missing);
    - emergence_rate = Σ emergence frames / Σ compared frames, over videos whose emergence call succeeded;
      disappearance_rate likewise; changes_failed = videos whose emergence call failed;
    - coverage = videos with an IF / expected videos.

    Args:
        rows: per-video mappings with the keys of `scores.DIAGNOSTICS` and ``"if"`` (as `video_scores`
            returns them); absent counts read as 0.
        expected: videos expected (default: the number of rows).

    Returns:
        The rates (None where the denominator is 0) and the counts ``scored`` and ``expected``.

    Example:
        >>> rows = [{"answered": 10, "implausible": 2, "yes": 5, "missing_answers": 0, "if": 0.5,
        ...          "emergence_frames_count": 1, "disappearance_frames_count": 0, "compared_frames": 10},
        ...         {"answered": 10, "implausible": 0, "yes": 5, "missing_answers": 0, "if": None,
        ...          "emergence_frames_count": None, "disappearance_frames_count": None,
        ...          "compared_frames": 10}]
        >>> r = rates(rows, expected=4)
        >>> r["implausible_rate"], r["emergence_rate"], r["changes_failed"], r["coverage"]
        (0.1, 0.1, 1, 0.25)
    """
    answered = sum(r.get("answered") or 0 for r in rows)
    missing = sum(r.get("missing_answers") or 0 for r in rows)
    judged = [r for r in rows if r.get("emergence_frames_count") is not None]
    compared = sum(r.get("compared_frames") or 0 for r in judged)
    scored = sum(1 for r in rows if r.get("if") is not None)
    expected = len(rows) if expected is None else expected
    return {
        "implausible_rate": _ratio(sum(r.get("implausible") or 0 for r in rows), answered),
        "yes_rate": _ratio(sum(r.get("yes") or 0 for r in rows), answered),
        "missing_answer_rate": _ratio(missing, answered + missing),
        "emergence_rate": _ratio(sum(r["emergence_frames_count"] for r in judged), compared),
        "disappearance_rate": _ratio(sum(r.get("disappearance_frames_count") or 0 for r in judged), compared),
        "changes_failed": len(rows) - len(judged),
        "coverage": _ratio(scored, expected),
        "scored": scored,
        "expected": expected,
    }


def round_reference(x: float) -> float:
    """Round to 3 decimals as the reference does to per-video KISA and SGI (reference mode only).

    Args:
        x: a score.

    Returns:
        ``round(x, 3)`` (Python's correctly rounded decimal rounding, as in the reference).

    Example:
        >>> round_reference(2 / 3)
        0.667
        >>> round_reference(5 / 6)
        0.833
    """
    return round(x, 3)

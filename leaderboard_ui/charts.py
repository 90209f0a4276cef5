"""Matplotlib charts of the model page (figures built without pyplot, so handlers can run in threads).

Example:
    >>> ci = {"mean": 0.5, "ci_low": 0.4, "ci_high": 0.6}
    >>> rows = [{"model_id": 1, "model_name": "a", "metrics": {"if": ci}},
    ...         {"model_id": 2, "model_name": "b", "metrics": {"if": {"mean": 0.3}}}]
    >>> fig = metric_comparison(rows, highlight=1)
    >>> [ax.get_title() for ax in fig.axes][:2]
    ['IF', 'KISA']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from .columns import (
    CATEGORY_FAMILIES,
    CATEGORY_LABELS,
    METRIC_COLUMNS,
    RANK_METRIC,
    categories,
    category_value,
)

HIGHLIGHT = "#d9480f"
OTHERS = "#adb5bd"
#: Metrics drawn side by side in the per-category chart (the two products are implied by these).
CATEGORY_METRICS = ("kisa", "sgi", "spi", RANK_METRIC)
_CATEGORY_COLORS = {"kisa": "#4c6ef5", "sgi": "#15aabf", "spi": "#82c91e", RANK_METRIC: HIGHLIGHT}


def _label(row: Mapping[str, Any]) -> str:
    name = str(row.get("model_name") or "?")
    return name if len(name) <= 24 else name[:23] + "…"


def metric_comparison(rows: Sequence[Mapping[str, Any]], *, highlight: int | None) -> Figure:
    """One panel per metric: every model of the group as a bar with its 95 % CI whiskers.

    Args:
        rows: leaderboard rows of one ranking group (same suite version and judge), best first.
        highlight: the model id drawn in the accent colour.

    Returns:
        The figure (empty panels say "no data").
    """
    rows = [r for r in rows if not r.get("reference")]
    n = max(1, len(rows))
    fig = Figure(figsize=(10, 1.6 + 0.55 * n), layout="constrained")
    axes = fig.subplots(2, 3, sharey=True).ravel()
    labels = [_label(r) for r in rows][::-1]  # best at the top
    for ax, col in zip(axes, METRIC_COLUMNS, strict=False):
        ax.set_title(col.label)
        means, errs, colors = [], [[], []], []
        for r in rows[::-1]:
            m = (r.get("metrics") or {}).get(col.metric) or {}
            mean, lo, hi = m.get("mean"), m.get("ci_low"), m.get("ci_high")
            means.append(0.0 if mean is None else mean)
            errs[0].append(0.0 if mean is None or lo is None else max(0.0, mean - lo))
            errs[1].append(0.0 if mean is None or hi is None else max(0.0, hi - mean))
            colors.append(HIGHLIGHT if r.get("model_id") == highlight else OTHERS)
        if rows:
            ax.barh(range(len(rows)), means, xerr=errs, color=colors, capsize=3,
                    error_kw={"elinewidth": 1, "ecolor": "#343a40"})
            ax.set_yticks(range(len(rows)), labels)
        else:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        lo_x = min([0.0, *(m - e for m, e in zip(means, errs[0], strict=True))])
        ax.set_xlim(lo_x - 0.05 if lo_x < 0 else 0.0, 1.05)  # SPI is unclipped and may be negative
        ax.axvline(0, color="#495057", linewidth=0.6)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle("Metrics with 95 % CI against the other models of this suite version and judge", fontsize=10)
    return fig


def category_chart(row: Mapping[str, Any], *, title: str = "") -> Figure:
    """Per-category means of one result: a panel per category family, grouped bars per metric.

    Args:
        row: a leaderboard row or results summary with ``categories`` (family → category → metric means).
        title: figure title.

    Returns:
        The figure.
    """
    fams = [f for f in CATEGORY_FAMILIES if categories([row], f)] or list(CATEGORY_FAMILIES)
    fig = Figure(figsize=(10, 3.2 * len(fams)), layout="constrained")
    axes = fig.subplots(len(fams), 1, squeeze=False).ravel()
    width = 0.8 / len(CATEGORY_METRICS)
    for ax, fam in zip(axes, fams, strict=True):
        cats = categories([row], fam)
        ax.set_title(f"by {CATEGORY_LABELS[fam]}")
        if not cats:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
            continue
        label_of = {c.metric: c.label for c in METRIC_COLUMNS}
        for j, m in enumerate(CATEGORY_METRICS):
            vals = [category_value(row, fam, c, m) for c in cats]
            xs = [i + (j - (len(CATEGORY_METRICS) - 1) / 2) * width for i in range(len(cats))]
            ax.bar(xs, [0.0 if v is None else v for v in vals], width=width, label=label_of[m],
                   color=_CATEGORY_COLORS[m])
        counts = []
        for c in cats:
            cell = ((row.get("categories") or {}).get(fam) or {}).get(c) or {}
            n = cell.get("n", cell.get("videos"))
            counts.append(f"{c}\n(n={n})" if n is not None else c)
        ax.set_xticks(range(len(cats)), counts)
        ax.axhline(0, color="#495057", linewidth=0.6)
        ax.set_ylim(min(0.0, ax.get_ylim()[0]), 1.05)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="upper right", fontsize=8, ncols=len(CATEGORY_METRICS))
    if title:
        fig.suptitle(title, fontsize=10)
    return fig

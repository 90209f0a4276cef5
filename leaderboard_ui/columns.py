"""The leaderboard's one column registry, derived from the metric list (the HF leaderboard template's idea).

Every view of a leaderboard row goes through `COLUMNS`: the page's table (labels, order, sorting), the CSV
and JSON downloads (`csv_header`, `csv_record`) and the fields read from the API's rows. Adding a metric to
`intergeneval.metrics.aggregate.METRICS` adds its column everywhere.

Example:
    >>> [c.key for c in COLUMNS][:4]
    ['rank', 'rank_ub', 'model', 'if']
    >>> [c.label for c in METRIC_COLUMNS]
    ['IF', 'KISA', 'SGI', 'SPI', 'KISA·SPI', 'SGI·SPI']
    >>> COLUMN_BY_KEY["if"].csv_fields
    ('if_mean', 'if_ci_low', 'if_ci_high')
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from intergeneval import config
from intergeneval.formats import csv_cell
from intergeneval.metrics.aggregate import METRIC_INFO, METRICS

#: The metric the API ranks by (its `rank` and `rank_ub`); shown first among the metrics.
RANK_METRIC = "if"
if RANK_METRIC not in METRICS:  # pragma: no cover - guards a rename of the metric list
    raise ImportError(f"leaderboard_ui.columns: the rank metric {RANK_METRIC!r} is not in METRICS {METRICS}")

Kind = Literal["rank", "model", "metric", "coverage", "text", "date"]
Row = Mapping[str, Any]


def _metric(row: Row, name: str) -> Mapping[str, Any]:
    return (row.get("metrics") or {}).get(name) or {}


def _coverage(row: Row) -> float | None:
    cov = row.get("coverage") or {}
    scored, expected = cov.get("scored"), cov.get("expected")
    return scored / expected if scored is not None and expected else None


def is_incomplete(row: Row) -> bool:
    """True for a measured row that is not ranked because some of its suite's videos were not scored.

    The API says so (`status: "incomplete"`); for an API that predates the field, coverage below 1.0 does.

    Example:
        >>> is_incomplete({"status": "incomplete"}), is_incomplete({"coverage": {"scored": 3, "expected": 4}})
        (True, True)
        >>> is_incomplete({"status": "ranked"}), is_incomplete({"reference": True})
        (False, False)
    """
    if row.get("reference"):
        return False
    if "status" in row:
        return row.get("status") == "incomplete"
    cov = _coverage(row)
    return cov is not None and cov < 1.0


@dataclass(frozen=True, slots=True)
class Column:
    """One leaderboard column: how to read it from an API row, label it, sort it and export it."""

    key: str = field(metadata={"help": "stable id, used in URLs and as the sort key name"})
    label: str = field(metadata={"help": "header shown on the page"})
    kind: Kind = field(metadata={"help": "how the page renders the cell"})
    help: str = field(metadata={"help": "tooltip of the header"})
    sort_value: Callable[[Row], Any] = field(metadata={"help": "value to sort by (None sorts last)"})
    csv_fields: tuple[str, ...] = field(metadata={"help": "CSV columns this column exports"})
    csv_values: Callable[[Row], tuple[Any, ...]] = field(metadata={"help": "the values of `csv_fields`"})
    descending: bool = field(default=False, metadata={"help": "default sort direction (best first)"})
    metric: str | None = field(default=None, metadata={"help": "metric name for metric columns"})


def _metric_column(name: str) -> Column:
    info = METRIC_INFO[name]
    fields = (f"{name}_mean", f"{name}_ci_low", f"{name}_ci_high")
    return Column(
        key=name,
        label=info.label,
        kind="metric",
        help=f"{info.label}: {info.description}; mean over scored videos with its 95 % bootstrap CI",
        sort_value=lambda r: _metric(r, name).get("mean"),
        csv_fields=fields,
        csv_values=lambda r: tuple(_metric(r, name).get(k) for k in ("mean", "ci_low", "ci_high")),
        descending=info.higher_is_better,
        metric=name,
    )


def _suite(r: Row) -> str:
    return f"{r.get('suite_id') or '?'} v{r.get('suite_version') or '?'}"


#: The metric columns: the rank metric first, then the others in the metric list's order.
METRIC_COLUMNS: tuple[Column, ...] = tuple(
    _metric_column(m) for m in (RANK_METRIC, *(m for m in METRICS if m != RANK_METRIC))
)

COLUMNS: tuple[Column, ...] = (
    Column("rank", "Rank", "rank", f"position by {METRIC_INFO[RANK_METRIC].label} mean within this suite "
           "version and judge (ties share a rank)", lambda r: r.get("rank"), ("rank",),
           lambda r: (r.get("rank"),)),
    Column("rank_ub", "Rank (UB)", "rank", f"1 + the number of models whose 95 % CI of "
           f"{METRIC_INFO[RANK_METRIC].label} lies entirely above this model's (Chatbot Arena's Rank (UB))",
           lambda r: r.get("rank_ub"), ("rank_ub",), lambda r: (r.get("rank_ub"),)),
    Column("model", "Model", "model", "model name and organisation",
           lambda r: str(r.get("model_name") or "").lower(),
           ("model_name", "organisation", "model_id", "reference", "flagged", "source"),
           lambda r: (r.get("model_name"), r.get("organisation"), r.get("model_id"), bool(r.get("reference")),
                      bool(r.get("flagged")), r.get("source"))),
    *METRIC_COLUMNS,
    Column("coverage", "Coverage", "coverage", "videos scored / videos the suite expects; a model is ranked "
           "only when every video was scored", _coverage,
           ("scored", "expected", "status"),
           lambda r: ((r.get("coverage") or {}).get("scored"), (r.get("coverage") or {}).get("expected"),
                      r.get("status") or ("incomplete" if is_incomplete(r) else None)),
           descending=True),
    Column("judge", "Judge", "text",
           "the judge configuration (model, prompts, decoding) that made the scores",
           lambda r: str(r.get("judge_label") or ""), ("judge_label", "judge_fingerprint"),
           lambda r: (r.get("judge_label"), r.get("judge_fingerprint"))),
    Column("suite", "Suite", "text", "suite id and version", _suite,
           ("suite_id", "suite_version", "suite_hash", "protocol"),
           lambda r: (r.get("suite_id"), r.get("suite_version"), r.get("suite_hash"), r.get("protocol"))),
    Column("date", "Date", "date", "when the scoring job finished", lambda r: r.get("date"),
           ("date", "job_id"),
           lambda r: (r.get("date"), r.get("job_id")), descending=True),
)
COLUMN_BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}

#: Category families of the per-category breakdown, with their known categories in display order.
CATEGORY_FAMILIES: dict[str, tuple[str, ...]] = {
    "interaction_type": config.INTERACTION_TYPES,
    "pairing": config.PAIRINGS,
}
CATEGORY_LABELS = {"interaction_type": "interaction type", "pairing": "pairing"}


def column(key: str) -> Column:
    """The column named `key`.

    Raises:
        KeyError: no such column (the message lists the known keys).
    """
    try:
        return COLUMN_BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown leaderboard column {key!r}; known: {', '.join(COLUMN_BY_KEY)}") from None


def sort_rows(rows: Iterable[Row], key: str, *, descending: bool | None = None) -> list[Row]:
    """Rows sorted by a column; rows without a value go last whatever the direction, and incomplete (unranked)
    rows after every ranked one, whatever the column: sorting by a metric never puts a partial run among
    the ranked ones.

    Args:
        rows: API leaderboard rows.
        key: a column key.
        descending: direction; None takes the column's default (best first).

    Example:
        >>> rows = [{"model_name": "a", "metrics": {"if": {"mean": 0.2}}},
        ...         {"model_name": "b", "metrics": {"if": {"mean": None}}},
        ...         {"model_name": "c", "metrics": {"if": {"mean": 0.7}}}]
        >>> [r["model_name"] for r in sort_rows(rows, "if")]
        ['c', 'a', 'b']
        >>> [r["model_name"] for r in sort_rows(rows, "if", descending=False)]
        ['a', 'c', 'b']
    """
    col = column(key)
    desc = col.descending if descending is None else descending
    out: list[Row] = []
    for part in ([r for r in rows if not is_incomplete(r)], [r for r in rows if is_incomplete(r)]):
        present = [r for r in part if col.sort_value(r) is not None]
        missing = [r for r in part if col.sort_value(r) is None]
        # Python's sort is stable: ties keep the API's order (its rank, then its tie-break).
        out += sorted(present, key=col.sort_value, reverse=desc) + missing
    return out


def categories(rows: Iterable[Row], family: str) -> list[str]:
    """The categories of a family present in the rows: known ones in protocol order, then others sorted."""
    seen: set[str] = set()
    for r in rows:
        seen.update(((r.get("categories") or {}).get(family) or {}).keys())
    known = CATEGORY_FAMILIES.get(family, ())
    return [c for c in known if c in seen] + sorted(seen - set(known))


def category_value(row: Row, family: str, category: str, metric: str) -> float | None:
    """Mean of `metric` over the row's videos of one category, or None."""
    cell = ((row.get("categories") or {}).get(family) or {}).get(category) or {}
    value = cell.get(metric)
    if value is None and isinstance(cell.get("metrics"), Mapping):  # the library's per_category shape
        value = cell["metrics"].get(metric)
    return value


def csv_header(rows: Sequence[Row]) -> list[str]:
    """The CSV header: every column's fields, then `cat_<category>_<metric>` for the categories present."""
    header = [f for c in COLUMNS for f in c.csv_fields]
    for family in CATEGORY_FAMILIES:
        header += [f"cat_{cat}_{m}" for cat in categories(rows, family) for m in METRICS]
    return header


def csv_record(row: Row, header: Sequence[str]) -> dict[str, Any]:
    """One row's CSV values for `header` (as made by `csv_header`)."""
    out: dict[str, Any] = {}
    for c in COLUMNS:
        out.update(zip(c.csv_fields, c.csv_values(row), strict=True))
    for family in CATEGORY_FAMILIES:
        for cat in categories([row], family):
            for m in METRICS:
                out[f"cat_{cat}_{m}"] = category_value(row, family, cat, m)
    return {h: out.get(h) for h in header}


def to_csv(rows: Sequence[Row]) -> str:
    """The rows as CSV text (one header line; empty cells for missing values; booleans as true/false).

    Example:
        >>> text = to_csv([{"rank": 1, "model_name": "m", "metrics": {"if": {"mean": 0.5}}}])
        >>> text.splitlines()[0].split(",")[:4]
        ['rank', 'rank_ub', 'model_name', 'organisation']
        >>> text.splitlines()[1].split(",")[:3]
        ['1', '', 'm']
    """
    header = csv_header(rows)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        rec = csv_record(r, header)
        writer.writerow({k: ("" if v is None else str(v).lower() if isinstance(v, bool) else csv_cell(v))
                         for k, v in rec.items()})  # csv_cell: users' text never starts a spreadsheet formula
    return buf.getvalue()


def check_api_metrics(listed: Sequence[str] | None) -> list[str]:
    """Problems between the API's `metrics` list and this registry (empty when they agree)."""
    if listed is None:
        return []
    problems = []
    if missing := [m for m in METRICS if m not in listed]:
        problems.append(f"the API does not report {', '.join(missing)}: those columns stay empty")
    if extra := [m for m in listed if m not in METRICS]:
        problems.append(f"the API reports metrics this page does not know: {', '.join(extra)}")
    return problems

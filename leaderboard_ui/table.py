"""The leaderboard table as HTML: one ranked table per (suite, judge) group, reference rows apart.

Rows of different groups are never ranked together: each group is its own table with the API's ranks, and the
paper's reported rows (``reference: true``) sit in a separate, unranked table.

Example:
    >>> rows = [{"rank": 1, "rank_ub": 1, "model_id": 1, "model_name": "a", "suite_id": "s",
    ...          "suite_version": "1", "judge_fingerprint": "ab", "judge_label": "j",
    ...          "metrics": {"if": {"mean": 0.5}}}]
    >>> html = render_leaderboard({"rows": rows, "groups": []})
    >>> 'data-model="a"' in html and "Rank (UB)" in html
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

from intergeneval.metrics.aggregate import METRIC_INFO

from .columns import (
    CATEGORY_LABELS,
    COLUMNS,
    METRIC_COLUMNS,
    RANK_METRIC,
    Column,
    Row,
    categories,
    category_value,
    column,
    is_incomplete,
    sort_rows,
)

#: Views of the table: the metric columns, or one metric broken down by a category family.
VIEWS = {"metrics": "Metrics", "interaction_type": "By interaction type", "pairing": "By pairing"}
REFERENCE_NOTE = "reported by the paper, different judge"
INCOMPLETE_NOTE = "incomplete: not ranked"


@dataclass(frozen=True, slots=True)
class TableOptions:
    """What the user chose above the table."""

    search: str = ""
    sort: str = "rank"
    descending: bool | None = None
    view: str = "metrics"
    breakdown_metric: str = RANK_METRIC
    show_reference: bool = True


def group_key(row: Row) -> tuple[Any, ...]:
    """The ranking group of a row: rows are ranked only against rows with the same key."""
    return (row.get("suite_id"), row.get("suite_version"), row.get("suite_hash"), row.get("protocol"),
            row.get("judge_fingerprint"))


def matches(row: Row, search: str) -> bool:
    """True when every word of `search` occurs in the model name, organisation, judge or suite (any case).

    Example:
        >>> matches({"model_name": "Wan2.1-14B", "organisation": "Alibaba"}, "wan ali")
        True
        >>> matches({"model_name": "Wan2.1-14B"}, "cog")
        False
    """
    hay = " ".join(str(row.get(k) or "") for k in ("model_name", "organisation", "judge_label", "suite_id",
                                                     "source")).lower()
    return all(word in hay for word in search.lower().split())


Group = tuple[tuple[Any, ...], list[Row]]


def split_rows(rows: Iterable[Row], search: str = "") -> tuple[list[Group], list[Row]]:
    """Ranked rows grouped by `group_key` (groups in the API's order) and the reference rows, after search."""
    groups: dict[tuple[Any, ...], list[Row]] = {}
    reference: list[Row] = []
    for r in rows:
        if not matches(r, search):
            continue
        if r.get("reference"):
            reference.append(r)
        else:
            groups.setdefault(group_key(r), []).append(r)
    return list(groups.items()), reference


def visible_rows(data: Mapping[str, Any], options: TableOptions) -> list[Row]:
    """The rows the table shows, in display order (groups, then reference rows); used for the downloads."""
    groups, reference = split_rows(data.get("rows") or [], options.search)
    out = [r for _, rows in groups for r in sort_rows(rows, options.sort, descending=options.descending)]
    if options.show_reference:
        out += sort_rows(reference, _reference_sort(options.sort), descending=options.descending)
    return out


def _reference_sort(key: str) -> str:
    # Reference rows have no rank: sort them by the rank metric instead.
    return RANK_METRIC if column(key).kind == "rank" else key


def _fmt(x: Any, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _metric_cell(row: Row, col: Column) -> str:
    m = (row.get("metrics") or {}).get(col.metric) or {}
    mean, lo, hi = m.get("mean"), m.get("ci_low"), m.get("ci_high")
    ci = f"[{_fmt(lo)}, {_fmt(hi)}]" if lo is not None and hi is not None else ""
    if col.metric == RANK_METRIC:
        ci_html = f'<span class="lb-ci">{ci}</span>' if ci else '<span class="lb-ci">no CI</span>'
        return f'<td class="lb-num lb-main" data-col="{col.key}"><b>{_fmt(mean)}</b> {ci_html}</td>'
    title = f' title="95 % CI {ci}"' if ci else ""
    return f'<td class="lb-num" data-col="{col.key}"{title}>{_fmt(mean)}</td>'


def _model_cell(row: Row) -> str:
    name = escape(str(row.get("model_name") or "?"))
    if row.get("model_id") is not None and not row.get("reference"):
        name = f'<a href="?{urlencode({"model": row["model_id"]})}">{name}</a>'
    org = row.get("organisation")
    extra = f'<div class="lb-org">{escape(str(org))}</div>' if org else ""
    if row.get("flagged"):
        extra += '<span class="lb-badge lb-flag" title="flagged by an admin">flagged</span>'
    if row.get("reference"):
        src = escape(str(row.get("source") or "the paper"))
        extra += f'<span class="lb-badge lb-ref" title="{src}">{REFERENCE_NOTE}</span>'
    if is_incomplete(row):
        cov = row.get("coverage") or {}
        why = (f"{cov.get('scored')} of {cov.get('expected')} videos scored: some failed in the evaluator. "
               "Shown, never ranked, until a retry scores every video of the suite.")
        extra += f'<span class="lb-badge lb-incomplete" title="{escape(why)}">{INCOMPLETE_NOTE}</span>'
    return f'<td class="lb-model" data-col="model">{name}{extra}</td>'


def _coverage_cell(row: Row) -> str:
    cov = row.get("coverage") or {}
    scored, expected = cov.get("scored"), cov.get("expected")
    if scored is None or expected is None:
        return '<td class="lb-num" data-col="coverage">—</td>'
    cls = "lb-num" if scored == expected else "lb-num lb-partial"
    pct = f" ({100 * scored / expected:.0f} %)" if expected and scored != expected else ""
    return (f'<td class="{cls}" data-col="coverage" title="videos scored / expected">{scored}/{expected}{pct}'
            "</td>")


def _cell(row: Row, col: Column) -> str:
    if col.kind == "metric":
        return _metric_cell(row, col)
    if col.kind == "model":
        return _model_cell(row)
    if col.kind == "coverage":
        return _coverage_cell(row)
    if col.kind == "rank":
        value = row.get(col.key)
        return f'<td class="lb-num lb-rank" data-col="{col.key}">{"—" if value is None else value}</td>'
    if col.key == "judge":
        fp = escape(str(row.get("judge_fingerprint") or ""))
        label = escape(str(row.get("judge_label") or "—"))
        title = f"{label} (fingerprint {fp})" if fp else label
        return f'<td class="lb-judge" data-col="judge" title="{title}">{label}</td>'
    if col.kind == "date":
        date = str(row.get("date") or "")
        return f'<td data-col="date" title="{escape(date)}">{escape(date[:10]) or "—"}</td>'
    return f'<td data-col="{col.key}">{escape(str(col.sort_value(row) or "—"))}</td>'


def _header(cols: Sequence[Column], options: TableOptions, *, sorted_by: str) -> str:
    cells = []
    for c in cols:
        arrow = ""
        if c.key == sorted_by:
            desc = c.descending if options.descending is None else options.descending
            arrow = " ▼" if desc else " ▲"
        label = escape(c.label) + (" (95 % CI)" if c.metric == RANK_METRIC else "")
        cells.append(f'<th class="lb-sortable" data-col="{c.key}" title="{escape(c.help)} (click to sort)" '
                     f'scope="col">{label}{arrow}</th>')
    return "<thead><tr>" + "".join(cells) + "</tr></thead>"


def _metrics_table(rows: Sequence[Row], options: TableOptions, *, testid: str, sorted_by: str) -> str:
    cols = [c for c in COLUMNS if c.key != "suite"]  # the group header names the suite
    body = "".join(
        f'<tr data-model="{escape(str(r.get("model_name") or ""))}" data-rank="{r.get("rank") or ""}"'
        f' data-status="{_status(r)}"{_row_class(r)}>' + "".join(_cell(r, c) for c in cols) + "</tr>"
        for r in rows
    )
    head = _header(cols, options, sorted_by=sorted_by)
    return (f'<div class="lb-scroll"><table class="lb-table" data-testid="{testid}">{head}'
            f"<tbody>{body}</tbody></table></div>")


def _status(row: Row) -> str:
    return "reference" if row.get("reference") else "incomplete" if is_incomplete(row) else "ranked"


def _row_class(row: Row) -> str:
    return {"reference": " class=lb-refrow", "incomplete": " class=lb-incomplete-row"}.get(_status(row), "")


def _category_table(rows: Sequence[Row], options: TableOptions, *, testid: str) -> str:
    family, metric = options.view, options.breakdown_metric
    cats = categories(rows, family)
    label = METRIC_INFO[metric].label
    head = ('<thead><tr><th scope="col">Rank</th><th scope="col">Model</th>'
            f'<th scope="col" title="over all videos">{escape(label)} (all)</th>'
            + "".join(f'<th scope="col" data-col="cat-{escape(c)}">{escape(c)}</th>' for c in cats)
            + "</tr></thead>")
    body = []
    for r in rows:
        rank = "—" if r.get("rank") is None else r["rank"]
        cells = [f'<td class="lb-num lb-rank">{rank}</td>', _model_cell(r),
                 f'<td class="lb-num">{_fmt(((r.get("metrics") or {}).get(metric) or {}).get("mean"))}</td>']
        for c in cats:
            cell = ((r.get("categories") or {}).get(family) or {}).get(c) or {}
            n = cell.get("n", cell.get("videos"))
            n_html = f' <span class="lb-ci">n={n}</span>' if n is not None else ""
            cells.append(f'<td class="lb-num" data-col="cat-{escape(c)}">'
                         f"{_fmt(category_value(r, family, c, metric))}{n_html}</td>")
        body.append(f'<tr data-model="{escape(str(r.get("model_name") or ""))}" data-status="{_status(r)}"'
                    f'{_row_class(r)}>' + "".join(cells) + "</tr>")
    if not cats:
        return f'<p class="lb-empty">No per-{CATEGORY_LABELS.get(family, family)} results in this group.</p>'
    return (f'<div class="lb-scroll"><table class="lb-table" data-testid="{testid}">{head}'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def _table(rows: Sequence[Row], options: TableOptions, *, testid: str, sorted_by: str) -> str:
    if options.view in CATEGORY_LABELS:
        return _category_table(rows, options, testid=testid)
    return _metrics_table(rows, options, testid=testid, sorted_by=sorted_by)


def _group_title(key: tuple[Any, ...], rows: Sequence[Row],
                 meta: Mapping[tuple[Any, ...], Mapping[str, Any]]) -> str:
    suite_id, version, suite_hash, protocol, fingerprint = key
    label = rows[0].get("judge_label") or (meta.get(key) or {}).get("judge_label") or "unknown judge"
    fp = str(fingerprint or "")
    partial = sum(1 for r in rows if is_incomplete(r))
    count = f'{len(rows)} model{"s" if len(rows) != 1 else ""}'
    if partial:
        count += f" ({len(rows) - partial} ranked, {partial} incomplete, not ranked)"
    return (f'<h3 class="lb-group-title">Suite <b>{escape(str(suite_id))} v{escape(str(version))}</b>'
            f' · judge <b title="fingerprint {escape(fp)}">{escape(str(label))}</b>'
            f' <code>{escape(fp[:12])}</code> · {escape(str(protocol or ""))}'
            f' · {count}'
            f' <span class="lb-hash" title="suite content hash">{escape(str(suite_hash or "")[:12])}</span>'
            "</h3>")


def render_leaderboard(data: Mapping[str, Any], options: TableOptions | None = None,
                       notes: Sequence[str] = ()) -> str:
    """The whole leaderboard as HTML, from a `GET /leaderboard` body.

    Args:
        data: the API's leaderboard JSON (`rows`, `groups`).
        options: search, sort, view and reference choice.
        notes: warnings to show above the tables (e.g. metric-list mismatches).

    Returns:
        HTML: one section per ranking group, then the reference section.
    """
    options = options or TableOptions()
    meta = {(g.get("suite_id"), g.get("suite_version"), g.get("suite_hash"), g.get("protocol"),
             g.get("judge_fingerprint")): g for g in data.get("groups") or []}
    groups, reference = split_rows(data.get("rows") or [], options.search)
    parts = [f'<p class="lb-note">{escape(n)}</p>' for n in notes]
    if len(groups) > 1:
        parts.append('<p class="lb-note">Rows scored with different judges or suite versions are ranked '
                     "separately: each table below is its own ranking.</p>")
    for i, (key, rows) in enumerate(groups):
        suite_id, version, _, _, fingerprint = key
        parts.append(f'<section class="lb-group" data-testid="lb-group" data-suite="{escape(str(suite_id))}" '
                     f'data-version="{escape(str(version))}" data-judge="{escape(str(fingerprint or ""))}">'
                     + _group_title(key, rows, meta)
                     + _table(sort_rows(rows, options.sort, descending=options.descending), options,
                              testid=f"leaderboard-table-{i}", sorted_by=options.sort)
                     + "</section>")
    if options.show_reference and reference:
        rows = sort_rows(reference, _reference_sort(options.sort), descending=options.descending)
        parts.append('<section class="lb-group lb-reference" data-testid="lb-reference">'
                     f'<h3 class="lb-group-title">Reference rows: {REFERENCE_NOTE} (not ranked)</h3>'
                     '<p class="lb-note">Numbers as published by the MATRIX paper, scored by its own judge '
                     "and tracker; they are not comparable with the ranked rows above and never take part "
                     "in a ranking.</p>"
                     + _table(rows, options, testid="leaderboard-reference",
                              sorted_by=_reference_sort(options.sort))
                     + "</section>")
    if not groups and not (options.show_reference and reference):
        what = f' matching "{escape(options.search)}"' if options.search.strip() else ""
        parts.append(f'<p class="lb-empty" data-testid="lb-empty">No results{what} yet. Submit a model in '
                     "the Submit tab, or clear the filters.</p>")
    return '<div class="lb">' + "".join(parts) + "</div>"


def sort_choices() -> list[tuple[str, str]]:
    """(label, key) pairs for the sort control, in column order."""
    return [(c.label, c.key) for c in COLUMNS]


def metric_choices() -> list[tuple[str, str]]:
    """(label, metric) pairs for the breakdown metric control."""
    return [(c.label, c.metric) for c in METRIC_COLUMNS if c.metric]

"""The column registry: derived from the metric list, the one source of the table's and CSV's columns."""

from __future__ import annotations

import csv
import io

import pytest

from intergeneval.metrics.aggregate import METRIC_INFO, METRICS
from leaderboard_ui import columns
from leaderboard_ui.columns import COLUMNS, METRIC_COLUMNS, RANK_METRIC, sort_rows, to_csv


def _row(name: str, if_mean: float | None, *, rank: int | None = None, **extra) -> dict:
    metrics = {m: {"mean": None if if_mean is None else if_mean + i / 100, "ci_low": None, "ci_high": None}
               for i, m in enumerate(METRICS)}
    metrics[RANK_METRIC]["mean"] = if_mean
    if if_mean is not None and not extra.get("reference"):
        metrics[RANK_METRIC] = {"mean": if_mean, "ci_low": if_mean - 0.1, "ci_high": if_mean + 0.1}
    return {"rank": rank, "model_name": name, "metrics": metrics, **extra}


def test_every_metric_has_one_column_rank_metric_first():
    assert [c.metric for c in METRIC_COLUMNS] == [RANK_METRIC, *(m for m in METRICS if m != RANK_METRIC)]
    assert sorted(c.metric for c in COLUMNS if c.kind == "metric") == sorted(METRICS)
    for c in METRIC_COLUMNS:
        assert c.label == METRIC_INFO[c.metric].label
        assert c.descending == METRIC_INFO[c.metric].higher_is_better


def test_column_keys_are_unique_and_csv_fields_do_not_collide():
    assert len({c.key for c in COLUMNS}) == len(COLUMNS)
    fields = [f for c in COLUMNS for f in c.csv_fields]
    assert len(set(fields)) == len(fields)


def test_issue_order_rank_rankub_then_if_then_components():
    keys = [c.key for c in COLUMNS]
    assert keys.index("rank") < keys.index("rank_ub") < keys.index("if") < keys.index("kisa")
    assert keys.index("sgi_spi") < keys.index("coverage") < keys.index("judge") < keys.index("date")


def test_unknown_column_names_the_known_ones():
    with pytest.raises(KeyError, match="known: rank, rank_ub"):
        columns.column("elo")


def test_sort_puts_missing_values_last_in_both_directions():
    rows = [_row("a", 0.2), _row("none", None), _row("c", 0.9), _row("b", 0.5)]
    assert [r["model_name"] for r in sort_rows(rows, "if")] == ["c", "b", "a", "none"]
    assert [r["model_name"] for r in sort_rows(rows, "if", descending=False)] == ["a", "b", "c", "none"]


def test_sort_by_rank_defaults_to_ascending_and_keeps_ties_in_api_order():
    rows = [_row("x", 0.5, rank=2), _row("y", 0.5, rank=1), _row("z", 0.5, rank=2)]
    assert [r["model_name"] for r in sort_rows(rows, "rank")] == ["y", "x", "z"]


def test_sort_by_coverage_uses_the_fraction_and_incomplete_rows_stay_below_ranked_ones():
    rows = [_row("half", 0.1, coverage={"scored": 3, "expected": 6}),
            _row("third", 0.1, coverage={"scored": 1, "expected": 3}),
            _row("full", 0.1, coverage={"scored": 2, "expected": 2}),
            _row("unknown", 0.1, coverage={})]
    assert [r["model_name"] for r in sort_rows(rows, "coverage")] == ["full", "unknown", "half", "third"]
    # whatever the column and direction: a partial run never sorts among the ranked rows
    rows = [_row("partial", 0.9, rank=None, status="incomplete", coverage={"scored": 1, "expected": 100}),
            _row("ranked", 0.5, rank=1, status="ranked", coverage={"scored": 100, "expected": 100})]
    for key, desc in (("if", None), ("if", False), ("model", None), ("coverage", False), ("rank", True)):
        assert [r["model_name"] for r in sort_rows(rows, key, descending=desc)] == ["ranked", "partial"]


def test_csv_header_and_values_come_from_the_registry():
    rows = [_row("a", 0.5, rank=1, rank_ub=1, reference=False, coverage={"scored": 5, "expected": 6},
                 categories={"interaction_type": {"social": {"n": 1, "if": 0.25},
                                                  "contact": {"n": 4, "if": 0.5}},
                             "pairing": {"human-human": {"n": 5, "if": 0.4}}}),
            _row("paper", 0.4, reference=True, source="Table 1")]
    parsed = list(csv.DictReader(io.StringIO(to_csv(rows))))
    header = list(parsed[0])
    assert header[: len(COLUMNS[0].csv_fields)] == list(COLUMNS[0].csv_fields)
    for m in METRICS:
        assert {f"{m}_mean", f"{m}_ci_low", f"{m}_ci_high"} <= set(header)
    # protocol order of categories (contact before social), every metric per category
    cat_cols = [h for h in header if h.startswith("cat_")]
    assert cat_cols.index("cat_contact_if") < cat_cols.index("cat_social_if")
    assert len(cat_cols) == 3 * len(METRICS)
    a, paper = parsed
    assert (a["rank"], a["model_name"], a["if_mean"], a["if_ci_low"]) == ("1", "a", "0.5", "0.4")
    assert (a["scored"], a["expected"], a["reference"]) == ("5", "6", "false")
    assert (a["cat_social_if"], a["cat_human-human_if"], a["cat_contact_kisa"]) == ("0.25", "0.4", "")
    got = (paper["rank"], paper["reference"], paper["source"], paper["if_ci_low"])
    assert got == ("", "true", "Table 1", "")


def test_category_value_reads_both_api_and_library_shapes():
    api_shape = {"categories": {"pairing": {"human-object": {"n": 2, "if": 0.3}}}}
    lib_shape = {"categories": {"pairing": {"human-object": {"videos": 2, "metrics": {"if": 0.6}}}}}
    assert columns.category_value(api_shape, "pairing", "human-object", "if") == 0.3
    assert columns.category_value(lib_shape, "pairing", "human-object", "if") == 0.6
    assert columns.category_value(api_shape, "pairing", "human-animal", "if") is None


def test_unknown_categories_follow_the_known_ones_sorted():
    rows = [{"categories": {"interaction_type": {"zeta": {}, "force": {}, "alpha": {}, "contact": {}}}}]
    assert columns.categories(rows, "interaction_type") == ["contact", "force", "alpha", "zeta"]


def test_api_metric_list_mismatch_is_reported():
    assert columns.check_api_metrics(list(METRICS)) == []
    assert columns.check_api_metrics(None) == []
    problems = columns.check_api_metrics([m for m in METRICS if m != "spi"] + ["elo"])
    assert any("spi" in p for p in problems) and any("elo" in p for p in problems)


def test_csv_cells_never_start_a_formula():
    rows = [_row("=cmd|' /C calc'!A0", -0.25, organisation="+lab"), _row("@SUM(A1)", 0.5)]
    parsed = list(csv.DictReader(io.StringIO(to_csv(rows))))
    assert [r["model_name"] for r in parsed] == ["'=cmd|' /C calc'!A0", "'@SUM(A1)"]
    assert parsed[0]["organisation"] == "'+lab" and parsed[0]["if_mean"] == "-0.25"

"""Model-level aggregation: means, per-category means, bootstrap CIs, Rank(UB) and diagnostic rates."""

from __future__ import annotations

import random
import statistics

import numpy as np
import pytest

from intergeneval.metrics import (
    METRIC_INFO,
    METRICS,
    aggregate,
    bootstrap_ci,
    per_category,
    rank_models,
    rank_ub,
    rates,
    round_reference,
)


# ------------------------------------------------------------------ naive references
def naive_mean(values):
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def naive_rank(cis):
    ranks = {}
    for a, (_, a_hi) in cis.items():
        above = 0
        for b, (b_lo, _) in cis.items():
            if b != a and b_lo > a_hi:
                above += 1
        ranks[a] = above + 1
    return ranks


def _random_rows(rng, n):
    rows = []
    for _ in range(n):
        row = {m: (None if rng.random() < 0.2 else rng.uniform(-4, 1)) for m in METRICS}
        row["interaction_type"] = rng.choice(["contact", "force", "social"])
        row["pairing"] = rng.choice(["human-object", "human-human"])
        rows.append(row)
    return rows


def test_metric_names_and_direction():
    assert METRICS == ("kisa", "sgi", "spi", "kisa_spi", "sgi_spi", "if")
    assert all(METRIC_INFO[m].higher_is_better for m in METRICS)


def test_aggregate_means_match_naive_on_random_rows():
    rng = random.Random(7)
    for trial in range(60):
        rows = _random_rows(rng, rng.randint(0, 30))
        agg = aggregate(rows, samples=50, seed=trial)
        for m in METRICS:
            want = naive_mean([r[m] for r in rows])
            n = sum(r[m] is not None for r in rows)
            assert agg[m]["n"] == n
            if want is None:
                assert agg[m] == {"mean": None, "ci_low": None, "ci_high": None, "n": 0}
            elif n == 1:
                assert agg[m] == {"mean": pytest.approx(want), "ci_low": None, "ci_high": None, "n": 1}
            else:
                assert agg[m]["mean"] == pytest.approx(want, rel=1e-12, abs=1e-12)
                assert agg[m]["ci_low"] <= agg[m]["ci_high"]
                vals = [r[m] for r in rows if r[m] is not None]
                assert min(vals) - 1e-12 <= agg[m]["ci_low"] and agg[m]["ci_high"] <= max(vals) + 1e-12


def test_per_category_matches_naive():
    rng = random.Random(11)
    for _ in range(40):
        rows = _random_rows(rng, rng.randint(1, 25))
        for key in ("interaction_type", "pairing"):
            got = per_category(rows, key)
            cats = sorted({r[key] for r in rows})
            assert list(got) == cats
            for c in cats:
                members = [r for r in rows if r[key] == c]
                assert got[c]["videos"] == len(members)
                for m in METRICS:
                    want = naive_mean([r[m] for r in members])
                    assert got[c]["metrics"][m] == (None if want is None else pytest.approx(want, rel=1e-12))


def test_per_category_names_the_row_without_the_key():
    with pytest.raises(KeyError, match="row 1 has no 'pairing'"):
        per_category([{"pairing": "human-object"}, {"if": 0.1}], "pairing")


# ------------------------------------------------------------------------------------ bootstrap
def test_bootstrap_is_deterministic_and_seeded():
    rng = random.Random(3)
    values = [rng.uniform(0, 1) for _ in range(37)]
    a = bootstrap_ci(values, samples=1000, seed=0)
    assert a == bootstrap_ci(values, samples=1000, seed=0)
    assert a == bootstrap_ci(np.array(values), samples=1000, seed=0)
    assert a != bootstrap_ci(values, samples=1000, seed=1)


def test_bootstrap_constant_values():
    assert bootstrap_ci([0.1] * 9) == (0.1, 0.1)


def test_a_ci_needs_two_scored_videos_else_it_is_absent():
    with pytest.raises(ValueError, match="at least 2 values"):
        bootstrap_ci([0.3])  # one video: a zero-width "interval" that Rank(UB) would trust
    agg = aggregate([{"if": 0.95, "kisa": 0.5}, {"kisa": 0.7, "if": None}], samples=100)
    assert agg["if"] == {"mean": 0.95, "ci_low": None, "ci_high": None, "n": 1}
    assert agg["kisa"]["n"] == 2 and agg["kisa"]["ci_low"] == pytest.approx(0.5)


def test_per_category_keeps_every_expected_category_with_counts():
    rows = [{"pairing": "human-object", "if": 0.5}]
    cats = per_category(rows, "pairing", expected={"human-object": 2, "human-animal": 3})
    assert cats["human-animal"] == {"expected": 3, "scored": 0, "videos": 0,
                                    "metrics": dict.fromkeys(METRICS)}  # all its videos failed: still shown
    assert (cats["human-object"]["expected"], cats["human-object"]["scored"]) == (2, 1)


@pytest.mark.parametrize(
    ("values", "kwargs", "message"),
    [
        ([], {}, "at least 2 values"),
        ([0.1, float("nan")], {}, "finite values"),
        ([0.1, 0.2], {"samples": 0}, "samples must be an integer >= 1"),
        ([0.1, 0.2], {"level": 1.0}, r"level must be in \(0, 1\)"),
    ],
)
def test_bootstrap_rejects_bad_input(values, kwargs, message):
    with pytest.raises(ValueError, match=message):
        bootstrap_ci(values, **kwargs)


def test_bootstrap_coverage_is_near_nominal():
    # Draw many data sets from a known distribution; the 95 % interval should contain the true mean
    # about 95 % of the time (percentile bootstrap under-covers slightly at small n).
    rng = np.random.default_rng(123)
    true_mean = 0.4
    trials, hits = 300, 0
    for t in range(trials):
        sample = rng.beta(2, 3, size=40)  # mean 2 / (2 + 3) = 0.4
        lo, hi = bootstrap_ci(sample, samples=500, seed=t)
        hits += lo <= true_mean <= hi
    assert 0.88 <= hits / trials <= 0.99


def test_bootstrap_width_shrinks_like_one_over_root_n():
    rng = np.random.default_rng(5)
    small = rng.uniform(size=25)
    large = rng.uniform(size=400)
    w_small = np.subtract(*bootstrap_ci(small, seed=0)[::-1])
    w_large = np.subtract(*bootstrap_ci(large, seed=0)[::-1])
    assert w_small / w_large == pytest.approx(4.0, rel=0.3)


def test_bootstrap_level_orders_intervals():
    values = np.random.default_rng(9).normal(size=60)
    lo90, hi90 = bootstrap_ci(values, level=0.90)
    lo99, hi99 = bootstrap_ci(values, level=0.99)
    assert lo99 < lo90 < statistics.fmean(values) < hi90 < hi99


# ------------------------------------------------------------------------------------- Rank(UB)
def test_rank_ub_overlapping_intervals_share_rank_one():
    assert rank_ub({"a": (0.5, 0.7), "b": (0.6, 0.8), "c": (0.55, 0.65)}) == {"a": 1, "b": 1, "c": 1}


def test_rank_ub_disjoint_intervals_are_strictly_ordered():
    cis = {"low": (0.1, 0.2), "high": (0.7, 0.8), "mid": (0.4, 0.5)}
    assert rank_ub(cis) == {"low": 3, "high": 1, "mid": 2}


def test_rank_ub_chain_and_touching_bounds():
    cis = {"a": (0.8, 0.9), "b": (0.7, 0.85), "c": (0.5, 0.7), "d": (0.1, 0.2)}
    # c's upper bound touches b's lower bound: not entirely above, so only a counts against c.
    assert rank_ub(cis) == {"a": 1, "b": 1, "c": 2, "d": 4}


def test_rank_ub_matches_naive_on_random_intervals():
    rng = random.Random(2)
    for _ in range(200):
        cis = {}
        for i in range(rng.randint(1, 8)):
            a, b = rng.uniform(-1, 1), rng.uniform(-1, 1)
            cis[f"m{i}"] = (min(a, b), max(a, b))
        assert rank_ub(cis) == naive_rank(cis)


def _model(mean, scored, expected, ci=0.05):
    return {"mean": mean, "ci_low": None if scored < 2 else mean - ci,
            "ci_high": None if scored < 2 else mean + ci, "scored": scored, "expected": expected}


def test_a_model_with_one_of_100_videos_is_not_ranked_above_a_complete_one():
    out = rank_models({"one": _model(0.95, 1, 100), "all": _model(0.50, 100, 100)})
    assert out["all"] == {"ranked": True, "rank": 1, "rank_ub": 1, "coverage": 1.0}
    assert out["one"] == {"ranked": False, "rank": None, "rank_ub": None, "coverage": 0.01}


def test_rank_ub_is_computed_among_complete_models_only():
    # the partial model's high, narrow CI would push both complete models down if it counted
    out = rank_models({"a": _model(0.6, 10, 10), "b": _model(0.3, 10, 10),
                       "partial": {**_model(0.99, 2, 10), "ci_low": 0.98, "ci_high": 0.99}})
    assert [out[k]["rank_ub"] for k in ("a", "b", "partial")] == [1, 2, None]
    assert [out[k]["rank"] for k in ("a", "b", "partial")] == [1, 2, None]


def test_ranking_rule_edge_cases():
    out = rank_models({"stopped": {**_model(0.9, 5, 5), "complete": False}, "none": _model(None, 0, 0),
                       "tie1": _model(0.4, 3, 3), "tie2": _model(0.4, 3, 3), "low": _model(0.1, 3, 3),
                       "single": _model(0.2, 1, 1)})
    assert not out["stopped"]["ranked"] and not out["none"]["ranked"] and out["none"]["coverage"] is None
    assert [out[k]["rank"] for k in ("tie1", "tie2", "single", "low")] == [1, 1, 3, 4]
    assert out["single"]["rank_ub"] is None  # complete, but one video has no CI: ranked by mean only


def test_rank_ub_rejects_inverted_interval():
    with pytest.raises(ValueError, match="low <= high"):
        rank_ub({"a": (0.5, 0.4)})


# ---------------------------------------------------------------------------------------- rates
def test_rates_pool_counts():
    rows = [
        {"answered": 8, "missing_answers": 2, "yes": 4, "implausible": 2, "if": 0.3,
         "emergence_frames_count": 2, "disappearance_frames_count": 1, "compared_frames": 10},
        {"answered": 12, "missing_answers": 0, "yes": 6, "implausible": 0, "if": 0.1,
         "emergence_frames_count": 0, "disappearance_frames_count": 3, "compared_frames": 16},
        {"answered": 0, "missing_answers": 10, "yes": 0, "implausible": 0, "if": None,
         "emergence_frames_count": None, "disappearance_frames_count": None, "compared_frames": 10},
    ]
    r = rates(rows, expected=5)
    assert r["implausible_rate"] == 2 / 20
    assert r["yes_rate"] == 10 / 20
    assert r["missing_answer_rate"] == 12 / 32
    assert r["emergence_rate"] == 2 / 26  # the failed call's frames are not compared frames
    assert r["disappearance_rate"] == 4 / 26
    assert r["changes_failed"] == 1
    assert (r["scored"], r["expected"], r["coverage"]) == (2, 5, 0.4)


def test_rates_with_nothing_answered_are_none():
    r = rates([])
    assert r["implausible_rate"] is None and r["emergence_rate"] is None and r["coverage"] is None


def test_round_reference_is_three_decimals():
    assert round_reference(1 / 3) == 0.333
    assert round_reference(0.6665) == round(0.6665, 3)
    assert round_reference(0) == 0

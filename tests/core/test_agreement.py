"""`intergeneval agree`: agreement statistics, run folders and label exports as sides, and the command."""

from __future__ import annotations

import itertools
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import stats  # a reference only (the dev extra): the library computes with numpy
from typer.testing import CliRunner

from intergeneval import agreement
from intergeneval.agreement import (LABELS_FORMAT, compare, kappa_from_counts, kendall_tau_b, labels_side,
                                    load_side, spearman)
from intergeneval.cli import app
from intergeneval.errors import ConfigError, DataFormatError
from intergeneval.runconfig import EvalConfig
from intergeneval.runner import evaluate
from intergeneval.synthetic import make_scene_set


# -- statistics against definitions written out longhand -------------------------------------------------
def _kappa_longhand(a: list[int], b: list[int]) -> float:
    n = len(a)
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    return (po - pe) / (1 - pe)


def _ranks_longhand(v: list[float]) -> list[float]:
    return [sum(1 for y in v if y < x) + (sum(1 for y in v if y == x) + 1) / 2 for x in v]


def _tau_b_longhand(x: list[float], y: list[float]) -> float:
    c = d = tx = ty = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        if sx and sy:
            c, d = c + (sx == sy), d + (sx != sy)
        tx, ty = tx + (sx == 0 and sy != 0), ty + (sy == 0 and sx != 0)
    return (c - d) / np.sqrt((c + d + tx) * (c + d + ty))


def test_kappa_matches_its_definition():
    rng = np.random.default_rng(1)
    for _ in range(20):
        a = rng.integers(0, 2, 30).tolist()
        b = [x if rng.random() < 0.7 else 1 - x for x in a]
        counts = np.array([sum(x and y for x, y in zip(a, b, strict=True)),
                           sum(x and not y for x, y in zip(a, b, strict=True)),
                           sum(not x and y for x, y in zip(a, b, strict=True)),
                           sum(not x and not y for x, y in zip(a, b, strict=True))])
        assert kappa_from_counts(counts) == pytest.approx(_kappa_longhand(a, b))
    assert kappa_from_counts(np.array([20, 5, 10, 15])) == pytest.approx(0.4)
    assert kappa_from_counts(np.array([0, 10, 10, 0])) == pytest.approx(-1.0)
    assert kappa_from_counts(np.array([10, 0, 0, 0])) is None  # both always yes: nothing beyond chance
    assert kappa_from_counts(np.array([0, 0, 0, 0])) is None


def test_rank_correlations_match_their_definitions_with_ties():
    rng = np.random.default_rng(2)
    for _ in range(20):
        x = rng.integers(0, 5, 9).astype(float).tolist()
        y = rng.integers(0, 5, 9).astype(float).tolist()
        rx, ry = np.array(_ranks_longhand(x)), np.array(_ranks_longhand(y))
        if rx.std() and ry.std():
            assert spearman(x, y) == pytest.approx(float(np.corrcoef(rx, ry)[0, 1]))
            assert kendall_tau_b(x, y) == pytest.approx(_tau_b_longhand(x, y))
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2], [1, 2]) is None and spearman([1, 1, 1], [1, 2, 3]) is None
    assert kendall_tau_b([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert kendall_tau_b([1, 1], [1, 2]) is None


# -- sides built from records -----------------------------------------------------------------------------
def _record(sid: str, answers: list[str], if_score: float | None, sha: str | None = None) -> dict:
    return {"scenario_id": sid, "video_sha256": sha or f"sha-{sid}",
            "status": "scored" if if_score is not None else "judge_error", "scores": {"if": if_score},
            "interactions": [{"answers": [{"slot": k + 1, "answer": a} for k, a in enumerate(answers)]}]}


def _write_run(folder: Path, records: list[dict]) -> Path:
    folder.mkdir(parents=True)
    (folder / "per_video.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


YES, NO = ["yes"] * 10, ["no"] * 10


def test_identical_runs_agree_fully_and_flipped_runs_never(tmp_path):
    recs = [_record(f"s{i}", ["yes" if (i + k) % 2 else "no" for k in range(10)], 0.1 * i) for i in range(6)]
    a = _write_run(tmp_path / "a", recs)
    b = _write_run(tmp_path / "b", recs)
    res = compare(load_side(a), load_side(b), samples=200)
    assert res["matched"] == {"videos": 6, "only_a": 0, "only_b": 0, "different_video": 0,
                              "other_suite": 0}
    assert res["pooled"]["all"]["agreement"] == 1.0 and res["pooled"]["all"]["kappa"] == pytest.approx(1.0)
    assert res["pooled"]["all"]["n"] == 60
    assert res["if_spearman"]["rho"] == pytest.approx(1.0) and res["if_spearman"]["n"] == 6
    assert res["ranking_kendall"] is None  # one model per side

    flip = [_record(r["scenario_id"], ["no" if a["answer"] == "yes" else "yes"
                                       for a in r["interactions"][0]["answers"]], 1 - r["scores"]["if"])
            for r in recs]
    c = _write_run(tmp_path / "c", flip)
    res = compare(load_side(a), load_side(c), samples=200)
    assert res["pooled"]["all"]["agreement"] == 0.0 and res["pooled"]["all"]["kappa"] == pytest.approx(-1.0)
    assert res["if_spearman"]["rho"] == pytest.approx(-1.0)


def test_per_slot_figures_missing_answers_and_other_videos(tmp_path):
    a_recs = [_record(f"s{i}", YES, 0.5 + 0.05 * i) for i in range(8)]
    b_recs = []
    for i in range(8):
        ans = list(YES)
        ans[1] = "no" if i < 4 else "yes"  # slot 2: agreement 0.5
        ans[6] = "no (visually implausible)"  # slot 7: never agrees; implausible counts as no
        ans[9] = None  # slot 10: missing on side B, left out
        b_recs.append(_record(f"s{i}", ans, 0.5 + 0.05 * i))
    b_recs[7]["video_sha256"] = "another video"
    a, b = _write_run(tmp_path / "a", a_recs), _write_run(tmp_path / "b", b_recs)
    res = compare(load_side(a), load_side(b), samples=200)
    assert res["matched"] == {"videos": 7, "only_a": 0, "only_b": 0, "different_video": 1,
                              "other_suite": 0}
    slots = {s["slot"]: s for s in res["slots"]}
    assert slots[1]["agreement"] == 1.0 and slots[1]["kappa"] is None  # both always yes
    assert slots[2]["agreement"] == pytest.approx(3 / 7) and slots[2]["yes_rate_b"] == pytest.approx(3 / 7)
    assert slots[7]["agreement"] == 0.0 and slots[7]["yes_rate_b"] == 0.0
    assert slots[10]["n"] == 0 and slots[10]["agreement"] is None
    assert res["pooled"]["sgi"]["n"] == 7 * 3
    lo, hi = slots[2]["agreement_ci"]
    assert 0.0 <= lo <= 3 / 7 <= hi <= 1.0 and lo < hi


def test_kendall_over_several_models_and_its_ci(tmp_path):
    levels = {"m1": 0.9, "m2": 0.6, "m3": 0.3, "m4": 0.1}
    rng = np.random.default_rng(0)
    for side, order in (("a", levels), ("b", levels), ("c", dict(zip(levels, reversed(levels.values()),
                                                                      strict=True)))):
        for model, level in order.items():
            _write_run(tmp_path / side / model,
                       [_record(f"s{i}", YES, float(level + rng.normal(0, 0.02))) for i in range(10)])
    same = compare(load_side(tmp_path / "a"), load_side(tmp_path / "b"), samples=300)
    assert same["ranking_kendall"]["models"] == 4 and same["ranking_kendall"]["tau"] == pytest.approx(1.0)
    assert same["ranking_kendall"]["ci"] == [pytest.approx(1.0), pytest.approx(1.0)]
    assert same["matched"]["videos"] == 40
    rev = compare(load_side(tmp_path / "a"), load_side(tmp_path / "c"), samples=300)
    assert rev["ranking_kendall"]["tau"] == pytest.approx(-1.0)
    assert rev["ranking_kendall"]["mean_if"]["m1"]["a"] == pytest.approx(0.9, abs=0.03)


def _labels(*items: tuple[str, str, int, str, int]) -> dict:
    return {"format": LABELS_FORMAT, "labels": [
        {"scenario_id": sid, "video_sha256": sha, "key_interaction": 0, "slot": slot, "answer": ans,
         "labeller": who} for sid, sha, slot, ans, who in items]}


def test_human_labels_majority_unsure_and_ties(tmp_path):
    side = labels_side(_labels(("s0", "sha-s0", 1, "yes", 1), ("s0", "sha-s0", 1, "yes", 2),
                               ("s0", "sha-s0", 1, "no", 3),  # majority yes
                               ("s0", "sha-s0", 2, "yes", 1), ("s0", "sha-s0", 2, "no", 2),  # tie: left out
                               ("s0", "sha-s0", 3, "unsure", 1),  # left out
                               ("s0", "sha-s0", 4, "no", 1),
                               ("s1", "other-video", 1, "no", 1)), "labels.json")
    assert side.left_out == {"unsure_labels": 1, "tied_questions": 1}
    run = _write_run(tmp_path / "run", [_record("s0", YES, 0.5), _record("s1", YES, 0.5)])
    res = compare(load_side(run), side, samples=100)
    assert res["matched"]["videos"] == 1  # s1's labels are about another video
    slots = {s["slot"]: s for s in res["slots"]}
    assert (slots[1]["n"], slots[1]["agreement"]) == (1, 1.0)
    assert (slots[2]["n"], slots[3]["n"]) == (0, 0)
    assert (slots[4]["n"], slots[4]["agreement"]) == (1, 0.0)
    assert res["if_spearman"] is None and res["ranking_kendall"] is None
    assert res["b"]["kind"] == "human labels"
    with pytest.raises(ConfigError, match="both sides are human"):
        compare(side, side)


@pytest.mark.parametrize("bad, match", [
    ({"format": "other", "labels": []}, "expected"),
    (_labels(("s0", "x", 11, "yes", 1)), "slot 11"),
    (_labels(("s0", "x", 1, "maybe", 1)), "'maybe'"),
    ({"format": LABELS_FORMAT, "labels": [{"scenario_id": "s0"}]}, "label 0 lacks"),
])
def test_bad_label_exports_are_named(bad, match):
    with pytest.raises(DataFormatError, match=match):
        labels_side(bad, "labels.json")


def test_sources_that_are_nothing_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="no such run folder"):
        load_side(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="neither a run folder"):
        load_side(tmp_path / "empty")
    a = _write_run(tmp_path / "a", [_record("s0", YES, 0.5)])
    b = _write_run(tmp_path / "b", [_record("s9", YES, 0.5)])
    with pytest.raises(ConfigError, match="no video in common"):
        compare(load_side(a), load_side(b))


# -- the command, on two real scoring runs ----------------------------------------------------------------
@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("agree")
    scenes = make_scene_set(root / "scenes", n_videos=4, frames=11, size=(48, 64), seed=5)
    data = json.loads(Path(scenes.answers).read_text())
    for entry in data["answers"].values():  # judge B: says yes to every question
        for item in entry["qa"][0]:
            item["answer"], item["frame_index"] = "yes", item["frame_index"] or 0
    other = root / "always_yes.json"
    other.write_text(json.dumps(data))
    outs = []
    for name, answers in (("a", scenes.answers), ("b", other)):
        cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=root / name, judge="scripted",
                         judge_options={"answers": str(answers)}, tracker="replay",
                         tracker_options={"root": str(scenes.tracks)}, bootstrap_samples=50, evidence=False)
        evaluate(cfg)
        outs.append(root / name)
    return outs


def test_agree_command_on_two_scoring_runs(two_runs):
    a, b = two_runs
    res = CliRunner().invoke(app, ["agree", str(a), str(b), "--json", "--samples", "100"])
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert body["matched"]["videos"] == 4
    slots = {s["slot"]: s for s in body["slots"]}
    # the truthful judge says no to slot 4 (contact) in 2 of the 4 scenes (vanish, no contact)
    assert slots[4]["agreement"] == pytest.approx(0.5) and slots[4]["yes_rate_b"] == 1.0
    assert slots[1]["agreement"] == 1.0
    table = CliRunner().invoke(app, ["agree", str(a), str(b), "--samples", "50"])
    assert table.exit_code == 0 and "Spearman" in table.stdout and "KISA" in table.stdout


def test_agree_command_errors_exit_2(two_runs, tmp_path):
    res = CliRunner().invoke(app, ["agree", str(two_runs[0]), str(tmp_path / "missing")])
    assert res.exit_code == 2 and "no such run folder" in " ".join(res.output.split())
    bad = tmp_path / "labels.json"
    bad.write_text("{not json")
    res = CliRunner().invoke(app, ["agree", str(two_runs[0]), str(bad)])
    assert res.exit_code == 2 and "labels.json" in " ".join(res.output.split())


def test_bootstrap_helper_is_seeded():
    stat = (lambda idx: float(np.mean(np.arange(10)[idx])))
    assert agreement.bootstrap(10, stat, samples=100, seed=3, level=0.9) == \
        agreement.bootstrap(10, stat, samples=100, seed=3, level=0.9)
    assert agreement.bootstrap(1, stat, samples=100, seed=3, level=0.9) == (None, None)


# -- against scipy's textbook implementations, and a bootstrap written out longhand -----------------------
def test_rank_correlations_match_scipy_with_ties_and_constant_sides():
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(300):
        n, levels = int(rng.integers(3, 12)), int(rng.integers(1, 5))  # few levels: many ties
        x, y = rng.integers(0, levels, n).astype(float), rng.integers(0, levels, n).astype(float)
        with warnings.catch_warnings():  # scipy warns about a constant side, then says nan
            warnings.simplefilter("ignore")
            rho, tau = stats.spearmanr(x, y).statistic, stats.kendalltau(x, y, variant="b").statistic
        assert (spearman(x, y) is None) == bool(np.isnan(rho))  # undefined: scipy nan, ours None
        assert (kendall_tau_b(x, y) is None) == bool(np.isnan(tau))
        if not np.isnan(rho):
            assert spearman(x, y) == pytest.approx(rho, abs=1e-12)
            assert kendall_tau_b(x, y) == pytest.approx(tau, abs=1e-12)
            checked += 1
    assert checked > 150


def test_kappa_degenerate_cases():
    # both sides one same answer to everything: nothing beyond chance to measure
    assert kappa_from_counts(np.array([7, 0, 0, 0])) is None
    assert kappa_from_counts(np.array([0, 0, 0, 7])) is None
    # one side one answer only, the other both: agreement is exactly what chance gives, kappa 0
    assert kappa_from_counts(np.array([6, 0, 4, 0])) == pytest.approx(0.0)  # A always yes
    assert kappa_from_counts(np.array([0, 0, 3, 5])) == pytest.approx(0.0)  # A always no
    assert kappa_from_counts(np.array([0, 9, 0, 0])) == pytest.approx(0.0)  # A always yes, B always no
    # perfect agreement with both answers present: 1; no pairs at all: undefined
    assert kappa_from_counts(np.array([3, 0, 0, 8])) == pytest.approx(1.0)
    assert kappa_from_counts(np.zeros(4)) is None
    stacked = kappa_from_counts(np.array([[3, 0, 0, 8], [7, 0, 0, 0], [0, 0, 0, 0]]))
    assert stacked[0] == pytest.approx(1.0) and np.isnan(stacked[1]) and np.isnan(stacked[2])


def _clustered_runs(tmp_path: Path) -> tuple[Path, Path, list[np.ndarray]]:
    """Two runs of 12 videos: on 8 the sides answer alike, on 4 side B flips every answer (agreement comes in
    whole videos, as it does when a judge misreads a video). Also the per-video 2x2 counts over all slots."""
    rng = np.random.default_rng(5)
    a_recs, b_recs, counts = [], [], []
    for v in range(12):
        a = ["yes" if rng.random() < 0.6 else "no" for _ in range(10)]
        b = a if v % 3 else ["no" if x == "yes" else "yes" for x in a]
        a_recs.append(_record(f"s{v:02d}", a, float(rng.random())))
        b_recs.append(_record(f"s{v:02d}", b, float(rng.random())))
        c = np.zeros(4, dtype=int)
        for x, y in zip(a, b, strict=True):
            c[(x != "yes") * 2 + (y != "yes")] += 1
        counts.append(c)
    return _write_run(tmp_path / "a", a_recs), _write_run(tmp_path / "b", b_recs), counts


def test_bootstrap_resamples_videos_with_percentile_bounds(tmp_path):
    a, b, counts = _clustered_runs(tmp_path)
    samples, seed = 400, 7
    res = compare(load_side(a), load_side(b), samples=samples, seed=seed)
    # longhand: resample the 12 videos with replacement, pool each resample's questions, take percentiles
    per_video = np.array(counts)
    idx = np.random.default_rng(seed).integers(0, len(per_video), size=(samples, len(per_video)))
    agree, kappas = [], []
    for row in idx:
        t = per_video[row].sum(axis=0)
        n = t.sum()
        agree.append((t[0] + t[3]) / n)
        pa, pb = (t[0] + t[1]) / n, (t[0] + t[2]) / n
        pe = pa * pb + (1 - pa) * (1 - pb)
        if pe < 1:
            kappas.append(((t[0] + t[3]) / n - pe) / (1 - pe))
    pooled = res["pooled"]["all"]
    assert pooled["agreement"] == pytest.approx(per_video[:, [0, 3]].sum() / per_video.sum())
    assert pooled["agreement_ci"] == pytest.approx(list(np.percentile(agree, [2.5, 97.5])))
    assert pooled["kappa_ci"] == pytest.approx(list(np.percentile(kappas, [2.5, 97.5])))
    # the unit is the video: resampling the 120 questions one by one would give a far narrower interval
    questions = np.repeat(np.array([1, 0, 0, 1]), per_video.sum(axis=0))  # 1 = answered alike
    q_idx = np.random.default_rng(seed).integers(0, len(questions), size=(samples, len(questions)))
    q_lo, q_hi = np.percentile(questions[q_idx].mean(axis=1), [2.5, 97.5])
    lo, hi = pooled["agreement_ci"]
    assert hi - lo > 1.5 * (q_hi - q_lo)
    # seeded: the same seed gives the same figures, another seed other intervals
    assert compare(load_side(a), load_side(b), samples=samples, seed=seed) == res
    other = compare(load_side(a), load_side(b), samples=samples, seed=seed + 1)
    assert other["pooled"]["all"]["kappa_ci"] != pooled["kappa_ci"]
    assert other["pooled"]["all"]["agreement"] == pooled["agreement"]


def test_spearman_ci_is_a_percentile_bootstrap_over_videos(tmp_path):
    a, b, _ = _clustered_runs(tmp_path)
    res = compare(load_side(a), load_side(b), samples=300, seed=3)
    x, y = (np.array([json.loads(line)["scores"]["if"] for line in (side / "per_video.jsonl").open()])
            for side in (a, b))
    assert res["if_spearman"]["rho"] == pytest.approx(stats.spearmanr(x, y).statistic)
    idx = np.random.default_rng(3).integers(0, len(x), size=(300, len(x)))
    with np.errstate(invalid="ignore", divide="ignore"):
        rhos = [stats.spearmanr(x[i], y[i]).statistic for i in idx]
    rhos = [r for r in rhos if np.isfinite(r)]
    assert res["if_spearman"]["ci"] == pytest.approx(list(np.percentile(rhos, [2.5, 97.5])))


@pytest.mark.parametrize("name", ["run[brackets]", "run[/bold]", "run[red]x"])
def test_agree_table_prints_paths_with_brackets_as_they_are(tmp_path, name):
    """The table's title names both sides' paths: Rich markup in them ([red], a stray [/bold]) is text."""
    recs = [_record(f"s{i}", ["yes" if (i + k) % 2 else "no" for k in range(10)], 0.1 * i) for i in range(4)]
    a = _write_run(tmp_path / name / "a", recs)
    b = _write_run(tmp_path / "b", recs)
    res = CliRunner().invoke(app, ["agree", str(a), str(b), "--samples", "20"], terminal_width=400)
    assert res.exit_code == 0, res.output
    shown = "".join(res.stdout.split())  # the title wraps at the table's width
    assert f"A={a}(judge)" in shown and f"B={b}(judge)" in shown


def _with_suite(folder: Path, suite_hash: str) -> Path:
    (folder / "summary.json").write_text(json.dumps({"suite": {"id": "s", "content_hash": suite_hash},
                                                     "fingerprints": {"judge": {"backend": "scripted"}}}))
    return folder


def test_labels_count_only_for_the_suite_version_they_answered(tmp_path):
    """The same video and scenario id under two suite versions: the questions (and so each slot's meaning)
    may differ, so a label given under one version is never compared with answers under the other."""
    def lab(slot, answer, suite_hash, who):
        return {"scenario_id": "s0", "video_sha256": "sha-s0", "suite_hash": suite_hash, "key_interaction": 0,
                "slot": slot, "answer": answer, "labeller": who}

    labels = {"format": LABELS_FORMAT, "labels": [
        lab(1, "yes", "sha256:v1", 1),  # under v1 the judge's yes is right
        lab(1, "no", "sha256:v2", 2), lab(1, "no", "sha256:v2", 3),  # v2 asks something else: no
    ]}
    side = labels_side(labels, "labels.json")
    v1 = _with_suite(_write_run(tmp_path / "v1", [_record("s0", YES, 0.5)]), "sha256:v1")
    res = compare(load_side(v1), side, samples=20)
    slot1 = res["slots"][0]
    assert (slot1["n"], slot1["agreement"]) == (1, 1.0)  # v1's one label, not a 2-1 majority for "no"
    v3 = _with_suite(_write_run(tmp_path / "v3", [_record("s0", YES, 0.5)]), "sha256:v3")
    with pytest.raises(ConfigError, match="no video in common"):
        compare(load_side(v3), side)
    # an export without suite hashes (written by hand) still pairs by video and scenario
    bare = labels_side({"format": LABELS_FORMAT, "labels": [
        {k: v for k, v in lab(1, "no", "", 1).items() if k != "suite_hash"}]}, "bare.json")
    assert compare(load_side(v1), bare, samples=20)["slots"][0]["agreement"] == 0.0


def test_two_runs_under_different_suite_versions_are_not_compared(tmp_path):
    recs = [_record(f"s{i}", YES, 0.5) for i in range(3)]
    a = _with_suite(_write_run(tmp_path / "a", recs), "sha256:v1")
    b = _with_suite(_write_run(tmp_path / "b", recs), "sha256:v2")
    with pytest.raises(ConfigError, match="no video in common") as e:
        compare(load_side(a), load_side(b))
    assert "'other_suite': 3" in str(e.value)
    c = _with_suite(_write_run(tmp_path / "c", recs), "sha256:v1")
    assert compare(load_side(a), load_side(c), samples=20)["matched"]["videos"] == 3

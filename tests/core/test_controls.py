"""Negative controls: derived in memory, scored like any video, cached, reported apart and flagged."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from intergeneval import controls as ctl
from intergeneval.backends import Backends
from intergeneval.cli import app
from intergeneval.controls import (EXPECTED_NO, KINDS, control_id, control_sample, controls_report,
                                   parse_kinds, swap_partners)
from intergeneval.errors import ConfigError
from intergeneval.formats import load_suite
from intergeneval.judges.scripted import ScriptedJudge
from intergeneval.runconfig import EvalConfig
from intergeneval.runner import evaluate
from intergeneval.synthetic import make_scene_set
from intergeneval.video import sample_indices

FRAMES = 6
_NO_CHANGES = {"emergence": "no", "emergence_frames": [], "disappearance": "no", "disappearance_frames": []}


def _qa(answer_of) -> list[dict]:
    return [{"question_id": s, **answer_of(s)} for s in range(1, 11)]


def _always_yes(ids) -> dict:
    """A judge that says yes to everything, on the videos and on every control."""
    qa = _qa(lambda s: {"answer": "yes", "frame_index": 0})
    return {"format": "intergeneval-scripted-answers",
            "answers": {cid: {"qa": [qa], "changes": _NO_CHANGES}
                        for sid in ids for cid in (sid, *(control_id(sid, k) for k in KINDS))}}


def _truthful(scenes) -> dict:
    """The scene set's own replies for its videos, and what the controls show for theirs."""
    data = json.loads(Path(scenes.answers).read_text())
    last = sample_indices(FRAMES)[-1]
    for sid in scenes.ids:
        own = data["answers"][sid]
        # frozen: frame 0 for the whole video: the state before the interaction, and nothing else
        still = _qa(lambda s: {"answer": "yes", "frame_index": 0} if s == 1
                    else {"answer": "no", "frame_index": None})
        data["answers"][control_id(sid, "frozen")] = {"qa": [still], "changes": _NO_CHANGES}
        # reversed: the same events, met at mirrored frames
        mirrored = [{**a, "frame_index": None if a["frame_index"] is None else last - a["frame_index"]}
                    for a in own["qa"][0]]
        data["answers"][control_id(sid, "reversed")] = {"qa": [mirrored], "changes": _NO_CHANGES}
        # swapped: none of the instances the questions name is in the video
        absent = _qa(lambda s: {"answer": "no", "frame_index": None})
        data["answers"][control_id(sid, "swapped")] = {"qa": [absent], "changes": _NO_CHANGES}
    return data


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    return make_scene_set(tmp_path_factory.mktemp("scenes"), n_videos=2, frames=FRAMES, size=(48, 64), seed=4)


def _cfg(scenes, out: Path, answers: Path, **kw) -> EvalConfig:
    return EvalConfig(videos=scenes.videos, suite=scenes.suite, out=out, judge="scripted",
                      judge_options={"answers": str(answers)}, profile="tiny", bootstrap_samples=200,
                      evidence=False, **kw)


@pytest.fixture(scope="module")
def tiny_runs(scenes, tmp_path_factory):
    """Scoring with controls on the tiny profile: an always-yes judge and a truthful one (av.open counted)."""
    import av

    root = tmp_path_factory.mktemp("controls")
    opened: list[str] = []
    real_open = av.open

    def counting_open(path, *a, **k):
        opened.append(Path(str(path)).name)
        return real_open(path, *a, **k)

    runs = {}
    models = None
    for name, data in (("yes", _always_yes(scenes.ids)), ("truthful", _truthful(scenes))):
        answers = root / f"{name}.json"
        answers.write_text(json.dumps(data))
        cfg = _cfg(scenes, root / name, answers, controls=KINDS, cache_dir=root / "cache")
        models = models or Backends(cfg)  # the tiny tracker and detector, loaded once for both judges
        av.open = counting_open
        try:
            summary = evaluate(cfg, tracker=models.tracker, detector=models.detector)
        finally:
            av.open = real_open
        runs[name] = {"cfg": cfg, "summary": summary, "opened": list(opened), "answers": answers}
        opened.clear()
    return runs


def test_always_yes_judge_gets_yes_rate_one_and_is_flagged(tiny_runs):
    rep = tiny_runs["yes"]["summary"]["controls"]
    for kind in ("frozen", "swapped"):
        exp = rep["by_kind"][kind]["expected_no"]
        assert exp["slots"] == list(EXPECTED_NO[kind]) and exp["videos"] == 2
        assert (exp["yes_rate"], exp["ci_low"], exp["flagged"]) == (1.0, 1.0, True)
    assert rep["by_kind"]["reversed"]["expected_no"] is None  # nothing known to be "no": never flagged
    assert rep["flagged"] is True


def test_truthful_judge_gets_yes_rate_zero_and_is_not_flagged(tiny_runs):
    rep = tiny_runs["truthful"]["summary"]["controls"]
    for kind in ("frozen", "swapped"):
        exp = rep["by_kind"][kind]["expected_no"]
        assert (exp["yes_rate"], exp["ci_high"], exp["flagged"]) == (0.0, 0.0, False)
    assert rep["flagged"] is False
    slots = rep["by_kind"]["frozen"]["slots"]
    assert slots["1"]["yes_rate"] == 1.0 and slots["2"]["yes_rate"] == 0.0
    assert rep["by_kind"]["frozen"]["changes"]["emergence_rate"] == 0.0
    assert set(rep["originals"]["slots"]) == {str(s) for s in range(1, 11)}


def test_controls_never_enter_the_models_scores(tiny_runs, scenes):
    run = tiny_runs["truthful"]
    out = run["cfg"].out
    own = [json.loads(x) for x in (out / "per_video.jsonl").read_text().splitlines()]
    assert [r["scenario_id"] for r in own] == list(scenes.ids)
    controls = [json.loads(x) for x in (out / "controls.jsonl").read_text().splitlines()]
    expected = sorted(control_id(s, k) for s in scenes.ids for k in KINDS)
    assert sorted(r["scenario_id"] for r in controls) == expected
    assert all(r["control"]["kind"] in KINDS for r in controls)
    swapped = [r["control"] for r in controls if r["control"]["kind"] == "swapped"]
    assert all(c["video_of"] != c["scenario_id"] for c in swapped)
    # the same run without controls (everything cached) gives the same summary, minus the controls key
    plain = evaluate(replace(run["cfg"], controls=(), out=out.parent / "plain"))
    with_controls = dict(run["summary"])
    with_controls.pop("controls")
    assert plain == with_controls
    assert run["summary"]["videos"]["expected"] == 2


def test_controls_decode_each_video_once(tiny_runs, scenes):
    # the ordinary videos and all their controls: one av.open per video file, no more
    assert sorted(tiny_runs["yes"]["opened"]) == sorted(f"{s}.mp4" for s in scenes.ids)


def test_controls_are_cached_like_ordinary_videos(tiny_runs, scenes, monkeypatch):
    import av

    run = tiny_runs["yes"]
    rep = run["summary"]["controls"]
    # controls that failed (the tiny tracker may lose an object by the last frame, which the reversed control
    # starts from) are not final: only they are tried again, from their own video
    failed = {f["scenario_id"] for k in KINDS for f in rep["by_kind"][k]["failures"]}
    records = [json.loads(x) for x in (run["cfg"].out / "controls.jsonl").read_text().splitlines()]
    retried_videos = {f"{r['control']['video_of']}.mp4" for r in records if r["scenario_id"] in failed}
    opened: list[str] = []
    real_open = av.open
    monkeypatch.setattr(av, "open", lambda p, *a, **k: opened.append(Path(str(p)).name) or real_open(p, *a,
                                                                                                     **k))
    judge = ScriptedJudge(run["answers"])
    again = evaluate(run["cfg"], judge=judge)
    assert sorted(opened) == sorted(retried_videos)
    assert {c[0] for c in judge.calls} <= failed
    assert again["controls"]["by_kind"]["frozen"] == rep["by_kind"]["frozen"]


def test_control_cache_keys_cover_the_judge(scenes, tmp_path):
    answers = tmp_path / "yes.json"
    answers.write_text(json.dumps(_always_yes(scenes.ids)))
    other = tmp_path / "yes-other-bytes.json"  # the same replies in other bytes: another judge fingerprint
    other.write_text(json.dumps(_always_yes(scenes.ids), indent=1))
    cfg = _cfg(scenes, tmp_path / "out", answers, controls=("frozen",), cache_dir=tmp_path / "cache")
    evaluate(cfg, tracker=_FirstMaskTracker())
    judge = ScriptedJudge(answers)
    evaluate(cfg, judge=judge, tracker=_FirstMaskTracker())
    assert judge.calls == []
    judge = ScriptedJudge(other)
    evaluate(cfg, judge=judge, tracker=_FirstMaskTracker())
    assert {c[0] for c in judge.calls} == {*scenes.ids, *(control_id(s, "frozen") for s in scenes.ids)}


def test_controls_command_writes_only_controls(tiny_runs, scenes, tmp_path):
    run = tiny_runs["yes"]
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["controls", str(scenes.videos), "--prompts", str(scenes.suite), "--out",
                                   str(out), "--answers", str(run["answers"]), "--profile", "tiny", "--kinds",
                                   "frozen,swapped", "--cache", str(run["cfg"].cache_dir), "--no-evidence"])
    assert res.exit_code == 0, res.output
    assert "FLAGGED" in res.stdout
    body = json.loads((out / "controls.json").read_text())
    assert body["controls"]["kinds"] == ["frozen", "swapped"] and body["controls"]["flagged"] is True
    assert body["fingerprints"]["judge"]["backend"] == "scripted"
    assert not (out / "per_video.jsonl").exists()
    assert not (out / "summary.json").exists()
    bad = CliRunner().invoke(app, ["controls", str(scenes.videos), "--prompts", str(scenes.suite), "--kinds",
                                   "frozen,upside-down", "--answers", str(run["answers"]), "--profile",
                                   "tiny"])
    assert bad.exit_code == 2 and "upside-down" in bad.output


# -- failures, partners, samples, the report --------------------------------------------------------------
class _FirstMaskTracker:
    """A test tracker that holds the first-frame masks still; it fails on scenario ids it is told to."""

    name = "first-mask-test-tracker"
    needs_first_masks = True

    def __init__(self, fail_on: str = ""):
        self.fail_on = fail_on

    def fingerprint(self):
        return {"backend": self.name}

    def track(self, scenario_id, frames, first):
        if self.fail_on and scenario_id.endswith(self.fail_on):
            raise RuntimeError("this tracker refuses reversed videos")
        for t in range(len(frames)):
            yield t, first


def test_a_failing_control_is_its_own_record_and_fails_nothing_else(scenes, tmp_path):
    answers = tmp_path / "yes.json"
    answers.write_text(json.dumps(_always_yes(scenes.ids)))
    cfg = _cfg(scenes, tmp_path / "out", answers, controls=KINDS)
    summary = evaluate(cfg, tracker=_FirstMaskTracker(fail_on="~reversed"))
    assert summary["videos"]["scored"] == 2
    rev = summary["controls"]["by_kind"]["reversed"]
    assert rev["judged"] == 0 and len(rev["failures"]) == 2
    assert all(f["status"] == "tracking_error" and "refuses reversed" in f["reason"] for f in rev["failures"])
    assert summary["controls"]["by_kind"]["frozen"]["judged"] == 2
    # failed controls are not cached: the next run tries them again
    judge = ScriptedJudge(answers)
    evaluate(cfg, judge=judge, tracker=_FirstMaskTracker())
    assert {c[0] for c in judge.calls} == {control_id(s, "reversed") for s in scenes.ids}


def test_a_video_that_cannot_be_read_fails_its_controls_with_the_reason(scenes, tmp_path):
    import shutil

    videos = tmp_path / "videos"
    shutil.copytree(scenes.videos, videos)
    (videos / f"{scenes.ids[1]}.mp4").write_bytes(b"not a video")
    answers = tmp_path / "yes.json"
    answers.write_text(json.dumps(_always_yes(scenes.ids)))
    cfg = replace(_cfg(scenes, tmp_path / "out", answers, controls=KINDS), videos=videos)
    rep = evaluate(cfg, tracker=_FirstMaskTracker())["controls"]
    failed = {f["scenario_id"]: f for k in KINDS for f in rep["by_kind"][k]["failures"]}
    assert failed[control_id(scenes.ids[1], "frozen")]["status"] == "unreadable"
    assert scenes.ids[1] in failed[control_id(scenes.ids[1], "frozen")]["reason"]


def test_replay_tracker_cannot_run_controls(scenes, tmp_path):
    cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=tmp_path, judge="scripted",
                     judge_options={"answers": str(scenes.answers)}, tracker="replay",
                     tracker_options={"root": str(scenes.tracks)}, controls=("frozen",))
    with pytest.raises(ConfigError, match="replay"):
        evaluate(cfg)


def test_kinds_partners_and_sample():
    assert parse_kinds(None) == KINDS and parse_kinds("swapped, frozen") == ("frozen", "swapped")
    with pytest.raises(ConfigError, match="'sideways'"):
        parse_kinds("frozen,sideways")
    suite = load_suite("intergeneval-open-v1")
    scenarios = list(suite.scenarios[:12])
    partners = swap_partners(scenarios)
    by_id = {s.id: s for s in scenarios}
    for q, v in partners.items():
        assert q != v
        assert not {o.cls.lower() for o in by_id[q].objects} & {o.cls.lower() for o in by_id[v].objects}
    a = control_sample(scenarios, 5)
    assert len(a) == 5 and control_sample(list(reversed(scenarios)), 5) == list(reversed(a))
    assert control_sample(scenarios, None) == scenarios
    same = [replace(scenarios[0], id=f"only-{i}") for i in range(3)]  # one class set: nobody to swap with
    assert swap_partners(same) == {}


def test_swap_partners_share_no_appearance_either():
    # another class name, the same instance: the questions' "man in a grey hoodie" would be in the video
    from intergeneval.records import ObjectSpec

    base = load_suite("intergeneval-open-v1").scenarios[0]

    def sc(sid, *objects):
        return replace(base, id=sid, objects=tuple(ObjectSpec(c, look) for c, look in objects))

    a = sc("a", ("man", "man in a grey hoodie"), ("fridge", "white fridge"))
    b = sc("b", ("person", "Man in a  grey hoodie"), ("cup", "red cup"))
    c = sc("c", ("woman", "woman in a green raincoat"), ("door", "door"))
    assert swap_partners([a, b, c]) == {"a": "c", "b": "c", "c": "a"}


def test_report_needs_two_videos_for_a_flag_and_counts_missing_nowhere():
    def rec(sid, answers, kind="frozen"):
        return {"scenario_id": control_id(sid, kind), "status": "scored", "sampled_frames": [0, 5],
                "control": {"kind": kind}, "changes": {"emergence": [5], "disappearance": []},
                "interactions": [{"answers": [{"slot": s, "answer": a} for s, a in enumerate(answers, 1)]}]}

    one = controls_report([rec("a", ["yes"] * 10)], kinds=("frozen",))
    assert one["by_kind"]["frozen"]["expected_no"]["flagged"] is None and one["flagged"] is None
    half = ["yes", "yes", None, "no", None, "no"] + ["no"] * 4  # slots 2..6: 1 yes of 3 answered
    rep = controls_report([rec("a", half), rec("b", ["no"] * 10)], kinds=("frozen",), samples=100)
    exp = rep["by_kind"]["frozen"]["expected_no"]
    assert exp["yes_rate"] == pytest.approx((1 / 3 + 0) / 2) and exp["videos"] == 2
    assert rep["by_kind"]["frozen"]["slots"]["3"]["videos"] == 1  # the missing answer counts nowhere
    assert rep["by_kind"]["frozen"]["changes"]["emergence_rate"] == 1.0


def test_the_documentation_states_the_expected_no_slots_and_the_flag():
    doc = " ".join((Path(__file__).resolve().parents[2] / "docs" / "judge-trust.md").read_text().split())
    for kind, slots in EXPECTED_NO.items():
        said = (f"slots {slots[0]}–{slots[-1]} are expected \"no\"" if slots
                else "no slot is known to be \"no\"")
        assert f"**{kind}**" in doc and said in doc, kind
    assert f"**{ctl.FLAG_THRESHOLD}**" in doc


def test_controls_give_the_same_report_with_videos_in_flight_at_once(scenes, tmp_path):
    answers = tmp_path / "yes.json"
    answers.write_text(json.dumps(_always_yes(scenes.ids)))
    reports = []
    for n in (1, 2):
        cfg = _cfg(scenes, tmp_path / f"c{n}", answers, controls=KINDS, concurrency=n)
        reports.append(evaluate(cfg, tracker=_FirstMaskTracker())["controls"])
    assert reports[0] == reports[1]
    assert reports[0]["by_kind"]["frozen"]["judged"] == 2


def test_score_command_with_controls_prints_them_beside_the_scores(tiny_runs, scenes, tmp_path):
    run = tiny_runs["truthful"]
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["score", str(scenes.videos), "--prompts", str(scenes.suite), "--out",
                                   str(out), "--answers", str(run["answers"]), "--profile", "tiny",
                                   "--no-evidence", "--cache", str(run["cfg"].cache_dir), "--controls"])
    assert res.exit_code == 0, res.output
    assert "negative controls" in res.stdout and "FLAGGED" not in res.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["controls"]["flagged"] is False and (out / "report.html").is_file()
    assert (out / "controls.jsonl").read_text().count("\n") == len(scenes.ids) * len(KINDS)


def _frozen_rec(sid: str, answers: list[str | None], kis: int = 1) -> dict:
    return {"scenario_id": control_id(sid, "frozen"), "status": "scored", "sampled_frames": [0, 5],
            "control": {"kind": "frozen"}, "changes": {"emergence": [], "disappearance": []},
            "interactions": [{"answers": [{"slot": s, "answer": a} for s, a in enumerate(answers, 1)]}] * kis}


def test_yes_rate_ci_is_a_percentile_bootstrap_of_per_video_rates():
    import numpy as np

    rng = np.random.default_rng(9)
    recs, rates = [], []
    for v in range(9):
        ans = ["yes"] + ["yes" if rng.random() < 0.3 else "no" for _ in range(9)]
        if v == 4:
            ans[2] = None  # a missing answer: out of that video's numerator and denominator
        recs.append(_frozen_rec(f"v{v}", ans, kis=1 + v % 2))  # two key interactions: pooled in the video
        got = [a for a in ans[1:6] if a is not None]
        rates.append(sum(a == "yes" for a in got) / len(got))
    rep = controls_report(recs, kinds=("frozen",), samples=500, seed=4)
    exp = rep["by_kind"]["frozen"]["expected_no"]
    idx = np.random.default_rng(4).integers(0, len(rates), size=(500, len(rates)))
    lo, hi = np.percentile(np.array(rates)[idx].mean(axis=1), [2.5, 97.5])
    assert exp["yes_rate"] == pytest.approx(float(np.mean(rates))) and exp["videos"] == 9
    assert (exp["ci_low"], exp["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
    assert exp["flagged"] is bool(lo > ctl.FLAG_THRESHOLD)
    assert controls_report(recs, kinds=("frozen",), samples=500, seed=4) == rep  # seeded


@pytest.mark.parametrize("yes_per_video, flagged", [
    (0, False),  # a judge that answers right
    (1, False),  # 1 of 5 on every video: a CI of [0.2, 0.2], not above the threshold
    (2, True),   # 2 of 5 on every video: 0.4 for sure
    (5, True),   # always yes
])
def test_the_flag_is_the_lower_ci_end_above_the_threshold(yes_per_video, flagged):
    answers = ["yes"] + ["yes"] * yes_per_video + ["no"] * (5 - yes_per_video) + ["no"] * 4
    rep = controls_report([_frozen_rec(f"v{v}", answers) for v in range(4)], kinds=("frozen",), samples=100)
    exp = rep["by_kind"]["frozen"]["expected_no"]
    assert exp["ci_low"] == pytest.approx(yes_per_video / 5) and exp["flagged"] is flagged
    assert rep["flagged"] is flagged
    # slot 1 (expected "yes") and slots 7-10 never enter the frozen flag
    assert rep["by_kind"]["frozen"]["slots"]["1"]["yes_rate"] == 1.0


def test_report_html_shows_the_controls_with_the_flag(tiny_runs, tmp_path):
    import re
    import shutil

    from intergeneval.report import write_report

    def section(name, edit=None):
        out = tmp_path / name
        shutil.copytree(tiny_runs[name]["cfg"].out, out, dirs_exist_ok=True)
        if edit:
            summary = json.loads((out / "summary.json").read_text())
            edit(summary)
            (out / "summary.json").write_text(json.dumps(summary))
        html = write_report(out).read_text()
        m = re.search(r"<section id=controls>.*?</section>", html, re.S)
        return m[0] if m else None

    def row(html, kind):
        return re.search(rf"<tr data-kind='{kind}'>.*?</tr>", html, re.S)[0]

    def hostile(summary):  # a failed control whose id and status are markup: shown as text
        bad = {"scenario_id": "<img src=x onerror=1>~frozen", "status": "<b>x</b>", "reason": "r"}
        summary["controls"]["by_kind"]["frozen"]["failures"] = [bad]

    yes = section("yes", hostile)
    assert "FLAGGED" in row(yes, "frozen") and "[1.000, 1.000]" in row(yes, "frozen")
    assert "2, 3, 4, 5, 6" in row(yes, "frozen") and "7, 8, 9, 10" in row(yes, "swapped")
    assert "never flagged" in row(yes, "reversed") and "class=warning" in yes
    assert "<img src=x" not in yes and "&lt;img src=x onerror=1&gt;~frozen: &lt;b&gt;x&lt;/b&gt;" in yes
    truthful = section("truthful")
    assert "not flagged" in row(truthful, "frozen") and "0.000" in row(truthful, "swapped")
    assert "class=warning" not in truthful and "the run&#x27;s own videos" in truthful
    # a run without controls has no such section
    assert section("truthful", lambda s: s.pop("controls")) is None

"""The one pipeline: per-video results written at once, resume after a crash, decode once, failures counted."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from intergeneval.judges.scripted import ScriptedJudge
from intergeneval.runconfig import EvalConfig
from intergeneval.runner import evaluate
from intergeneval.synthetic import make_scene_set


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    return make_scene_set(tmp_path_factory.mktemp("scenes"), n_videos=4, frames=21, size=(64, 96), seed=3)


def _cfg(scenes, out: Path, **kw) -> EvalConfig:
    return EvalConfig(videos=scenes.videos, suite=scenes.suite, out=out, judge="scripted",
                      judge_options={"answers": str(scenes.answers)}, tracker="replay",
                      tracker_options={"root": str(scenes.tracks)}, bootstrap_samples=200, **kw)


def _lines(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "per_video.jsonl").read_text().splitlines() if x.strip()]


def test_end_to_end_scores_every_video_and_writes_outputs(scenes, tmp_path):
    summary = evaluate(_cfg(scenes, tmp_path))
    assert summary["videos"] == {**summary["videos"], "expected": 4, "scored": 4, "failed": 0}
    recs = _lines(tmp_path)
    assert [r["scenario_id"] for r in recs] == list(scenes.ids)
    for r in recs:
        assert r["status"] == "scored", r["reason"]
        assert r["sampled_frames"] == [0, 5, 10, 15, 20]
        assert set(r["evidence"]) == {"0", "5", "10", "15", "20"}
        assert all((tmp_path / p).is_file() for p in r["evidence"].values())
    for f in ("summary.json", "summary.csv"):
        assert (tmp_path / f).is_file()
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["fingerprints"]["judge"]["backend"] == "scripted" and s["protocol"] == "intergeneval-v1"
    assert s["suite"]["content_hash"].startswith("sha256:")
    assert s["metrics"]["if"]["ci_low"] <= s["metrics"]["if"]["mean"] <= s["metrics"]["if"]["ci_high"]


def test_same_inputs_give_byte_identical_summaries(scenes, tmp_path):
    evaluate(_cfg(scenes, tmp_path / "a"))
    evaluate(_cfg(scenes, tmp_path / "b"))
    for f in ("summary.json", "summary.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()


class _Crash(BaseException):
    """Stands for the process being killed (not an Exception, so the runner cannot swallow it)."""


def test_killed_run_resumes_and_computes_only_missing_videos(scenes, tmp_path):
    cfg = _cfg(scenes, tmp_path)
    judge = ScriptedJudge(scenes.answers)
    real_answer = judge.answer

    def dying_answer(video, i):
        if video.scenario.id == scenes.ids[2]:
            raise _Crash()
        return real_answer(video, i)

    judge.answer = dying_answer
    with pytest.raises(_Crash):
        evaluate(cfg, judge=judge)
    assert [r["scenario_id"] for r in _lines(tmp_path)] == list(scenes.ids[:2])  # written as they finished

    judge2 = ScriptedJudge(scenes.answers)
    summary = evaluate(cfg, judge=judge2)
    assert sorted({c[0] for c in judge2.calls}) == sorted(scenes.ids[2:])  # only the missing videos
    assert summary["videos"]["scored"] == 4
    recs = _lines(tmp_path)
    assert [r["scenario_id"] for r in recs] == list(scenes.ids)
    assert [bool(r.get("cached")) for r in recs] == [True, True, False, False]


def test_each_video_is_decoded_once_per_run(scenes, tmp_path, monkeypatch):
    import av

    opened: list[str] = []
    real_open = av.open

    def counting_open(path, *a, **k):
        opened.append(Path(str(path)).name)
        return real_open(path, *a, **k)

    monkeypatch.setattr(av, "open", counting_open)
    evaluate(_cfg(scenes, tmp_path, evidence=False))
    assert sorted(opened) == sorted(f"{i}.mp4" for i in scenes.ids)


def test_cache_is_keyed_on_the_judge(scenes, tmp_path):
    evaluate(_cfg(scenes, tmp_path))
    other = json.loads(Path(scenes.answers).read_text())
    alt = tmp_path / "other_answers.json"
    alt.write_text(json.dumps(other, indent=1))  # same answers, other bytes: another judge fingerprint
    judge = ScriptedJudge(alt)
    evaluate(_cfg(scenes, tmp_path), judge=judge)
    assert sorted({c[0] for c in judge.calls}) == sorted(scenes.ids)


def test_results_read_under_earlier_reply_rules_are_never_reused(scenes, tmp_path, monkeypatch):
    """Replies read before whole-reply validation (schema 1: first answer wins, items dropped one by one) may
    have scored a video 1.0 that now reads 0.29: such cached results are recomputed, never taken as final
    (and, the judge fingerprint differing, never ranked with results read under today's rules)."""
    from intergeneval.hashing import sha256_json
    from intergeneval.judges import base

    lenient = sha256_json({"qa": base.QA_INSTRUCTION, "changes": base.CHANGES_INSTRUCTION, "schema": 1})[:16]
    monkeypatch.setattr(base, "PROMPT_TEMPLATE_HASH", lenient)
    evaluate(_cfg(scenes, tmp_path / "before"), judge=ScriptedJudge(scenes.answers))
    for entry in (tmp_path / "before" / "cache").glob("*/*/record.json"):  # what the lenient reader made
        rec = json.loads(entry.read_text())
        rec["scores"] = dict.fromkeys(rec["scores"], 1.0)
        entry.write_text(json.dumps(rec))
    monkeypatch.undo()
    judge = ScriptedJudge(scenes.answers)
    summary = evaluate(replace(_cfg(scenes, tmp_path / "after"), cache_dir=tmp_path / "before" / "cache"),
                       judge=judge)
    assert sorted({c[0] for c in judge.calls}) == sorted(scenes.ids)  # every video judged again
    assert summary["metrics"]["if"]["mean"] < 1.0


def test_bad_videos_get_a_status_and_the_run_goes_on(scenes, tmp_path):
    videos = tmp_path / "videos"
    shutil.copytree(scenes.videos, videos)
    (videos / f"{scenes.ids[0]}.mp4").write_bytes(b"not a video at all")
    (videos / f"{scenes.ids[1]}.mp4").unlink()
    summary = evaluate(replace(_cfg(scenes, tmp_path / "out"), videos=videos))
    v = summary["videos"]
    assert (v["expected"], v["scored"], v["failed"]) == (4, 2, 2)
    statuses = {f["scenario_id"]: f["status"] for f in v["failures"]}
    assert statuses == {scenes.ids[0]: "unreadable", scenes.ids[1]: "missing"}
    assert all(f["reason"] for f in v["failures"])
    assert summary["metrics"]["if"]["n"] == 2


def test_invalid_judge_replies_fail_the_video_never_score_it(scenes, tmp_path):
    data = json.loads(Path(scenes.answers).read_text())
    sid = scenes.ids[0]
    data["answers"][sid]["changes"] = "no idea"
    broken = tmp_path / "answers.json"
    broken.write_text(json.dumps(data))
    judge = ScriptedJudge(broken)
    summary = evaluate(_cfg(scenes, tmp_path / "out"), judge=judge)
    rec = next(r for r in _lines(tmp_path / "out") if r["scenario_id"] == sid)
    assert rec["status"] == "judge_error" and rec["scores"]["spi"] is None and rec["scores"]["if"] is None
    assert "emergence" in rec["reason"] and rec["changes_attempts"] == 3
    assert summary["videos"]["scored"] == 3 and summary["metrics"]["if"]["n"] == 3
    # judge failures are not cached: a rerun asks again
    judge2 = ScriptedJudge(broken)
    evaluate(_cfg(scenes, tmp_path / "out"), judge=judge2)
    assert {c[0] for c in judge2.calls} == {sid}


def test_should_stop_ends_the_run_early_and_says_so(scenes, tmp_path):
    seen = []
    summary = evaluate(_cfg(scenes, tmp_path), progress=lambda e: e.kind == "video" and seen.append(e.done),
                       should_stop=lambda: len(seen) >= 2)
    assert seen == [1, 2] and summary["complete"] is False and summary["videos"]["not_run"] == 2


def test_wrong_size_and_stride_options(scenes, tmp_path):
    summary = evaluate(_cfg(scenes, tmp_path / "a", expect_size=(640, 480)))
    assert {f["status"] for f in summary["videos"]["failures"]} == {"wrong_size"}
    evaluate(_cfg(scenes, tmp_path / "b", stride=10))
    assert _lines(tmp_path / "b")[0]["sampled_frames"] == [0, 10, 20]


def test_backend_instances_need_no_names_and_unknown_profile_is_refused(scenes, tmp_path):
    from intergeneval.errors import ConfigError
    from intergeneval.tracking.replay import ReplayTracker

    cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=tmp_path / "a", bootstrap_samples=50)
    summary = evaluate(cfg, judge=ScriptedJudge(scenes.answers), tracker=ReplayTracker(scenes.tracks))
    assert summary["videos"]["scored"] == 4
    with pytest.raises(ConfigError, match="no judge"):
        evaluate(cfg, tracker=ReplayTracker(scenes.tracks))


def test_backend_notes_become_summary_warnings(scenes, tmp_path):
    from intergeneval.tracking.replay import ReplayTracker

    class NotedTracker(ReplayTracker):
        def fingerprint(self):
            return {**super().fingerprint(), "weights": {"note": "tiny randomly initialised model"}}

    summary = evaluate(_cfg(scenes, tmp_path), tracker=NotedTracker(scenes.tracks))
    assert summary["warnings"] == ["tracker: tiny randomly initialised model"]
    from intergeneval.report import write_report

    assert "tiny randomly initialised model" in write_report(tmp_path).read_text()


def test_text_to_video_scenes_need_a_detector_unless_tracks_are_replayed(tmp_path):
    from intergeneval.formats import load_suite

    sc = make_scene_set(tmp_path / "s", n_videos=2, frames=11, size=(48, 64), text_only=1)
    suite = load_suite(sc.suite)
    assert suite.scenarios[0].masks is not None and suite.scenarios[1].masks is None
    assert evaluate(_cfg(sc, tmp_path / "replay"))["videos"]["scored"] == 2  # replay needs no first masks

    from intergeneval.tracking.replay import ReplayTracker

    class MaskedReplay(ReplayTracker):
        needs_first_masks = True

    summary = evaluate(_cfg(sc, tmp_path / "no-detector"), tracker=MaskedReplay(sc.tracks))
    assert [(f["scenario_id"], f["status"]) for f in summary["videos"]["failures"]] == [
        (sc.ids[1], "detection_error")]
    assert "no detector" in summary["videos"]["failures"][0]["reason"]


def test_a_backend_that_cannot_load_fails_before_any_video_naming_profile(scenes, tmp_path):
    from intergeneval.errors import InterGenEvalError

    # A backend named on the command line is not blamed on the profile...
    cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=tmp_path, profile="tiny", judge="scripted",
                     judge_options={"answers": str(tmp_path / "absent.json")})
    with pytest.raises(InterGenEvalError, match=r"judge 'scripted': .*absent.json") as e:
        evaluate(cfg)
    assert "profile" not in str(e.value)
    assert not (tmp_path / "per_video.jsonl").exists()
    # ...one the profile chose is.
    cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=tmp_path, profile="tiny", judge="scripted",
                     judge_options={"answers": str(scenes.answers)}, tracker_options={"max_side": 10})
    with pytest.raises(InterGenEvalError, match=r"tracker 'sam2' \(profile 'tiny'\): .*max_side"):
        evaluate(cfg)


def test_a_video_with_missing_answers_is_recomputed_by_the_next_run(scenes, tmp_path):
    data = json.loads(Path(scenes.answers).read_text())
    sid = scenes.ids[0]
    data["answers"][sid]["qa"][0] = data["answers"][sid]["qa"][0][:8]  # slots 9-10 never answered
    partial = tmp_path / "answers.json"
    partial.write_text(json.dumps(data))
    evaluate(_cfg(scenes, tmp_path / "out"), judge=ScriptedJudge(partial))
    rec = next(r for r in _lines(tmp_path / "out") if r["scenario_id"] == sid)
    # the reply is invalid as a whole: none of its answers count, not even slots 1-8
    assert rec["status"] == "judge_error" and rec["diagnostics"]["missing_answers"] == 10
    judge = ScriptedJudge(partial)
    evaluate(_cfg(scenes, tmp_path / "out"), judge=judge)
    assert {c[0] for c in judge.calls} == {sid}


def test_an_unanswered_key_interaction_is_missing_pooled_over_the_others_and_asked_again(tmp_path):
    """protocol.md Part I: a reply still invalid after the last attempt leaves that key interaction's answers
    missing (out of numerator and denominator, counted, reported); KISA/SGI pool the answers that did
    validate. The video stays scored but is never a final cache entry, so the next run asks again."""
    import copy

    from intergeneval.cache import is_final

    s = make_scene_set(tmp_path / "scenes", n_videos=1, frames=21, size=(64, 96), seed=3)
    suite = json.loads(s.suite.read_text())
    sc = suite["scenarios"][0]
    second = copy.deepcopy(sc["key_interactions"][0])
    second["questions"] = [{**q, "text": q["text"] + " again"} for q in second["questions"]]
    sc["key_interactions"].append({**second, "text": "a second interaction"})
    suite.pop("content_hash", None)
    s.suite.write_text(json.dumps(suite))
    answers = json.loads(s.answers.read_text())
    yes = [{"question_id": k, "answer": "yes", "frame_index": 5} for k in range(1, 11)]
    no = [{"question_id": k, "answer": "no", "frame_index": None} for k in range(1, 11)]
    answers["answers"][sc["id"]]["qa"] = [yes, no + no]  # every id twice: invalid, retried, then missing
    s.answers.write_text(json.dumps(answers))
    summary = evaluate(_cfg(s, tmp_path / "out"))
    rec = _lines(tmp_path / "out")[0]
    assert rec["status"] == "scored"
    assert rec["scores"]["kisa"] == 1.0 and rec["diagnostics"]["missing_answers"] == 10
    assert summary["diagnostics"]["missing_answer_rate"] == 0.5
    assert not is_final(rec)  # asked again by the next run


def test_every_category_of_the_suite_is_kept_with_expected_and_scored_counts(scenes, tmp_path):
    from intergeneval.formats import load_suite

    suite = load_suite(scenes.suite)
    pairing = suite.scenarios[0].pairing
    gone = [s.id for s in suite.scenarios if s.pairing == pairing]
    videos = tmp_path / "videos"
    shutil.copytree(scenes.videos, videos)
    for sid in gone:  # every video of this category fails
        (videos / f"{sid}.mp4").unlink()
    summary = evaluate(replace(_cfg(scenes, tmp_path / "out"), videos=videos))
    cat = summary["categories"]["pairing"][pairing]
    assert (cat["expected"], cat["scored"], cat["metrics"]["if"]) == (len(gone), 0, None)
    assert sum(c["expected"] for c in summary["categories"]["pairing"].values()) == len(suite.scenarios)
    assert summary["comparable"] is False
    assert f"{len(gone)} of 4 videos were not scored" in summary["not_comparable"][0]


def test_limit_says_n_of_m_and_not_comparable(scenes, tmp_path):
    from intergeneval.errors import ConfigError

    summary = evaluate(_cfg(scenes, tmp_path / "two", limit=2))
    assert summary["videos"]["scored"] == 2 and summary["coverage"]["suite_scenarios"] == 4
    assert summary["comparable"] is False
    assert "covered 2 of the suite's 4 scenarios" in summary["not_comparable"][0]
    full = evaluate(_cfg(scenes, tmp_path / "all"))
    assert full["comparable"] is True and full["not_comparable"] == [] and full["coverage"]["ratio"] == 1.0
    for bad in (0, -1):  # never "score everything", never "0/0 scored"
        with pytest.raises(ConfigError, match="limit must be at least 1"):
            evaluate(_cfg(scenes, tmp_path / f"bad{bad}", limit=bad))

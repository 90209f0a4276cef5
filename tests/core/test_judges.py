"""Judge reply validation, retries and missing answers (protocol Part I: failures are never successes)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from intergeneval.errors import DataFormatError, JudgeParseError
from intergeneval.formats import _parse_scenario
from intergeneval.judges.base import JudgeVideo, parse_changes_reply, parse_qa_reply
from intergeneval.judges.scripted import ScriptedJudge

from .conftest import scenario

FRAMES = (0, 5, 10, 15, 20)


def _video(sc_dict=None) -> JudgeVideo:
    from pathlib import Path

    sc, problems = _parse_scenario(Path("t.json"), 0, sc_dict or scenario("v1"), require_questions=True)
    assert not problems
    blank = np.zeros((4, 4, 3), np.uint8)
    return JudgeVideo("sha", sc, FRAMES, tuple(blank for _ in FRAMES), ("red", "green"))


def _qa(answers=None, **kw):
    answers = answers or ["yes"] * 10
    return [{"question_id": k + 1, "answer": a, "frame_index": kw.get("frame", 5)} for k, a in enumerate(answers)]


def test_qa_reply_fenced_or_bare():
    fenced = "Here you go:\n```json\n" + json.dumps(_qa()) + "\n```"
    assert len(parse_qa_reply(fenced, frames=FRAMES)) == 10
    assert parse_qa_reply("blah " + json.dumps(_qa()) + " end", frames=FRAMES)[3].answer == "yes"


def test_changes_reply_validation():
    ok = {"emergence": "yes", "emergence_frames": [10, 5], "disappearance": "no", "disappearance_frames": []}
    ch = parse_changes_reply(json.dumps(ok), frames=FRAMES)
    assert ch.emergence == (5, 10) and ch.disappearance == ()
    for bad in (
        {**ok, "emergence_frames": ["5a"]},  # not a frame index
        {**ok, "emergence_frames": [0]},  # frame 0 is the reference
        {**ok, "emergence_frames": [7]},  # not shown
        {**ok, "emergence": "no"},  # flag contradicts the list
        {"emergence_frames": [5]},  # disappearance list missing
    ):
        with pytest.raises(JudgeParseError):
            parse_changes_reply(json.dumps(bad), frames=FRAMES)


def test_scripted_judge_answers_and_counts_calls():
    judge = ScriptedJudge({"answers": {"v1": {"qa": [_qa()], "changes": {"emergence_frames": [],
                                                                         "disappearance_frames": [15]}}}})
    video = _video()
    out = judge.answer(video, 0)
    assert [a.answer for a in out.answers] == ["yes"] * 10 and out.attempts == 1 and out.missing == 0
    assert judge.changes(video).changes.disappearance == (15,)
    assert judge.calls == [("v1", "qa", 0, 1), ("v1", "changes", None, 1)]


def test_invalid_reply_is_retried_then_accepted():
    script = {"attempts": ["I think yes", json.dumps(_qa())]}
    judge = ScriptedJudge({"answers": {"v1": {"qa": [script]}}})
    out = judge.answer(_video(), 0)
    assert out.attempts == 2 and out.missing == 0 and "no JSON" in out.errors[0]


def test_still_invalid_after_attempts_is_missing_never_yes():
    judge = ScriptedJudge({"answers": {"v1": {"qa": ["garbage"], "changes": "also garbage"}}}, attempts=3)
    video = _video()
    out = judge.answer(video, 0)
    assert out.attempts == 3 and out.missing == 10
    assert all(a.answer is None for a in out.answers)
    ch = judge.changes(video)
    assert ch.changes is None and ch.attempts == 3 and len(ch.errors) == 3


def test_missing_script_is_a_judge_failure_and_bad_file_is_named(tmp_path):
    judge = ScriptedJudge({"answers": {}}, attempts=2)
    out = judge.answer(_video(), 0)
    assert out.missing == 10 and "no scripted answers" in out.errors[0]
    bad = tmp_path / "answers.json"
    bad.write_text("[")
    with pytest.raises(DataFormatError, match="answers.json"):
        ScriptedJudge(bad)


def test_fingerprint_depends_on_answer_file_content(tmp_path):
    a = tmp_path / "a.json"
    a.write_text(json.dumps({"answers": {"x": {}}}))
    fp1 = ScriptedJudge(a).fingerprint()
    a.write_text(json.dumps({"answers": {"y": {}}}))
    assert ScriptedJudge(a).fingerprint() != fp1
    assert fp1["prompt_template"] and fp1["backend"] == "scripted"

"""The qwen judge with several videos in flight: first attempts of different videos meet in one batch, each
video's frames are encoded once, and the replies are those of one call at a time; a run with
--concurrency gives the sequential run's results."""

from __future__ import annotations

import json
import threading
import time

import pytest

from intergeneval.judges.base import JudgeVideo
from intergeneval.judges.qwen import QwenJudge
from intergeneval.runconfig import EvalConfig
from intergeneval.runner import evaluate
from intergeneval.synthetic import make_scene_set

from .conftest import make_scenario, random_frames

FRAMES = (0, 5, 10)


def _video(i: int) -> JudgeVideo:
    return JudgeVideo(f"video-{i}", make_scenario(n_objects=2, n_interactions=1, sid=f"s{i}"), FRAMES,
                      tuple(random_frames(len(FRAMES), 84, 112, seed=i)), ("red", "green"))


def _judge(batch_calls: int) -> QwenJudge:
    return QwenJudge("tiny:qwen2.5-vl", constrained=True, max_pixels=112 * 112, threads=1,
                     batch_calls=batch_calls)


@pytest.fixture(scope="module")
def one_at_a_time() -> dict[str, tuple]:
    """Each video's replies from a judge that generates one call at a time."""
    judge = _judge(batch_calls=1)
    return {f"video-{i}": (judge.answer(_video(i), 0).answers, judge.changes(_video(i)).changes)
            for i in range(3)}


def test_first_attempts_of_several_videos_meet_in_one_batch(one_at_a_time):
    judge = _judge(batch_calls=6)
    batches: list[list[str]] = []
    real = judge._generate_batch
    judge._generate_batch = lambda rows: (batches.append([v.key for v, _ in rows]), real(rows))[1]
    encoded = [0]
    judge.model.model.visual.register_forward_hook(lambda *_: encoded.__setitem__(0, encoded[0] + 1))
    videos = [_video(i) for i in range(3)]
    got: dict[str, tuple] = {}

    def judged(video: JudgeVideo) -> None:
        got[video.key] = (judge.answer(video, 0).answers, judge.changes(video).changes)

    with judge._queue:
        judge._batching = True  # as if a batch were running: the three videos' calls queue up behind it
    threads = [threading.Thread(target=judged, args=(v,)) for v in videos]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(judge._pending) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(judge._pending) == 6  # each video: its QA call and its changes call
    with judge._queue:
        judge._batching = False
        judge._queue.notify_all()
    for t in threads:
        t.join(60)
    assert len(batches) == 1 and sorted(set(batches[0])) == ["video-0", "video-1", "video-2"]
    assert encoded[0] == 3  # each video's frames encoded once
    assert got == one_at_a_time


def test_one_video_alone_is_never_kept_waiting_for_others(one_at_a_time):
    judge = _judge(batch_calls=4)
    video = _video(1)
    assert (judge.answer(video, 0).answers, judge.changes(video).changes) == one_at_a_time["video-1"]
    assert judge._pending == [] and judge._replies == {}


def test_a_concurrent_run_with_the_qwen_judge_gives_the_sequential_results(tmp_path):
    scenes = make_scene_set(tmp_path / "scenes", n_videos=4, frames=11, size=(48, 64))
    judge = _judge(batch_calls=4)
    calls: list[int] = []
    real = judge._generate_batch
    judge._generate_batch = lambda rows: (calls.append(len({v.key for v, _ in rows})), real(rows))[1]

    def run(out, concurrency):
        cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=tmp_path / out, tracker="replay",
                         tracker_options={"root": str(scenes.tracks)}, concurrency=concurrency,
                         bootstrap_samples=50, evidence=False)
        return evaluate(cfg, judge=judge)

    run("seq", 1)
    assert set(calls) == {1}  # one video at a time: batches of its own calls only
    run("par", 4)
    seq = (tmp_path / "seq" / "summary.json").read_bytes()
    assert (tmp_path / "par" / "summary.json").read_bytes() == seq

    def records(out):
        rows = [json.loads(x) for x in (tmp_path / out / "per_video.jsonl").read_text().splitlines()]
        drop = ("timings", "cached")
        return {r["scenario_id"]: {k: v for k, v in r.items() if k not in drop} for r in rows}

    assert records("seq") == records("par")

"""Videos in flight: the local engine with --concurrency N gives the sequential run's results, byte for byte,
keeps N videos' judge calls in flight, appends records as videos finish, and a kill -9 loses at most the
videos in flight."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from intergeneval.engines.local import LocalEngine
from intergeneval.errors import ConfigError
from intergeneval.events import ProgressEvent
from intergeneval.judges.scripted import ScriptedJudge
from intergeneval.runconfig import EvalConfig
from intergeneval.runner import evaluate
from intergeneval.synthetic import make_scene_set

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    return make_scene_set(tmp_path_factory.mktemp("scenes"), n_videos=8, frames=21, size=(64, 96), seed=5)


def _cfg(scenes, out: Path, **kw) -> EvalConfig:
    return EvalConfig(videos=scenes.videos, suite=scenes.suite, out=out, judge="scripted",
                      judge_options={"answers": str(scenes.answers)}, tracker="replay",
                      tracker_options={"root": str(scenes.tracks)}, bootstrap_samples=200, **kw)


def _records(out: Path) -> dict[str, dict]:
    """per_video.jsonl by scenario, without the wall-clock timings (they differ from run to run)."""
    recs = [json.loads(x) for x in (out / "per_video.jsonl").read_text().splitlines() if x.strip()]
    return {r["scenario_id"]: {k: v for k, v in r.items() if k != "timings"} for r in recs}


class SlowJudge(ScriptedJudge):
    """The scripted judge with a fixed latency per call; counts the calls in flight at once."""

    def __init__(self, answers, latency: float = 0.05):
        super().__init__(answers)
        self.latency, self.in_flight, self.most = latency, 0, 0
        self._count = threading.Lock()

    def complete(self, video, request):
        with self._count:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        try:
            time.sleep(self.latency)
            return super().complete(video, request)
        finally:
            with self._count:
                self.in_flight -= 1


def test_concurrent_run_gives_the_sequential_results_byte_for_byte(scenes, tmp_path):
    evaluate(_cfg(scenes, tmp_path / "seq"))
    judge = SlowJudge(scenes.answers, latency=0.02)
    evaluate(_cfg(scenes, tmp_path / "par", concurrency=4), judge=judge)
    assert judge.most > 1  # videos really were in flight together
    for f in ("summary.json", "summary.csv"):
        assert (tmp_path / "seq" / f).read_bytes() == (tmp_path / "par" / f).read_bytes()
    seq, par = _records(tmp_path / "seq"), _records(tmp_path / "par")
    assert seq == par and len(seq) == 8
    for r in seq.values():
        for rel in r["evidence"].values():
            assert (tmp_path / "seq" / rel).read_bytes() == (tmp_path / "par" / rel).read_bytes()


def test_judge_calls_of_up_to_n_videos_are_in_flight_and_never_more(scenes, tmp_path):
    judge = SlowJudge(scenes.answers, latency=0.05)
    summary = evaluate(_cfg(scenes, tmp_path, concurrency=3, evidence=False), judge=judge)
    assert summary["videos"]["scored"] == 8
    assert judge.most == 3  # each video's calls run one after another; 3 videos at once, never 4


class ParallelJudge(SlowJudge):
    """A slow judge that takes a video's calls at once (as the `openai` judge does); counts each video's
    calls in flight too."""

    parallel_calls = True

    def __init__(self, answers, latency: float = 0.05):
        super().__init__(answers, latency)
        self.per_video: dict[str, int] = {}
        self.most_per_video = 0

    def complete(self, video, request):
        sid = video.scenario.id
        with self._count:
            self.per_video[sid] = self.per_video.get(sid, 0) + 1
            self.most_per_video = max(self.most_per_video, self.per_video[sid])
        try:
            return super().complete(video, request)
        finally:
            with self._count:
                self.per_video[sid] -= 1


def test_a_videos_calls_go_out_at_once_to_a_judge_that_takes_them_and_never_more_than_n(scenes, tmp_path):
    evaluate(_cfg(scenes, tmp_path / "seq"))
    judge = ParallelJudge(scenes.answers)
    summary = evaluate(_cfg(scenes, tmp_path / "par", concurrency=3), judge=judge)
    assert summary["videos"]["scored"] == 8
    assert judge.most == 3  # at most N calls in flight in all, of any videos
    assert judge.most_per_video == 2  # a video's QA call and its changes call were in flight together
    for f in ("summary.json", "summary.csv"):
        assert (tmp_path / "seq" / f).read_bytes() == (tmp_path / "par" / f).read_bytes()
    assert _records(tmp_path / "seq") == _records(tmp_path / "par")
    one = ParallelJudge(scenes.answers, latency=0.01)
    evaluate(_cfg(scenes, tmp_path / "one", evidence=False), judge=one)
    assert one.most == 1  # --concurrency 1: one call at a time


def test_a_failed_call_among_calls_sent_at_once_fails_its_video_alone(scenes, tmp_path):
    from intergeneval.errors import JudgeError

    judge = ParallelJudge(scenes.answers, latency=0.02)
    real = judge.complete

    def refusing(video, request):
        if video.scenario.id == scenes.ids[2] and request.kind == "changes":
            raise JudgeError("server said 500")
        return real(video, request)

    judge.complete = refusing
    summary = evaluate(_cfg(scenes, tmp_path, concurrency=4), judge=judge)
    assert summary["videos"]["scored"] == 7
    failure = summary["videos"]["failures"][0]
    assert failure["scenario_id"] == scenes.ids[2] and failure["status"] == "judge_error"
    assert "server said 500" in failure["reason"]
    assert all(v == 0 for v in judge.per_video.values())  # no call was left running


def test_records_are_appended_as_each_video_finishes_and_events_are_serialised(scenes, tmp_path):
    out = tmp_path / "out"
    seen: list[tuple[int, int]] = []
    stages: list[tuple[str, str, bool]] = []
    busy = threading.Lock()

    def progress(event: ProgressEvent) -> None:
        assert busy.acquire(blocking=False), "progress was called from two threads at once"
        try:
            if event.kind == "video":
                lines = (out / "per_video.jsonl").read_text().splitlines()
                seen.append((event.done, len(lines)))  # the record is on disk before the event
            else:
                stages.append((event.scenario_id, event.stage, event.seconds is None))
        finally:
            busy.release()

    judge = SlowJudge(scenes.answers, latency=0.01)
    evaluate(_cfg(scenes, out, concurrency=4), judge=judge, progress=progress)
    assert seen == [(n, n) for n in range(1, 9)]
    for sid in scenes.ids:
        mine = [(stage, start) for s, stage, start in stages if s == sid]
        assert mine == [("decode", True), ("decode", False), ("track", True), ("track", False),
                        ("overlay", True), ("overlay", False), ("judge", True), ("judge", False),
                        ("evidence", True), ("evidence", False)]


def test_models_that_serve_one_video_at_a_time_are_never_shared(scenes, tmp_path):
    """A backend without `thread_safe` is used by one video at a time, whatever the concurrency."""
    from intergeneval.tracking.replay import ReplayTracker

    class OneAtATime(ReplayTracker):
        thread_safe = False
        active = most = 0

        def track(self, scenario_id, frames, first_masks):
            type(self).active += 1
            type(self).most = max(self.most, self.active)
            time.sleep(0.02)
            try:
                yield from super().track(scenario_id, frames, first_masks)
            finally:
                type(self).active -= 1

    cfg = _cfg(scenes, tmp_path, concurrency=4, evidence=False)
    summary = evaluate(cfg, tracker=OneAtATime(scenes.tracks))
    assert summary["videos"]["scored"] == 8 and OneAtATime.most == 1


def test_stop_request_lets_the_videos_in_flight_finish_and_starts_no_more(scenes, tmp_path):
    done: list[int] = []
    summary = evaluate(_cfg(scenes, tmp_path, concurrency=3), judge=SlowJudge(scenes.answers, 0.02),
                       progress=lambda e: e.kind == "video" and done.append(e.done),
                       should_stop=lambda: len(done) >= 1)
    assert summary["complete"] is False
    # the videos in flight when the first finished (3 at the judge, the next ones prepared ahead) and the one
    # started in its place finish; no video starts after the stop request
    started = LocalEngine(3).most_in_flight + 1
    assert 1 <= summary["videos"]["scored"] <= started and summary["videos"]["not_run"] >= 8 - started


def test_a_video_that_raises_fails_alone_under_concurrency(scenes, tmp_path):
    judge = ScriptedJudge(scenes.answers)
    real = judge.answer

    def broken(video, i):
        if video.scenario.id == scenes.ids[3]:
            raise RuntimeError("judge exploded")
        return real(video, i)

    judge.answer = broken
    summary = evaluate(_cfg(scenes, tmp_path, concurrency=4), judge=judge)
    assert summary["videos"]["scored"] == 7
    failures = [(f["scenario_id"], f["status"]) for f in summary["videos"]["failures"]]
    assert failures == [(scenes.ids[3], "error")]
    assert "judge exploded" in summary["videos"]["failures"][0]["reason"]


@pytest.mark.parametrize("bad", [0, -2, True, "4"])
def test_bad_concurrency_is_refused_before_any_video(scenes, tmp_path, bad):
    with pytest.raises(ConfigError, match="concurrency"):
        evaluate(_cfg(scenes, tmp_path, concurrency=bad))
    assert not (tmp_path / "per_video.jsonl").exists()


def test_unknown_engine_and_local_engine_with_an_address_are_refused(scenes, tmp_path):
    with pytest.raises(ConfigError, match="unknown engine 'spark'"):
        evaluate(_cfg(scenes, tmp_path, engine="spark"))
    with pytest.raises(ConfigError, match="--engine ray"):
        evaluate(_cfg(scenes, tmp_path, address="10.0.0.1:6379"))


_KILLED_RUN = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from intergeneval.judges.scripted import ScriptedJudge
    from intergeneval.runconfig import EvalConfig
    from intergeneval.runner import evaluate

    videos, suite, answers, tracks, out, started = sys.argv[1:7]

    class Slow(ScriptedJudge):
        def answer(self, video, i):
            if i == 0:
                with open(started, "a") as f:  # one line per video whose judging began
                    f.write(video.scenario.id + "\\n")
            time.sleep(0.3)
            return super().answer(video, i)

    evaluate(EvalConfig(videos=Path(videos), suite=suite, out=Path(out), tracker="replay",
                        tracker_options={"root": tracks}, concurrency=3, bootstrap_samples=50),
             judge=Slow(answers))
""")


def test_kill_9_loses_at_most_the_videos_in_flight_and_a_rerun_resumes(scenes, tmp_path):
    out, started = tmp_path / "out", tmp_path / "started.txt"
    script = tmp_path / "run.py"
    script.write_text(_KILLED_RUN)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.Popen([sys.executable, str(script), str(scenes.videos), str(scenes.suite),
                             str(scenes.answers), str(scenes.tracks), str(out), str(started)], env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            jsonl = out / "per_video.jsonl"
            lines = jsonl.read_text().splitlines() if jsonl.exists() else []
            if len(lines) >= 3:
                break
            assert proc.poll() is None, "the run ended before it could be killed"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    written = set(_records(out))
    begun = set(started.read_text().split())
    assert 3 <= len(written) < 8
    assert written <= begun and len(begun - written) <= 3  # lost: only videos that were in flight

    judge = ScriptedJudge(scenes.answers)
    summary = evaluate(_cfg(scenes, out, concurrency=3), judge=judge)
    assert {c[0] for c in judge.calls} == set(scenes.ids) - written  # only the missing videos are redone
    assert summary["videos"]["scored"] == 8
    evaluate(_cfg(scenes, tmp_path / "clean"))
    assert (out / "summary.json").read_bytes() == (tmp_path / "clean" / "summary.json").read_bytes()


def test_cli_concurrency_flag(scenes, tmp_path):
    from typer.testing import CliRunner

    from intergeneval.cli import app

    result = CliRunner().invoke(app, ["score", str(scenes.videos), "--prompts", str(scenes.suite), "--out",
                                      str(tmp_path / "cli"), "--answers", str(scenes.answers), "--tracks",
                                      str(scenes.tracks), "--concurrency", "4"])
    assert result.exit_code == 0, result.output
    evaluate(_cfg(scenes, tmp_path / "seq"))
    assert _records(tmp_path / "cli") == _records(tmp_path / "seq")
    bad = CliRunner().invoke(app, ["score", str(scenes.videos), "--prompts", str(scenes.suite), "--out",
                                   str(tmp_path / "bad"), "--answers", str(scenes.answers), "--tracks",
                                   str(scenes.tracks), "--concurrency", "0"])
    assert bad.exit_code == 2 and "concurrency" in bad.output
    unused = replace(_cfg(scenes, tmp_path / "x"), concurrency=2)
    assert "concurrency" not in unused.public()  # how videos run never enters the summary


def test_decoding_only_the_sampled_frames_for_a_replay_gives_the_same_results(scenes, tmp_path):
    """A tracker that reads no pixels gets only the sampled frames decoded to RGB: results are unchanged."""
    from intergeneval.tracking.replay import ReplayTracker

    class PixelReplay(ReplayTracker):
        needs_pixels = True  # as if it looked at the frames: the whole video is converted

    evaluate(_cfg(scenes, tmp_path / "sparse"))
    evaluate(_cfg(scenes, tmp_path / "full"), tracker=PixelReplay(scenes.tracks))
    assert _records(tmp_path / "sparse") == _records(tmp_path / "full")
    for f in ("summary.json", "summary.csv"):
        assert (tmp_path / "sparse" / f).read_bytes() == (tmp_path / "full" / f).read_bytes()


def test_engine_ray_without_ray_installed_names_the_extra(scenes, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from intergeneval.cli import app

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if it were not installed
    with pytest.raises(ConfigError, match=r"intergeneval\[ray\]"):
        evaluate(_cfg(scenes, tmp_path / "lib", engine="ray"))
    result = CliRunner().invoke(app, ["score", str(scenes.videos), "--prompts", str(scenes.suite), "--out",
                                      str(tmp_path / "cli"), "--answers", str(scenes.answers), "--tracks",
                                      str(scenes.tracks), "--engine", "ray"])
    assert result.exit_code == 2 and "intergeneval[ray]" in result.output


def test_png_track_folders_are_read_only_at_the_sampled_frames_yet_checked_whole(scenes, tmp_path,
                                                                                  monkeypatch):
    """The reference's tracks layout: with only the sampled frames decoded, only their masks are read; a
    missing mask file of any other frame is still a tracking error."""
    import numpy as np
    from PIL import Image

    from intergeneval.tracking.replay import ReplayTracker

    root = tmp_path / "tracks"
    for sid in scenes.ids[:3]:
        masks = np.load(scenes.tracks / f"{sid}.npz")["masks"]
        for k in range(masks.shape[1]):
            (root / sid / f"id{k + 1}").mkdir(parents=True)
            for t in range(masks.shape[0]):
                png = root / sid / f"id{k + 1}" / f"{t:03d}.png"
                Image.fromarray(masks[t, k].astype(np.uint8) * 255).save(png)

    class PixelReplay(ReplayTracker):
        needs_pixels = True

    opened: list[str] = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda f, *a: (opened.append(Path(f).stem), real_open(f, *a))[1])
    cfg = replace(_cfg(scenes, tmp_path / "sparse", evidence=False), limit=3)
    evaluate(cfg, tracker=ReplayTracker(root))
    assert sorted(set(opened)) == ["000", "005", "010", "015", "020"]  # the sampled frames of 21
    evaluate(replace(cfg, out=tmp_path / "full"), tracker=PixelReplay(root))
    assert _records(tmp_path / "sparse") == _records(tmp_path / "full")
    (root / scenes.ids[1] / "id1" / "007.png").unlink()
    summary = evaluate(replace(cfg, out=tmp_path / "gap"), tracker=ReplayTracker(root))
    failures = {f["scenario_id"]: f for f in summary["videos"]["failures"]}
    gap = failures[scenes.ids[1]]
    assert gap["status"] == "tracking_error" and "007.png" in gap["reason"]


def test_leaving_early_cancels_the_calls_not_yet_sent_and_records_nothing_more(scenes, tmp_path, caplog):
    # Ctrl-C (here: the progress callback) after the first video: calls waiting for a call thread are
    # dropped, their videos stop without a record, and nothing is logged as a failure.
    judge = ParallelJudge(scenes.answers, latency=0.1)
    out = tmp_path / "out"

    def interrupt(event: ProgressEvent) -> None:
        if event.kind == "video":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        evaluate(_cfg(scenes, out, concurrency=2, evidence=False), judge=judge, progress=interrupt)
    deadline = time.monotonic() + 10
    # (the image threads are shared by every run of the process and stay)
    while any(t.name.startswith("intergeneval-") and not t.name.startswith("intergeneval-image")
              and t.is_alive() for t in threading.enumerate()):
        assert time.monotonic() < deadline, [t.name for t in threading.enumerate() if t.is_alive()]
        time.sleep(0.05)
    assert len(_records(out)) == 1
    assert 2 <= len(judge.calls) < 2 * len(scenes.ids)  # the later videos' calls were never sent
    assert not [r for r in caplog.records if r.levelname == "ERROR"]

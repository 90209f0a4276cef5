"""What `intergeneval score` prints and writes, through the real command (stdout and stderr are pipes, as in
CI logs): the report by default, JSON on request, one line per video, the legend, files it did not use."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from intergeneval import __version__


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    from intergeneval.synthetic import make_scene_set

    return make_scene_set(tmp_path_factory.mktemp("out-scenes"), n_videos=3, frames=11, size=(48, 64), seed=2)


def _score(ige, scenes, out, *extra, videos=None, **kwargs):
    return ige("score", videos or scenes.videos, "--prompts", scenes.suite, "--out", out, "--answers",
               scenes.answers, "--tracks", scenes.tracks, *extra, **kwargs)


def test_score_writes_the_report_by_default_and_says_where(ige, scenes, tmp_path):
    res = _score(ige, scenes, tmp_path / "out")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "report.html").is_file()
    assert f"report:  {tmp_path / 'out' / 'report.html'}" in res.stdout
    assert f"results: {tmp_path / 'out' / 'summary.json'}" in res.stdout
    res = _score(ige, scenes, tmp_path / "bare", "--no-report")
    assert res.returncode == 0 and not (tmp_path / "bare" / "report.html").exists()
    assert "report:" not in res.stdout


def test_one_plain_line_per_video_when_not_a_terminal(ige, scenes, tmp_path):
    res = _score(ige, scenes, tmp_path / "out")
    lines = [line for line in res.stderr.splitlines() if line.startswith("[")]
    assert [line.split(":")[0] for line in lines] == [f"[{k}/3] {sid}" for k, sid in enumerate(scenes.ids, 1)]
    assert all(re.search(r": scored, IF -?\d\.\d{3} \(\d+\.\d s\)$", line) for line in lines), lines
    assert "\x1b[" not in res.stderr + res.stdout  # no colour codes or bar redraws in a log
    again = _score(ige, scenes, tmp_path / "out")
    assert all(line.endswith("(cached)") for line in again.stderr.splitlines() if line.startswith("["))


def test_the_legend_says_what_the_numbers_mean(ige, scenes, tmp_path):
    res = _score(ige, scenes, tmp_path / "out")
    text = res.stdout
    assert "Higher is better for every metric" in text
    assert "goes negative when many frames are flagged" in text  # why SPI, hence IF, can be below 0
    for metric, span in (("KISA", "0 to 1"), ("SPI", "-4 to 1"), ("IF", "-4 to 1")):
        assert re.search(rf"│ {re.escape(metric)} +│.*│ {span} +│", text), metric
    html = (tmp_path / "out" / "report.html").read_text()
    assert "What the numbers mean" in html and "goes negative when many frames are flagged" in html


def test_json_prints_only_the_summary_on_stdout(ige, scenes, tmp_path):
    res = _score(ige, scenes, tmp_path / "out", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == json.loads((tmp_path / "out" / "summary.json").read_text())
    assert "[3/3]" in res.stderr and "report:" in res.stderr


def test_version(ige):
    res = ige("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"intergeneval {__version__}"


def test_files_no_scenario_uses_are_reported_and_other_containers_are_scored(ige, scenes, tmp_path):
    from intergeneval.video import decode, encode_video

    videos = tmp_path / "videos"
    shutil.copytree(scenes.videos, videos)
    a, b, c = scenes.ids
    (videos / f"{a}.mp4").rename(videos / f"{a}.MP4")
    frames = decode(videos / f"{b}.mp4").frames
    (videos / f"{b}.mp4").unlink()
    encode_video(videos / f"{b}.webm", frames, codec="libvpx-vp9")
    shutil.copy(videos / f"{c}.mp4", videos / f"{c}.mov")  # a second file for one id
    shutil.copy(videos / f"{c}.mp4", videos / "take-2.mp4")  # an id the suite does not have
    res = _score(ige, scenes, tmp_path / "out", videos=videos)
    assert res.returncode == 0, res.stdout + res.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["videos"]["scored"] == 3
    assert summary["videos"]["unused_files"] == [f"{c}.mov: {c}.mp4 is scored for scenario {c}",
                                                 "take-2.mp4: no scenario has the id take-2"]
    assert "not scored (2 file(s) in the videos folder that no scenario uses)" in res.stdout
    assert "take-2.mp4: no scenario has the id take-2" in res.stdout
    records = [json.loads(x) for x in (tmp_path / "out" / "per_video.jsonl").read_text().splitlines()]
    assert {r["scenario_id"]: r["video"] for r in records} == {a: f"{a}.MP4", b: f"{b}.webm", c: f"{c}.mp4"}


def test_a_file_of_another_kind_is_named_in_the_missing_reason(ige, scenes, tmp_path):
    videos = tmp_path / "videos"
    shutil.copytree(scenes.videos, videos)
    sid = scenes.ids[0]
    (videos / f"{sid}.mp4").rename(videos / f"{sid}.gif")
    res = _score(ige, scenes, tmp_path / "out", videos=videos)
    assert res.returncode == 1
    reason = f"no video for scenario {sid}: found {sid}.gif, expected one of .mp4"
    assert f"failed {sid}: missing: {videos}: {reason}" in res.stdout


def test_ctrl_c_says_where_results_are_and_a_rerun_resumes(ige, scenes, tmp_path):
    out = tmp_path / "out"
    res = _score(ige, scenes, out, env={"IGE_TEST_INTERRUPT_AFTER": "1"})
    assert res.returncode == 130, res.stderr
    assert "Traceback" not in res.stderr
    assert f"interrupted after 1 video(s). Their results are in {out / 'per_video.jsonl'}" in res.stderr
    assert "run the same command again to resume" in res.stderr
    assert len((out / "per_video.jsonl").read_text().splitlines()) == 1
    res = _score(ige, scenes, out)
    assert res.returncode == 0
    assert f"[1/3] {scenes.ids[0]}: scored, IF 1.000 (cached)" in res.stderr
    assert f"[2/3] {scenes.ids[1]}: scored, IF -0.562 (" in res.stderr  # computed now


def test_report_embed_is_one_self_contained_file(ige, scenes, tmp_path):
    assert _score(ige, scenes, tmp_path / "out").returncode == 0
    res = ige("report", tmp_path / "out", "--embed")
    assert res.returncode == 0, res.stderr
    html = (tmp_path / "out" / "report.html").read_text()
    assert "src='evidence/" not in html and "href='evidence/" not in html
    n_frames = sum(1 for _ in (tmp_path / "out" / "evidence").rglob("*.jpg"))
    assert html.count("src='data:image/jpeg;base64,") == n_frames > 0
    moved = tmp_path / "alone.html"
    shutil.move(tmp_path / "out" / "report.html", moved)  # still whole without the folder
    assert "data:image/jpeg;base64," in moved.read_text()


def test_large_videos_are_bounded(ige, scenes, tmp_path):
    from intergeneval.video import encode_video

    videos = tmp_path / "videos"
    shutil.copytree(scenes.videos, videos)
    sid = scenes.ids[0]
    # 1280x960: the 3 sampled frames a replay run keeps of 11 need 11 MB, over an 8 MB limit (cheap to
    # encode: flat grey)
    encode_video(videos / f"{sid}.mp4", np.full((11, 960, 1280, 3), 90, np.uint8), preset="ultrafast")
    res = _score(ige, scenes, tmp_path / "out", "--max-decoded-mb", "8", videos=videos)
    assert res.returncode == 1
    assert f"failed {sid}: too_large:" in res.stdout and "over the limit of 8 MB" in res.stdout
    assert "--max-side" in res.stdout



def test_help_keeps_the_extra_in_install_hints(ige):
    # Typer reads help as Rich markup: "[ray]" vanished from `score --help` ("pip install 'intergeneval'")
    res = ige("score", "--help", env={"COLUMNS": "200"})
    assert res.returncode == 0, res.stderr
    assert "pip install 'intergeneval[ray]'" in res.stdout


def test_no_help_text_loses_a_bracketed_word():
    """Every command's and option's help as printed keeps each "[...]" of its text (plugins included)."""
    import typer
    from typer.testing import CliRunner

    from intergeneval.cli import app

    def walk(command, path):
        yield command, path
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    lost = []
    for command, path in walk(typer.main.get_command(app), []):
        shown = CliRunner().invoke(app, [*path, "--help"], terminal_width=400).output
        for text in [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]:
            lost += [(path, word) for word in re.findall(r"\[[^\]\s]+\]", text.replace("\\[", "["))
                     if word not in shown]
    assert lost == []


# `intergeneval` with a tracker that takes 5 s on every video but the first, and a judge that logs the videos
# it is asked about; Ctrl-C can reach it even when the shell that started the tests ignores SIGINT.
_SLOW_TRACKER = """
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)
from intergeneval.judges.scripted import ScriptedJudge
from intergeneval.tracking.replay import ReplayTracker
fast, log = os.environ["IGE_TEST_FAST"], os.environ["IGE_TEST_JUDGED"]
track, complete = ReplayTracker.track, ScriptedJudge.complete
def slow_track(self, sid, *args):
    if sid != fast:
        time.sleep(5)
    return track(self, sid, *args)
def logged(self, video, request):
    with open(log, "a") as f:
        f.write(video.scenario.id + "\\n")
    return complete(self, video, request)
ReplayTracker.track, ScriptedJudge.complete = slow_track, logged
from intergeneval.cli import app
app(prog_name="intergeneval")
"""


def test_ctrl_c_stops_the_videos_in_flight_at_their_next_stage(scenes, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    out, judged = tmp_path / "out", tmp_path / "judged.txt"
    env = {**os.environ, "IGE_TEST_FAST": scenes.ids[0], "IGE_TEST_JUDGED": str(judged)}
    args = ["score", scenes.videos, "--prompts", scenes.suite, "--out", out, "--answers", scenes.answers,
            "--tracks", scenes.tracks, "--concurrency", "2"]
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_TRACKER, *map(str, args)], env=env, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = ""
    for line in proc.stderr:  # Ctrl-C once the first video is done and the next ones are being tracked
        err += line
        if line.startswith("[1/3]"):
            proc.send_signal(signal.SIGINT)
            break
    err += proc.stderr.read()
    assert proc.wait(timeout=60) == 130, err
    assert "interrupted after 1 video(s)" in err
    assert re.search(r"stopping the [12] video\(s\) in flight at their next step \(Ctrl-C again", err), err
    assert "Traceback" not in err and "ERROR" not in err and "failed" not in err, err
    # the videos in flight stopped after tracking: they never reached the judge (they went on unseen, and
    # failed where the shutting-down interpreter refused them a thread)
    assert judged.read_text().split() == [scenes.ids[0]] * 2  # its questions and its changes
    assert len((out / "per_video.jsonl").read_text().splitlines()) == 1


def test_controls_names_its_models_and_ctrl_c_says_where_results_are(ige, scenes, tmp_path):
    out = tmp_path / "controls"
    args = ("controls", scenes.videos, "--prompts", scenes.suite, "--out", out, "--answers", scenes.answers,
            "--profile", "tiny", "--kinds", "frozen")  # the tiny SAM2 tracker: controls need a real one
    res = ige(*args, env={"IGE_TEST_INTERRUPT_AFTER": "1"}, timeout=300)
    assert res.returncode == 130, res.stderr
    lines = res.stderr.splitlines()
    # models named as they load, without transformers' weight-loading bars; Ctrl-C said where results are
    assert lines[:3] == ["loading judge…", "loading tracker…", "loading detector…"], res.stderr
    assert len((out / "controls.jsonl").read_text().splitlines()) == 1  # the first video's frozen control
    assert lines[3:] == [f"interrupted after 1 control(s). Their results are in {out / 'controls.jsonl'} and "
                         "the cache; run the same command again to resume: finished videos are not "
                         "recomputed."], res.stderr
    res = ige(*args, timeout=300)
    assert res.returncode == 0, res.stderr
    assert len((out / "controls.jsonl").read_text().splitlines()) == 3


def test_the_summary_title_is_one_line_whatever_the_suite_name(ige, scenes, tmp_path):
    from intergeneval.formats import write_suite

    suite = json.loads(scenes.suite.read_text())
    suite["suite_id"] = "a-suite-whose-name-is-longer-than-the-table-is-wide"
    path = scenes.suite.parent / "long-name.json"  # beside the original: its masks are found
    write_suite(path, suite)
    res = ige("score", scenes.videos, "--prompts", path, "--out", tmp_path / "out", "--answers",
              scenes.answers, "--tracks", scenes.tracks)
    assert res.returncode == 0, res.stderr
    assert f"InterGenEval · {suite['suite_id']} · 3/3 videos scored\n" in res.stdout  # was wrapped

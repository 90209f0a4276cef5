"""--engine ray on a local Ray instance started by the test: the same records, summary, evidence and cache as
the local engine, resuming from the same cache, and a failing video fails alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from intergeneval.errors import ConfigError  # noqa: E402
from intergeneval.runconfig import EvalConfig  # noqa: E402
from intergeneval.runner import evaluate  # noqa: E402
from intergeneval.synthetic import make_scene_set  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    root = tmp_path_factory.mktemp("ray")
    s = make_scene_set(root / "scenes", n_videos=6, frames=21, size=(64, 96), seed=7)
    (s.videos / f"{s.ids[4]}.mp4").write_bytes(b"not a video")  # unreadable: fails alone, in both engines
    return s


def _cfg(scenes, out: Path, **kw) -> EvalConfig:
    return EvalConfig(videos=scenes.videos, suite=scenes.suite, out=out, judge="scripted",
                      judge_options={"answers": str(scenes.answers)}, tracker="replay",
                      tracker_options={"root": str(scenes.tracks)}, bootstrap_samples=200, **kw)


def _records(out: Path) -> dict[str, dict]:
    rows = [json.loads(x) for x in (out / "per_video.jsonl").read_text().splitlines() if x.strip()]
    return {r["scenario_id"]: {k: v for k, v in r.items() if k not in ("timings", "cached")} for r in rows}


def test_ray_gives_the_local_engines_results_byte_for_byte(scenes, tmp_path):
    evaluate(_cfg(scenes, tmp_path / "local"))
    summary = evaluate(_cfg(scenes, tmp_path / "ray", engine="ray", concurrency=3))
    assert summary["videos"]["scored"] == 5
    for f in ("summary.json", "summary.csv"):
        assert (tmp_path / "local" / f).read_bytes() == (tmp_path / "ray" / f).read_bytes()
    local, remote = _records(tmp_path / "local"), _records(tmp_path / "ray")
    assert local == remote
    bad = remote[scenes.ids[4]]
    assert bad["status"] == "unreadable" and str(scenes.videos / f"{scenes.ids[4]}.mp4") in bad["reason"]
    for r in local.values():
        for rel in r.get("evidence", {}).values():
            assert (tmp_path / "local" / rel).read_bytes() == (tmp_path / "ray" / rel).read_bytes()
    cache = tmp_path / "ray" / "cache"
    assert len(list(cache.glob("*/*/record.json"))) == 6  # scored and unreadable videos are final


def test_ray_resumes_from_what_the_local_engine_left(scenes, tmp_path):
    evaluate(_cfg(scenes, tmp_path / "out", limit=3))  # an interrupted local run: 3 videos done
    summary = evaluate(_cfg(scenes, tmp_path / "out", engine="ray"))
    rows = [json.loads(x) for x in (tmp_path / "out" / "per_video.jsonl").read_text().splitlines()]
    assert {r["scenario_id"] for r in rows if r.get("cached")} == set(scenes.ids[:3])
    assert summary["complete"] and summary["videos"]["expected"] == 6
    evaluate(_cfg(scenes, tmp_path / "clean"))
    clean = (tmp_path / "clean" / "summary.json").read_bytes()
    assert (tmp_path / "out" / "summary.json").read_bytes() == clean


def test_ray_builds_backends_given_as_instances_and_refuses_bad_options(scenes, tmp_path):
    from intergeneval.judges.scripted import ScriptedJudge

    cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=tmp_path / "a", tracker="replay",
                     tracker_options={"root": str(scenes.tracks)}, bootstrap_samples=200, engine="ray",
                     engine_options={"judges": 2})
    assert evaluate(cfg, judge=ScriptedJudge(scenes.answers))["videos"]["scored"] == 5
    for options, match in (({"trackers": 0}, "trackers"), ({"gpu_per_judge": 2}, "gpu_per_judge"),
                           ({"workers": 3}, "unknown engine option")):
        with pytest.raises(ConfigError, match=match):
            evaluate(_cfg(scenes, tmp_path / "b", engine="ray", engine_options=options))
    shutil.rmtree(tmp_path / "b", ignore_errors=True)


def test_ray_records_what_the_judges_server_reported(scenes, tmp_path):
    """The judge runs in a Ray actor: what its server reported (served model, system_fingerprints) comes back
    with each video's record into the summary, never the driver's unused copy of the judge (empty)."""
    import re
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    pytest.importorskip("openai")
    from intergeneval.judges.base import QA_INSTRUCTION

    class Judge(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            user = body["messages"][1]["content"][0]["text"]
            if body["messages"][0]["content"] == QA_INSTRUCTION:
                ids = sorted({int(i) for i in re.findall(r'"question_id": (\d+)', user)})
                text = json.dumps([{"question_id": i, "answer": "no", "frame_index": None} for i in ids])
            else:
                text = json.dumps({"emergence_frames": [], "disappearance_frames": []})
            choice = {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
            out = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "m-served-2025",
                              "system_fingerprint": "fp_ray", "choices": [choice]}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Judge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=tmp_path / "out", judge="openai",
                         judge_options={"model": "m", "base_url": f"http://127.0.0.1:{server.server_port}/v1"},
                         tracker="replay", tracker_options={"root": str(scenes.tracks)}, bootstrap_samples=50,
                         engine="ray")
        summary = evaluate(cfg)
    finally:
        server.shutdown()
    assert summary["videos"]["scored"] == 5
    assert summary["fingerprints"]["judge"]["served"] == {
        "models": ["m-served-2025"], "system_fingerprints": ["fp_ray"], "structured_output": "json_schema"}

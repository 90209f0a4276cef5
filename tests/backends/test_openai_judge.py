"""The `openai` judge: request layout, transport retries, bounded concurrency (against an in-process mock
transport), and one end-to-end run against a real OpenAI-compatible server on loopback (`transformers serve`
on the tiny local Qwen2.5-VL folder)."""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("openai")
httpx = pytest.importorskip("httpx")

from intergeneval.errors import ConfigError, JudgeError  # noqa: E402
from intergeneval.judges.base import QA_INSTRUCTION, JudgeRequest, JudgeVideo  # noqa: E402
from intergeneval.judges.openai_chat import OpenAIJudge  # noqa: E402

from .conftest import make_scenario, random_frames  # noqa: E402

FRAMES = (0, 5, 9)


def _video(key: str = "v1") -> JudgeVideo:
    return JudgeVideo(key, make_scenario(), FRAMES, tuple(random_frames(3, 24, 32)), ("red", "green"))


def _reply(text: str, model: str = "served-model", fingerprint: str | None = "fp_42") -> dict:
    message = {"role": "assistant", "content": text}
    return {"id": "x", "object": "chat.completion", "created": 0, "model": model,
            "system_fingerprint": fingerprint,
            "choices": [{"index": 0, "finish_reason": "stop", "message": message}]}


def _judge(handler, **kw) -> OpenAIJudge:
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return OpenAIJudge(model="m", base_url="http://judge.test/v1", http_client=client, backoff=0, **kw)


REQUEST = JudgeRequest("qa", QA_INSTRUCTION, "Questions to answer: ...", 0, 1)


def test_request_layout_text_then_labelled_lossless_frames_greedy_seeded():
    seen = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(json.loads(req.content))
        return httpx.Response(200, json=_reply("[]"))

    video = _video()
    assert _judge(handler).complete(video, REQUEST) == "[]"
    body = seen[0]
    assert body["model"] == "m" and body["temperature"] == 0 and body["seed"] == 42
    system, user = body["messages"]
    assert system == {"role": "system", "content": QA_INSTRUCTION}
    parts = user["content"]
    assert parts[0] == {"type": "text", "text": REQUEST.user}
    assert [p["text"] for p in parts[1::2]] == ["Frame 0:", "Frame 5:", "Frame 9:"]
    from PIL import Image

    for part, frame in zip(parts[2::2], video.frames, strict=True):
        url = part["image_url"]["url"]
        assert url.startswith("data:image/png;base64,")
        img = np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))
        np.testing.assert_array_equal(img, frame)


def test_frames_are_encoded_once_per_video_and_shared_by_its_calls(monkeypatch):
    import intergeneval.imaging as imaging

    count = [0]
    real = imaging.encode
    monkeypatch.setattr(imaging, "encode", lambda *a: (count.__setitem__(0, count[0] + 1), real(*a))[1])
    bodies = []
    judge = _judge(lambda req: (bodies.append(req.content), httpx.Response(200, json=_reply("[]")))[1])
    video = _video()
    for _ in range(3):
        judge.complete(video, REQUEST)
    assert count[0] == len(FRAMES)
    assert bodies[0] == bodies[1] == bodies[2]
    judge.complete(_video("v2"), REQUEST)  # another video: its own frames
    assert count[0] == 2 * len(FRAMES)


def test_jpeg_at_a_stated_quality_is_an_option_and_part_of_the_fingerprint():
    seen = []

    def handler(req):
        seen.append(json.loads(req.content))
        return httpx.Response(200, json=_reply("[]"))

    png, q90, q60 = _judge(handler), _judge(handler, image_format="jpeg"), _judge(handler, image_format="jpeg",
                                                                              jpeg_quality=60)
    assert "jpeg_quality" not in png.fingerprint()
    assert (q90.fingerprint()["image_format"], q90.fingerprint()["jpeg_quality"]) == ("jpeg", 90)
    assert len({json.dumps(j.fingerprint(), sort_keys=True) for j in (png, q90, q60)}) == 3
    video = _video()
    q60.complete(video, REQUEST)
    url = seen[0]["messages"][1]["content"][2]["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    from PIL import Image

    img = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert img.format == "JPEG" and img.size == (32, 24)
    for bad in (0, 96, 80.5, "high", True):
        with pytest.raises(ConfigError, match="quality"):
            _judge(handler, image_format="jpeg", jpeg_quality=bad)


def test_transport_failures_are_retried_with_backoff_then_succeed():
    statuses = [429, 503, 200]
    calls = []

    def handler(req):
        calls.append(1)
        status = statuses[len(calls) - 1]
        return httpx.Response(status, json=_reply("ok") if status == 200 else {"error": {"message": "busy"}},
                              headers={"retry-after": "0"})

    judge = _judge(handler)
    assert judge.complete(_video(), REQUEST) == "ok"
    assert len(calls) == 3 and judge.requests_sent == 3
    assert judge.served == {"models": ["served-model"], "system_fingerprints": ["fp_42"],
                            "structured_output": "json_schema"}


def test_client_errors_are_not_retried_and_persistent_server_errors_give_up():
    calls = []

    def bad(req):
        calls.append(1)
        return httpx.Response(400, json={"error": {"message": "bad"}})

    with pytest.raises(JudgeError, match="HTTP 400.*'s1'"):
        _judge(bad, structured="off").complete(_video(), REQUEST)
    assert len(calls) == 1
    calls.clear()
    with pytest.raises(JudgeError, match="HTTP 400.*'s1'"):  # with the schema: one more, plain, to tell
        _judge(bad).complete(_video(), REQUEST)               # a refused schema from a bad call
    assert len(calls) == 2
    calls.clear()
    judge = _judge(lambda req: (calls.append(1), httpx.Response(500, json={"error": {"message": "down"}}))[1],
                   max_retries=2)
    with pytest.raises(JudgeError, match="HTTP 500.*after 2 retries"):
        judge.complete(_video(), REQUEST)
    assert len(calls) == 3


def test_garbage_replies_end_as_missing_answers_after_the_validation_attempts():
    judge = _judge(lambda req: httpx.Response(200, json=_reply("I think yes")))
    outcome = judge.answer(_video(), 0)
    assert outcome.missing == 10 and outcome.attempts == 3 and judge.requests_sent == 3


def test_concurrent_calls_from_threads_are_bounded_by_max_concurrency():
    lock, state = threading.Lock(), {"now": 0, "peak": 0}

    def handler(req):
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.15)
        with lock:
            state["now"] -= 1
        return httpx.Response(200, json=_reply("[]"))

    judge = _judge(handler, max_concurrency=2)
    threads = [threading.Thread(target=judge.complete, args=(_video(f"v{i}"), REQUEST)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert judge.requests_sent == 6 and state["peak"] == 2


def test_configuration_comes_from_options_or_environment_and_the_key_only_from_environment(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("INTERGENEVAL_OPENAI_MODEL", raising=False)
    monkeypatch.delenv("INTERGENEVAL_OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="no model"):
        OpenAIJudge()
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        OpenAIJudge(model="gpt-4o")
    monkeypatch.setenv("INTERGENEVAL_OPENAI_MODEL", "served")
    monkeypatch.setenv("INTERGENEVAL_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    judge = OpenAIJudge()
    assert (judge.model, judge.base_url) == ("served", "http://127.0.0.1:9/v1")
    fp = judge.fingerprint()
    assert fp["backend"] == "openai" and fp["model"] == "served" and fp["decoding"]["seed"] == 42
    assert "api_key" not in json.dumps(fp) and "127.0.0.1" not in json.dumps(fp)
    with pytest.raises(TypeError):
        OpenAIJudge(api_key="sk-...")  # never an option


# ------------------------------------------------------------------------------ a real server on loopback
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served_tiny_qwen(tmp_path_factory) -> tuple[str, str]:
    """`transformers serve` on the tiny Qwen2.5-VL folder, offline, started and stopped here."""
    from intergeneval.tiny import tiny_path

    folder = str(tiny_path("qwen2.5-vl"))
    cache = tmp_path_factory.mktemp("hf-cache")  # /v1/models fails unless the hub cache folder exists
    port = _free_port()
    cli = Path(sys.executable).with_name("transformers")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_CACHE": str(cache),
           "OMP_NUM_THREADS": "1"}
    log = open(cache / "serve.log", "wb")  # noqa: SIM115 - closed below
    command = [str(cli), "serve", folder, "--host", "127.0.0.1", "--port", str(port), "--device", "cpu",
               "--dtype", "float32"]
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"transformers serve did not start: {(cache / 'serve.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield folder, f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_against_transformers_serve_on_loopback(served_tiny_qwen, monkeypatch):
    folder, base_url = served_tiny_qwen
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    judge = OpenAIJudge(model=folder, base_url=base_url, max_tokens=16, timeout=60)
    video = _video()
    reply = judge.complete(video, REQUEST)
    assert isinstance(reply, str) and reply  # a random model's text, but a real HTTP round trip
    assert judge.served["models"][0].startswith(folder)
    outcome = judge.answer(video, 0)  # random text never validates: missing, never a success
    assert outcome.missing == 10 and outcome.attempts == 3


# ------------------------------------------------------------------------------ structured output, provenance
def _qa_reply(answers: list[tuple[str, int | None]]) -> str:
    return json.dumps({"answers": [{"question_id": k + 1, "answer": a, "frame_index": f}
                                   for k, (a, f) in enumerate(answers)]})


def test_the_answer_schema_is_sent_and_accepts_exactly_the_valid_replies():
    import random

    from jsonschema import Draft202012Validator

    from intergeneval import config
    from intergeneval.errors import JudgeParseError
    from intergeneval.judges.base import parse_qa_reply

    seen = []
    reply = _qa_reply([("yes", 5)] + [("no", None)] * 9)

    def handler(req):
        seen.append(json.loads(req.content))
        return httpx.Response(200, json=_reply(reply))

    judge = _judge(handler)
    out = judge.answer(_video(), 0)
    assert out.missing == 0 and [a.answer for a in out.answers] == ["yes"] + ["no"] * 9
    fmt = seen[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    schema = Draft202012Validator(fmt["json_schema"]["schema"])
    rng = random.Random(0)
    for _ in range(400):  # the schema and the validator agree on random replies, valid or not
        n = rng.choice((9, 10))
        ids = list(range(1, n + 1))
        if rng.random() < 0.3:
            ids[-1] = ids[0]  # an id twice: a schema cannot forbid it, the validator does
        items = [{"question_id": i, "answer": rng.choice(config.ANSWERS),
                  "frame_index": rng.choice((None, 0, 5, 7))} for i in ids]
        text = json.dumps({"answers": items})
        try:
            parse_qa_reply(text, frames=FRAMES)
            valid = True
        except JudgeParseError:
            valid = False
        assert valid == (schema.is_valid(json.loads(text)) and len(set(ids)) == len(ids)), text
    bad = json.loads(_qa_reply([("yes", None)] + [("no", None)] * 9))
    assert not schema.is_valid(bad)  # yes without its frame


def test_changes_calls_carry_their_schema_too():
    from jsonschema import Draft202012Validator

    from intergeneval.judges.base import CHANGES_INSTRUCTION

    seen = []
    ok = {"emergence": "yes", "emergence_frames": [5], "emergence_reason": "", "disappearance": "no",
          "disappearance_frames": [], "disappearance_reason": ""}
    def handler(req):
        seen.append(json.loads(req.content))
        return httpx.Response(200, json=_reply(json.dumps(ok)))

    judge = _judge(handler)
    assert judge.changes(_video()).changes.emergence == (5,)
    schema = Draft202012Validator(seen[0]["response_format"]["json_schema"]["schema"])
    assert seen[0]["messages"][0]["content"] == CHANGES_INSTRUCTION
    assert schema.is_valid(ok) and not schema.is_valid({**ok, "emergence_frames": [0]})
    assert not schema.is_valid({**ok, "disappearance_frames": [7]})


def test_a_server_that_refuses_the_schema_is_asked_without_it_and_the_fallback_is_recorded():
    sent = []

    def handler(req):
        body = json.loads(req.content)
        sent.append("response_format" in body)
        if "response_format" in body:
            return httpx.Response(400, json={"error": {"message": "json_schema not supported"}})
        return httpx.Response(200, json=_reply(_qa_reply([("no", None)] * 10)))

    judge = _judge(handler)
    fingerprint = judge.fingerprint()
    assert judge.answer(_video(), 0).missing == 0
    assert judge.answer(_video("v2"), 0).missing == 0
    assert sent == [True, False, False]  # refused once, then plain for the rest of the run
    assert judge.served["structured_output"].startswith("plain (the server refused json_schema: HTTP 400")
    assert judge.fingerprint() == fingerprint  # what identifies the judge (and keys the cache) did not move
    strict = _judge(handler, structured="on")
    assert strict.answer(_video(), 0).missing == 10  # "on": a refusal is the call's failure, never plain
    off = _judge(handler, structured="off")
    assert off.answer(_video(), 0).missing == 0 and sent[-1] is False
    assert off.served["structured_output"] == "off"
    assert off.fingerprint() != fingerprint
    with pytest.raises(ConfigError, match="structured"):
        _judge(handler, structured="yes")


def test_served_model_and_system_fingerprints_are_recorded_with_results_without_breaking_resume(tmp_path):
    from intergeneval.hashing import fingerprint_identity
    from intergeneval.runconfig import EvalConfig
    from intergeneval.runner import evaluate
    from intergeneval.synthetic import make_scene_set
    from server.fingerprints import fingerprint_hash

    scenes = make_scene_set(tmp_path / "scenes", n_videos=2, frames=11, size=(32, 48), seed=5)
    calls = []

    def handler(req):
        body = json.loads(req.content)
        calls.append(1)
        if body["messages"][0]["content"] == QA_INSTRUCTION:
            text = _qa_reply([("no", None)] * 10)
        else:
            text = json.dumps({"emergence": "no", "emergence_frames": [], "disappearance": "no",
                               "disappearance_frames": []})
        # the served name differs from the one asked for; the fingerprint changes from call to call
        served = _reply(text, model="m-2025-01-01", fingerprint=f"fp_{len(calls) % 3}")
        return httpx.Response(200, json=served)

    def run():
        cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=tmp_path / "out", tracker="replay",
                         tracker_options={"root": str(scenes.tracks)}, bootstrap_samples=50)
        return evaluate(cfg, judge=_judge(handler))

    first = run()
    judge_fp = first["fingerprints"]["judge"]
    assert judge_fp["served"]["models"] == ["m-2025-01-01"]
    assert judge_fp["served"]["system_fingerprints"] == ["fp_0", "fp_1", "fp_2"]
    assert judge_fp["served"]["structured_output"] == "json_schema" and judge_fp["model"] == "m"
    on_disk = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert on_disk["fingerprints"]["judge"]["served"] == judge_fp["served"]
    assert first["videos"]["scored"] == 2 and len(calls) == 4
    second = run()  # a new process, other system_fingerprints: every video still comes from the cache
    assert len(calls) == 4 and second["videos"]["scored"] == 2
    # and the leaderboard groups both runs together
    assert fingerprint_hash(judge_fp) == fingerprint_hash(fingerprint_identity(judge_fp))


def _serving(model: list[str], refuse: list[bool] | None = None):
    """A mock server answering every call validly as `model[0]` (changed by the test between runs), with a
    new system_fingerprint per call; while `refuse[0]`, it refuses response_format."""
    calls = []

    def handler(req):
        body = json.loads(req.content)
        if refuse and refuse[0] and "response_format" in body:
            return httpx.Response(400, json={"error": {"message": "json_schema not supported"}})
        calls.append(1)
        if body["messages"][0]["content"] == QA_INSTRUCTION:
            text = _qa_reply([("no", None)] * 10)
        else:
            text = json.dumps({"emergence": "no", "emergence_frames": [], "disappearance": "no",
                               "disappearance_frames": []})
        return httpx.Response(200, json=_reply(text, model=model[0], fingerprint=f"fp_{len(calls)}"))

    return handler, calls


def _scored(tmp_path, judge, name: str) -> dict:
    """Score a small scene set with `judge`; results and cache under tmp_path/name."""
    from intergeneval.runconfig import EvalConfig
    from intergeneval.runner import evaluate
    from intergeneval.synthetic import make_scene_set

    root = tmp_path / "scenes"
    if not root.exists():
        make_scene_set(root, n_videos=2, frames=11, size=(32, 48), seed=5)
    cfg = EvalConfig(videos=root / "videos", suite=root / "suite.json", out=tmp_path / name, tracker="replay",
                     tracker_options={"root": str(root / "tracks")}, bootstrap_samples=50)
    return evaluate(cfg, judge=judge)


def test_a_resumed_run_still_names_what_served_its_cached_videos(tmp_path):
    model = ["m-2025-01-01"]
    handler, calls = _serving(model)
    first = _scored(tmp_path, _judge(handler), "out")
    served = first["fingerprints"]["judge"]["served"]
    assert served["models"] == ["m-2025-01-01"] and len(served["system_fingerprints"]) == len(calls) == 4
    model[0] = "m-2025-06-01"  # the server now serves another checkpoint under the same name
    second = _scored(tmp_path, _judge(handler), "out")  # a new process: every video from the cache
    assert len(calls) == 4 and second["videos"]["scored"] == 2
    # the results are the first run's: so is what served them (never "nothing", never a claim of json_schema
    # for calls that were not made, never the checkpoint of this run)
    assert second["fingerprints"]["judge"]["served"] == served


def test_a_judge_kept_across_runs_records_for_each_run_only_what_served_it(tmp_path):
    """A service worker keeps one judge for every job: a job's results name what served that job."""
    model, refuse = ["m-old"], [True]
    handler, _ = _serving(model, refuse)
    judge = _judge(handler)
    job1 = _scored(tmp_path, judge, "job1")["fingerprints"]["judge"]["served"]
    assert job1["models"] == ["m-old"] and job1["structured_output"].startswith("plain (the server refused")
    model[0] = "m-new"
    job2 = _scored(tmp_path, judge, "job2")["fingerprints"]["judge"]["served"]  # its own cache: new calls
    assert job2["models"] == ["m-new"]
    assert not set(job2["system_fingerprints"]) & set(job1["system_fingerprints"])

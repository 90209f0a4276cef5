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
    assert judge.served == {"model": "served-model", "system_fingerprint": "fp_42"}


def test_client_errors_are_not_retried_and_persistent_server_errors_give_up():
    calls = []
    judge = _judge(lambda req: (calls.append(1), httpx.Response(400, json={"error": {"message": "bad"}}))[1])
    with pytest.raises(JudgeError, match="HTTP 400.*'s1'"):
        judge.complete(_video(), REQUEST)
    assert len(calls) == 1
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
    assert judge.served["model"].startswith(folder)
    outcome = judge.answer(video, 0)  # random text never validates: missing, never a success
    assert outcome.missing == 10 and outcome.attempts == 3

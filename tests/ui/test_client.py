"""ApiClient against httpx.MockTransport: URLs, parameters, auth, uploads and error mapping."""

from __future__ import annotations

import json

import httpx
import pytest

from leaderboard_ui.client import ApiClient, ApiError, ApiUnavailable


def _client(handler, **kwargs) -> tuple[ApiClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return handler(request)

    return ApiClient("http://api.test/", transport=httpx.MockTransport(record), **kwargs), seen


def test_leaderboard_sends_only_the_filters_given():
    api, seen = _client(lambda r: httpx.Response(200, json={"rows": [], "groups": []}))
    api.leaderboard()
    api.leaderboard(suite="demo", suite_version="2", judge="ab12", include_reference=False)
    assert seen[0].url.path == "/api/v1/leaderboard"
    assert dict(seen[0].url.params) == {"include_reference": "true"}
    assert dict(seen[1].url.params) == {"suite": "demo", "suite_version": "2", "judge": "ab12",
                                        "include_reference": "false"}


def test_token_per_call_overrides_the_default_and_no_token_sends_no_header():
    api, seen = _client(lambda r: httpx.Response(200, json={"data": [], "count": 0}), token="default")
    api.jobs()
    api.jobs(token="mine", status="running")
    assert seen[0].headers["authorization"] == "Bearer default"
    assert seen[1].headers["authorization"] == "Bearer mine"
    assert dict(seen[1].url.params) == {"status": "running", "limit": "50"}
    anon, seen2 = _client(lambda r: httpx.Response(200, json={"status": "ok"}))
    anon.health()
    assert "authorization" not in seen2[0].headers


def test_error_body_becomes_api_error_with_problems():
    problems = [{"code": "missing_ids", "message": "no video", "items": ["003"]},
                {"code": "fps", "message": "too slow", "items": ["001.mp4"]}]
    body = {"error": {"code": "validation_failed", "message": "refused: 2 problem(s)",
                      "details": {"problems": problems}}}
    api, _ = _client(lambda r: httpx.Response(422, json=body))
    with pytest.raises(ApiError) as info:
        api.model(3)
    e = info.value
    assert (e.status, e.code, e.message) == (422, "validation_failed", "refused: 2 problem(s)")
    assert [p["code"] for p in e.problems] == ["missing_ids", "fps"]


def test_non_json_error_is_still_an_api_error_naming_the_request():
    api, _ = _client(lambda r: httpx.Response(502, text="<html>Bad gateway</html>"))
    with pytest.raises(ApiError, match="GET /api/v1/jobs/7") as info:
        api.job(7)
    assert info.value.code == "unexpected_response" and info.value.problems == []


def test_success_that_is_not_json_is_an_error():
    api, _ = _client(lambda r: httpx.Response(200, text="not json"))
    with pytest.raises(ApiError, match="not JSON"):
        api.health()


def test_connection_failure_is_api_unavailable_naming_the_server():
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    api, _ = _client(refuse)
    with pytest.raises(ApiUnavailable, match="http://api.test"):
        api.suites()


def test_models_follows_pages_until_count():
    pages = {0: [{"id": 1}, {"id": 2}], 2: [{"id": 3}]}

    def handler(request):
        offset = int(request.url.params["offset"])
        return httpx.Response(200, json={"data": pages.get(offset, []), "count": 3})

    api, seen = _client(handler)
    assert [m["id"] for m in api.models()] == [1, 2, 3]
    assert [r.url.params["offset"] for r in seen] == ["0", "2"]


def test_evidence_returns_bytes_and_type():
    jpeg = httpx.Response(200, content=b"\xff\xd8jpeg", headers={"content-type": "image/jpeg"})
    api, seen = _client(lambda r: jpeg)
    content, kind = api.evidence(9, "001", "005.jpg")
    assert (content, kind) == (b"\xff\xd8jpeg", "image/jpeg")
    assert seen[0].url.path == "/api/v1/jobs/9/evidence/001/005.jpg"


def test_submit_streams_the_archive_with_card_settings_and_key(tmp_path):
    archive = tmp_path / "videos.zip"
    payload = b"PK" + bytes(range(256)) * 600  # ~150 kB: several reads
    archive.write_bytes(payload)
    reply = {"submission": {"id": 4}, "job": {"id": 9, "status": "queued"}, "duplicate": False}
    api, seen = _client(lambda r: httpx.Response(201, json=reply))
    progress: list[tuple[int, int]] = []
    body = api.submit(archive, {"name": "m", "public": True}, token="tok", suite="demo", suite_version="1",
                      settings={"seed": 3}, idempotency_key="k-1",
                      progress=lambda d, t: progress.append((d, t)))
    assert body["job"]["id"] == 9
    req = seen[0]
    assert (req.method, req.url.path) == ("POST", "/api/v1/submissions")
    assert req.headers["authorization"] == "Bearer tok" and req.headers["idempotency-key"] == "k-1"
    raw = req.content
    assert payload in raw and b'filename="videos.zip"' in raw
    for field, value in (("model", json.dumps({"name": "m", "public": True})), ("suite", "demo"),
                         ("suite_version", "1"), ("settings", json.dumps({"seed": 3}))):
        assert f'name="{field}"\r\n\r\n{value}\r\n'.encode() in raw
    assert progress[-1] == (len(payload), len(payload)) and len(progress) > 1
    assert all(a[0] <= b[0] for a, b in zip(progress, progress[1:], strict=False))


def test_submit_without_optional_fields_sends_only_archive_and_model(tmp_path):
    archive = tmp_path / "v.tar.gz"
    archive.write_bytes(b"\x1f\x8b")
    api, seen = _client(lambda r: httpx.Response(201, json={"job": {}}))
    api.submit(archive, {"name": "m"})
    raw = seen[0].content
    assert b'name="model"' in raw and b'name="archive"' in raw
    assert b'name="suite"' not in raw and b'name="settings"' not in raw
    assert "idempotency-key" not in seen[0].headers


def test_links_are_joined_with_the_base_url():
    api, _ = _client(lambda r: httpx.Response(200))
    assert api.link("/api/v1/jobs/9") == "http://api.test/api/v1/jobs/9"
    assert api.link("https://other/x") == "https://other/x"


def test_base_url_must_be_http():
    with pytest.raises(ValueError, match="http"):
        ApiClient("localhost:8000")

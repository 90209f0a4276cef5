"""The page's upload guard (`leaderboard_ui/uploads.py`) on a mounted page (the fake API behind it): bounds,
pending cap, full disk, expiry, and page bodies."""

from __future__ import annotations

import time
from collections import namedtuple

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from ui_fake_api import create_fake_api

import leaderboard_ui
from leaderboard_ui.client import ApiClient
from leaderboard_ui.uploads import PageUploads


@pytest.fixture
def page_app(tmp_path):
    inner = TestClient(create_fake_api())

    def forward(request: httpx.Request) -> httpx.Response:
        r = inner.request(request.method, request.url.path, params=request.url.params, content=request.read(),
                          headers={k: v for k, v in request.headers.items() if k != "host"})
        return httpx.Response(r.status_code, headers=r.headers, content=r.content)

    app = FastAPI()
    leaderboard_ui.mount(app, "http://api.test", "/ui", client=ApiClient("http://api.test",
                         transport=httpx.MockTransport(forward)), upload_dir=tmp_path / "up", max_upload_bytes=2000)
    return app


def _upload(client: TestClient, size: int = 1000):
    return client.post("/ui/gradio_api/upload", files={"files": ("v.zip", b"z" * size, "application/zip")})


def test_pending_uploads_are_capped_per_page(page_app):
    uploads: PageUploads = page_app.state.page_uploads
    browsers = [TestClient(page_app) for _ in range(9)]
    answers = [_upload(b) for b in browsers]
    # Four times the upload limit (8 000 bytes) may wait at once, counting each upload by its declared length
    # (1 000 bytes and the multipart framing): seven fit, then 503.
    assert [r.status_code for r in answers] == [200] * 7 + [503] * 2 and uploads.pending_bytes() == 7000
    assert answers[-1].headers["retry-after"]
    uploads.discard(answers[0].json()[0])  # used or expired: room again
    assert _upload(browsers[-1]).status_code == 200


def test_a_full_disk_is_507(page_app, monkeypatch):
    import leaderboard_ui.uploads as mod

    monkeypatch.setattr(mod.shutil, "disk_usage", lambda _p: namedtuple("U", "total used free")(1, 1, 0))
    r = _upload(TestClient(page_app))
    assert r.status_code == 507 and r.headers["retry-after"]
    assert not any(page_app.state.page_uploads.folder.rglob("*.zip"))


def test_uploads_expire(page_app):
    uploads: PageUploads = page_app.state.page_uploads
    browser = TestClient(page_app)
    [uid] = _upload(browser).json()
    cookie = browser.cookies.get("ige_page")
    assert uploads.claim(uid, cookie) is not None
    uploads.ttl_s = 0.0
    time.sleep(0.01)
    assert uploads.claim(uid, cookie) is None and not any(uploads.folder.rglob("*.zip"))


def test_page_bodies_are_bounded(page_app):
    client = TestClient(page_app)
    r = client.post("/ui/gradio_api/queue/join", content=b"{" + b" " * (2 << 20) + b"}",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert _upload(client, size=10_000).status_code == 413  # over the upload limit

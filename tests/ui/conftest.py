"""Fixtures of the page's tests: the fake API helpers, and for `browser` tests Chromium and a real server.

Browser tests are skipped when Debian's Chromium is absent, unless INTERGENEVAL_REQUIRE_BROWSER=1 (CI), where
its absence fails them. Screenshots go to `test-artifacts/ui/`.
"""

from __future__ import annotations

import os
import shutil
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# The helpers beside these tests (`ui_fake_api`, `ui_server`) are imported by name.
sys.path.insert(0, str(Path(__file__).parent))

CHROMIUM = "/usr/bin/chromium"
#: Flags from docs: without the networking ones Chromium's own connection attempts are refused here.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"


def _chromium() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if path:
        return path
    if os.environ.get("INTERGENEVAL_REQUIRE_BROWSER") == "1":
        pytest.fail("Chromium is required (INTERGENEVAL_REQUIRE_BROWSER=1) but not installed: "
                    "apt-get install -y chromium")
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def served(tmp_path_factory) -> Iterator[object]:
    """`intergeneval serve` with seeded results (see `ui_server.start` and `seeded`)."""
    _chromium()  # no server either without a browser to look at it
    import ui_server

    data = tmp_path_factory.mktemp("ige-data")
    server = ui_server.start(data)
    try:
        yield server
    finally:
        server.stop()
        if os.environ.get("INTERGENEVAL_KEEP_SERVER_LOG"):
            shutil.copy(server.log, ARTIFACTS / "server.log")


@pytest.fixture(scope="session")
def demo_zip(served, tmp_path_factory) -> Path:
    """The demo suite's videos, written again by `make_scene_set` (same arguments, same suite), zipped."""
    from intergeneval.synthetic import make_scene_set

    scenes = make_scene_set(tmp_path_factory.mktemp("scenes"))
    path = scenes.root / "videos.zip"
    with zipfile.ZipFile(path, "w") as z:
        for video in sorted(scenes.videos.glob("*.mp4")):
            z.write(video, video.name)
    return path

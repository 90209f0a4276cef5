"""Fixtures of the page's tests: the fake API, and (for `browser` tests) Chromium and a real server."""

from __future__ import annotations

import sys
from pathlib import Path

# The helpers beside these tests (`ui_fake_api`, `ui_server`) are imported by name.
sys.path.insert(0, str(Path(__file__).parent))

"""Shared fixtures: tiny baselines built once per session in a private folder, and a small I2V suite."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from intergeneval.formats import load_suite, resolve_suite_path, write_suite


@pytest.fixture(scope="session", autouse=True)
def tiny_home(tmp_path_factory):
    """Build tiny models under a session folder, never in the user's cache."""
    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("intergeneval-home")
    mp.setenv("INTERGENEVAL_HOME", str(home))
    yield home
    mp.undo()


@pytest.fixture(scope="session")
def open_suite():
    return load_suite("intergeneval-open-v1")


@pytest.fixture(scope="session")
def i2v_suite(tmp_path_factory):
    """Three open-v1 scenarios with first frames (flat colours of different shades) and one mask per object."""
    root = tmp_path_factory.mktemp("i2v-suite")
    raw = json.loads(resolve_suite_path("intergeneval-open-v1").read_text(encoding="utf-8"))
    scenarios = raw["scenarios"][:3]
    for k, sc in enumerate(scenarios):
        rgb = np.zeros((40, 48, 3), np.uint8)
        rgb[..., k % 3] = 60 + 60 * k
        rgb[10:30, 12:36] = 255 - rgb[10:30, 12:36]
        Image.fromarray(rgb).save(root / f"{sc['id']}.png")
        sc["first_frame"] = f"{sc['id']}.png"
        masks = []
        for j in range(len(sc["objects"])):
            m = np.zeros((40, 48), np.uint8)
            m[5 + 8 * j: 15 + 8 * j, 6:20] = 255
            Image.fromarray(m).save(root / f"{sc['id']}-id{j + 1}.png")
            masks.append(f"{sc['id']}-id{j + 1}.png")
        sc["masks"] = masks
    body = {k: v for k, v in raw.items() if k != "content_hash"}
    body.update(suite_id="open-v1-with-frames", version="test", scenarios=scenarios)
    return write_suite(root / "suite.json", body)

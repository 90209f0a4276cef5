"""Every tiny baseline (real diffusers classes, tiny configs) generates real videos end to end.

Image-to-video models must actually use the first frame: a different first frame gives a different video.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from PIL import Image

from baselines.registry import generator_class, get_spec
from baselines.run import CARD, generate_videos
from intergeneval.video import decode

T2V = ["tiny-cogvideox-t2v", "tiny-wan-t2v"]
I2V = ["tiny-cogvideox-i2v", "tiny-wan-i2v", "tiny-hunyuanvideo-i2v", "tiny-matrix"]


def _generator(name):
    spec = get_spec(name)
    return generator_class(spec)(spec, device="cpu")


@pytest.mark.parametrize("name", T2V)
def test_text_to_video_tiny_model_writes_decodable_videos(name, open_suite, tmp_path):
    gen = _generator(name)
    report = generate_videos(gen, open_suite, tmp_path, limit=2)
    assert report.generated == [s.id for s in open_suite.scenarios[:2]]
    for sid in report.generated:
        frames = decode(tmp_path / f"{sid}.mp4").frames
        assert frames.shape == (gen.spec.num_frames, gen.spec.height, gen.spec.width, 3)
    card = json.loads((tmp_path / CARD).read_text())
    assert card["base_model"] == gen.spec.repo and card["scheduler"]["class"] == type(gen.pipe.scheduler).__name__


@pytest.mark.parametrize("name", I2V)
def test_image_to_video_tiny_model_is_conditioned_on_the_first_frame(name, i2v_suite, tmp_path):
    gen = _generator(name)
    report = generate_videos(gen, i2v_suite, tmp_path, limit=1)
    assert report.generated == [i2v_suite.scenarios[0].id]
    for sid in report.generated:
        assert decode(tmp_path / f"{sid}.mp4").frames.shape[0] == gen.spec.num_frames
    scenario = i2v_suite.scenarios[0]
    other = tmp_path / "other.png"
    Image.fromarray(np.full((40, 48, 3), 255, np.uint8)).save(other)
    a = gen.generate(scenario, seed=3)
    b = gen.generate(dataclasses.replace(scenario, first_frame=other), seed=3)
    assert not np.array_equal(a, b)

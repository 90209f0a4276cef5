"""Frame encoding for API judges: lossless fast PNG, JPEG at a stated quality, each frame encoded once per
video and shared by every call and by the evidence images."""

from __future__ import annotations

import base64
import io
import pickle

import numpy as np
import pytest
from PIL import Image

from intergeneval import imaging
from intergeneval.judges.base import JudgeVideo
from intergeneval.pipeline import EVIDENCE_JPEG_QUALITY, evidence_images


def _frames(n: int = 3, h: int = 24, w: int = 30, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (37, 61), (480, 720)])
def test_png_is_lossless_for_any_size_and_content(shape):
    rng = np.random.default_rng(shape[0])
    smooth = np.linspace(0, 255, shape[0] * shape[1] * 3).reshape(*shape, 3).astype(np.uint8)
    for frame in (rng.integers(0, 256, (*shape, 3), dtype=np.uint8), smooth, np.zeros((*shape, 3), np.uint8)):
        img = Image.open(io.BytesIO(imaging.encode_png(frame)))
        assert img.format == "PNG" and img.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(img), frame)


def test_png_of_a_non_contiguous_view_and_bad_shapes():
    frame = _frames(1, 20, 40)[0][:, ::2]  # a strided view
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(imaging.encode_png(frame)))), frame)
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        imaging.encode_png(np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="image format"):
        imaging.encode(frame, "webp")
    with pytest.raises(ValueError, match="quality"):
        imaging.encode(frame, "jpeg")


def test_each_frame_is_encoded_once_per_format_and_shared(monkeypatch):
    count = {"png": 0, "jpeg": 0}
    real = imaging.encode

    def counting(frame, image_format, quality=None):
        count[image_format] += 1
        return real(frame, image_format, quality)

    monkeypatch.setattr(imaging, "encode", counting)
    enc = imaging.EncodedFrames(_frames(4))
    first = enc.images("png")
    assert enc.images("png") is first and enc.base64("png") is enc.base64("png")
    assert enc.images("jpeg", 90) is enc.images("jpeg", 90)
    assert enc.images("jpeg", 50) != enc.images("jpeg", 90)
    assert count == {"png": 4, "jpeg": 8}
    url = enc.data_urls("jpeg", 90)[2]
    assert url.startswith("data:image/jpeg;base64,") and base64.b64decode(url.split(",")[1]) == enc.images(
        "jpeg", 90)[2]
    again = pickle.loads(pickle.dumps(enc))  # handed to another process: the encodings travel along
    assert again.images("png") == first and count["png"] == 4


def test_evidence_reuses_the_bytes_a_jpeg_judge_was_sent(monkeypatch):
    calls = []
    real = imaging.encode_jpeg
    monkeypatch.setattr(imaging, "encode_jpeg", lambda f, q: (calls.append(q), real(f, q))[1])
    jv = JudgeVideo("k", None, (0, 5, 9), tuple(_frames(3)), ("red",))
    sent = jv.encoded.data_urls("jpeg", EVIDENCE_JPEG_QUALITY)  # what the openai judge does with jpeg
    files = evidence_images("s1", jv)
    assert list(files) == ["evidence/s1/000.jpg", "evidence/s1/005.jpg", "evidence/s1/009.jpg"]
    assert [base64.b64decode(u.split(",")[1]) for u in sent] == list(files.values())
    assert calls == [EVIDENCE_JPEG_QUALITY] * 3  # encoded once, for the judge and the evidence both


def test_a_png_judge_and_jpeg_evidence_encode_each_frame_once_per_format(monkeypatch):
    count = []
    real = imaging.encode
    monkeypatch.setattr(imaging, "encode", lambda f, fmt, q=None: (count.append(fmt), real(f, fmt, q))[1])
    jv = JudgeVideo("k", None, (0, 5, 9), tuple(_frames(3)), ("red",))
    for _ in range(3):  # three calls about the video
        jv.encoded.data_urls("png")
    evidence_images("s1", jv)
    assert sorted(count) == ["jpeg"] * 3 + ["png"] * 3

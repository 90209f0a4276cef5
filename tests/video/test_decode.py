"""probe/decode on videos written here, and every per-video status a bad video gets."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from intergeneval import video
from intergeneval.errors import VideoError


def _frames(t: int, h: int = 48, w: int = 64, seed: int = 0) -> np.ndarray:
    """Gradients plus grain, with frame i's blue level at 10 + 8·i so the frame order is visible."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    out = np.empty((t, h, w, 3), np.uint8)
    for i in range(t):
        out[i, ..., 0] = (xx * 180) // w + 20
        out[i, ..., 1] = (yy * 180) // h + 20
        out[i, ..., 2] = (10 + 8 * i) % 240
    out += rng.integers(0, 6, out.shape, dtype=np.uint8)
    return out


@pytest.fixture
def clip(tmp_path: Path) -> tuple[Path, np.ndarray]:
    frames = _frames(30)
    return video.encode_video(tmp_path / "clip.mp4", frames, fps=8, crf=12), frames


def _status(path: Path, **kwargs) -> VideoError:
    with pytest.raises(VideoError) as e:
        video.decode(path, **kwargs)
    assert e.value.status in video.VIDEO_STATUSES
    assert str(path) in e.value.reason
    return e.value


def test_probe_reads_the_headers(clip):
    path, frames = clip
    info = video.probe(path)
    assert info == video.VideoInfo(frames=30, fps=8.0, width=64, height=48, codec="h264")


def test_decode_returns_every_frame_in_one_array(clip):
    path, frames = clip
    decoded = video.decode(path)
    assert decoded.frames.shape == frames.shape and decoded.frames.dtype == np.uint8
    assert decoded.info == video.VideoInfo(frames=30, fps=8.0, width=64, height=48, codec="h264")
    # Lossy but close, and in order: each frame's blue level is where it was written.
    err = np.abs(decoded.frames.astype(int) - frames.astype(int)).mean(axis=(1, 2, 3))
    assert err.max() < 4
    blue = decoded.frames[..., 2].mean(axis=(1, 2))
    np.testing.assert_allclose(blue, frames[..., 2].mean(axis=(1, 2)), atol=2)


def test_decode_opens_the_file_once(clip, monkeypatch):
    path, _ = clip
    opened = []
    real_open = av.open
    monkeypatch.setattr(av, "open", lambda *a, **k: opened.append(a[0]) or real_open(*a, **k))
    video.decode(path)
    assert opened == [str(path)]


def test_expect_size(clip):
    path, _ = clip
    assert video.decode(path, expect_size=(64, 48)).info.width == 64
    e = _status(path, expect_size=(48, 64))
    assert e.status == "wrong_size" and "64x48" in e.reason and "48x64" in e.reason


def test_missing(tmp_path):
    assert _status(tmp_path / "nope.mp4").status == "missing"
    with pytest.raises(VideoError, match="no such video file"):
        video.probe(tmp_path / "nope.mp4")


def test_zero_byte_file_is_empty(tmp_path):
    p = tmp_path / "zero.mp4"
    p.write_bytes(b"")
    assert _status(p).status == "empty"


def test_text_file_named_mp4_is_unreadable(tmp_path):
    p = tmp_path / "notes.mp4"
    p.write_text("these are not the frames you are looking for\n")
    e = _status(p)
    assert e.status == "unreadable" and "cannot be opened" in e.reason


def test_audio_only_file_is_unreadable(tmp_path):
    p = tmp_path / "sound.m4a"
    with av.open(str(p), "w") as c:
        s = c.add_stream("aac", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 8000
        c.mux(s.encode(frame))
        c.mux(s.encode(None))
    e = _status(p)
    assert e.status == "unreadable" and "no video stream" in e.reason


def test_cut_file_is_truncated(clip, tmp_path):
    path, _ = clip
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 6 // 10])  # the index is at the front (faststart), frames are lost
    e = _status(cut)
    assert e.status == "truncated" and "header states 30" in e.reason


def test_cut_before_any_frame_is_empty(clip, tmp_path):
    path, _ = clip
    data = path.read_bytes()
    cut = tmp_path / "headers-only.mp4"
    cut.write_bytes(data[: data.index(b"mdat") + 20])
    e = _status(cut)
    assert e.status == "empty" and "header states 30" in e.reason


def test_a_few_frames_short_of_the_header_is_tolerated(clip, monkeypatch):
    # Muxers can over-state by a frame or two; only clearly fewer frames count as truncated.
    path, _ = clip
    real = video._decode_all

    def keep(n):
        def decode_all(*args, **kwargs):
            frames, count, error, size = real(*args, **kwargs)
            return frames[:n], min(count, n), error, size
        return decode_all

    monkeypatch.setattr(video, "_decode_all", keep(28))  # 30 stated, tolerance 2
    assert video.decode(path).info.frames == 28
    monkeypatch.setattr(video, "_decode_all", keep(27))
    assert _status(path).status == "truncated"


def test_decode_error_mid_stream_is_truncated(clip, monkeypatch):
    path, _ = clip
    real_open = av.open

    class Failing:
        def __init__(self, container):
            self._c = container
            self.streams = container.streams
            self.duration = container.duration

        def decode(self, stream):
            for i, f in enumerate(self._c.decode(stream)):
                if i == 4:
                    raise av.error.InvalidDataError(1094995529, "Invalid data found when processing input")
                yield f

        def close(self):
            self._c.close()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.close()

    monkeypatch.setattr(av, "open", lambda *a, **k: Failing(real_open(*a, **k)))
    e = _status(path)
    assert e.status == "truncated" and "after frame 3" in e.reason and "InvalidDataError" in e.reason


def test_single_frame(tmp_path):
    p = video.encode_video(tmp_path / "one.mp4", _frames(1))
    e = _status(p)
    assert e.status == "single_frame" and "at least 2" in e.reason


def test_two_frames_are_enough(tmp_path):
    p = video.encode_video(tmp_path / "two.mp4", _frames(2))
    assert video.decode(p).frames.shape[0] == 2


def _raw_h264(path: Path, frames: np.ndarray) -> None:
    with av.open(str(path), "w", format="h264") as c:
        s = c.add_stream("libx264", rate=8)
        s.width, s.height, s.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for f in frames:
            c.mux(s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
        c.mux(s.encode(None))


def test_stream_without_a_frame_count_decodes_whole(tmp_path):
    # A raw H.264 stream states no frame count: the buffer grows as frames come, none is called truncated.
    frames = _frames(20)
    raw = tmp_path / "raw.h264"
    _raw_h264(raw, frames)
    decoded = video.decode(raw)
    assert decoded.info.frames == 20 and decoded.frames.shape == frames.shape
    blue = decoded.frames[..., 2].mean(axis=(1, 2))
    np.testing.assert_allclose(blue, frames[..., 2].mean(axis=(1, 2)), atol=2)


def _write(path: Path, fmt: str, codec: str, frames: np.ndarray) -> Path:
    with av.open(str(path), "w", format=fmt) as c:
        s = c.add_stream(codec, rate=8)
        s.width, s.height, s.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for f in frames:
            c.mux(s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
        c.mux(s.encode(None))
    return path


@pytest.mark.parametrize("name, fmt, codec", [
    ("clip.mp4", "mp4", "libx264"), ("raw.h264", "h264", "libx264"), ("clip.ts", "mpegts", "libx264"),
    ("clip.mkv", "matroska", "libx264"), ("clip.ivf", "ivf", "libvpx-vp9"),
    ("clip.m2v", "mpeg2video", "mpeg2video"),
])
def test_the_quick_probe_gives_what_a_full_probe_gives(tmp_path, monkeypatch, name, fmt, codec):
    # Opening skips the probe's decoding of the first frames; what decode returns must not change.
    path = _write(tmp_path / name, fmt, codec, _frames(12))
    quick = video.decode(path)
    monkeypatch.setattr(video, "_QUICK_PROBE", None)  # FFmpeg's own probe
    full = video.decode(path)
    assert quick.info == full.info and quick.info.frames == 12
    np.testing.assert_array_equal(quick.frames, full.frames)


def test_headers_that_leave_the_size_unknown_are_probed_in_full(clip, monkeypatch):
    path, _ = clip
    opened = []
    real = video._open_with

    def headers_without_a_size(p, options):
        container = real(p, options)
        opened.append(options)
        if options is not None:
            container.streams.video[0].codec_context.width = 0  # as a container whose headers say nothing
        return container

    monkeypatch.setattr(video, "_open_with", headers_without_a_size)
    decoded = video.decode(path)
    assert opened == [video._QUICK_PROBE, None]
    assert decoded.info == video.VideoInfo(frames=30, fps=8.0, width=64, height=48, codec="h264")


def test_size_change_mid_stream_is_wrong_size(tmp_path):
    a, b = tmp_path / "a.h264", tmp_path / "b.h264"
    _raw_h264(a, _frames(3, 48, 64))
    _raw_h264(b, _frames(3, 32, 32))
    joined = tmp_path / "joined.h264"
    joined.write_bytes(a.read_bytes() + b.read_bytes())  # an Annex B stream whose second half is 32x32
    e = _status(joined)
    assert e.status == "wrong_size" and "frame 3 is 32x32" in e.reason and "64x48" in e.reason


def test_truncation_tolerance_grows_with_length():
    assert video.truncation_tolerance(10) == 2
    assert video.truncation_tolerance(1000) == 20


def test_encode_video_refuses_odd_sizes_and_no_frames(tmp_path):
    with pytest.raises(ValueError, match="even width and height"):
        video.encode_video(tmp_path / "odd.mp4", np.zeros((2, 15, 16, 3), np.uint8))
    with pytest.raises(ValueError, match="no frames"):
        video.encode_video(tmp_path / "none.mp4", np.zeros((0, 16, 16, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        video.encode_video(tmp_path / "float.mp4", np.zeros((2, 16, 16, 3), np.float32))


def test_encode_is_deterministic(tmp_path):
    frames = _frames(6)
    a = video.encode_video(tmp_path / "a.mp4", frames)
    b = video.encode_video(tmp_path / "b.mp4", frames)
    assert a.read_bytes() == b.read_bytes()


def test_save_jpeg(tmp_path):
    from PIL import Image

    frame = _frames(1, 40, 60)[0]
    video.save_jpeg(tmp_path / "f.jpg", frame)
    with Image.open(tmp_path / "f.jpg") as im:
        assert im.format == "JPEG" and im.size == (60, 40)
        assert np.abs(np.asarray(im).astype(int) - frame.astype(int)).mean() < 8


def test_save_jpegs_writes_every_frame(tmp_path):
    from PIL import Image

    frames = _frames(5, 40, 60)
    items = [(tmp_path / f"{i:03d}.jpg", f) for i, f in enumerate(frames)]
    video.save_jpegs(items, workers=3)
    for path, frame in items:
        with Image.open(path) as im:
            assert np.abs(np.asarray(im).astype(int) - frame.astype(int)).mean() < 8
    video.save_jpegs([])  # nothing to do
    with pytest.raises(FileNotFoundError):
        video.save_jpegs([(tmp_path / "no-such-folder" / "x.jpg", frames[0])] * 2, workers=2)


# ------------------------------------------------------------------------------------ memory bound
@pytest.fixture(scope="module")
def big_clip(tmp_path_factory):
    """A 4000x4000 video of 4 frames (cheap: one flat frame repeated, fastest preset): 183 MB decoded."""
    frame = np.full((4000, 4000, 3), 120, np.uint8)
    frame[1000:2000, 1000:3000] = (200, 10, 10)
    path = tmp_path_factory.mktemp("big") / "big.mp4"
    return video.encode_video(path, [frame] * 4, preset="ultrafast")


def test_max_side_decodes_big_videos_small_without_holding_them_whole(big_clip):
    import tracemalloc

    tracemalloc.start()
    try:
        d = video.decode(big_clip, max_side=512)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert d.frames.shape == (4, 512, 512, 3)
    assert (d.info.width, d.info.height, d.info.frames) == (4000, 4000, 4)  # the video's own size
    assert peak < 20 << 20  # one full frame alone is 48 MB; the whole video 183 MB
    red = d.frames[0, 200, 250]  # the red block, scaled with the frame
    assert red[0] > 150 and red[1] < 60


def test_a_video_over_the_memory_limit_is_refused_before_decoding(big_clip):
    e = _status(big_clip, max_bytes=100 << 20)
    assert e.status == "too_large" and "4 frames at 4000x4000 need 183 MB decoded" in e.reason
    assert "over the limit of 100 MB" in e.reason and "--max-side" in e.reason
    assert video.decode(big_clip, max_side=1024, max_bytes=100 << 20).frames.shape == (4, 1024, 1024, 3)


def test_the_limit_holds_when_the_header_understates_the_frames(big_clip):
    import av

    # decode() sizes its buffer from the header; a header stating 1 frame must not let 4 through
    with av.open(str(big_clip)) as container:
        with pytest.raises(VideoError) as e:
            video._decode_all(container, container.streams.video[0], big_clip, capacity=1, size=(4000, 4000),
                              max_bytes=100 << 20)
    assert e.value.status == "too_large" and "more frames than the header states" in e.value.reason

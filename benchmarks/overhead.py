"""Non-model seconds per video: this project's `score` vs the reference scripts' own steps, side by side.

    .venv/bin/python benchmarks/overhead.py                  # 10 videos, 49 frames of 720x480, 3 runs each
    .venv/bin/python benchmarks/overhead.py --image-format jpeg

Setup (not timed): synthetic h264 videos with their mask tracks and a suite (`intergeneval.synthetic`), the
tracks written as the reference lays them out (`tracks/<video>/id<k>/<frame>.png`, read by both sides), and
a local OpenAI-compatible server that answers at once, in its own process (`judge_server.py`).

This project: `evaluate` with the `openai` judge against that server, the `replay` tracker, evidence on, a
fresh output folder each run (nothing cached). Printed per video: decode, mask tracks read, overlay, frame
encoding for the judge, request build (from a call's start until its HTTP request is ready, encoding
excluded), evidence (encoding + files), the wait on the server (transfer and its work: not ours), and the
non-model total = wall time per video minus that wait.

The reference (github.com/cvlab-kaist/MATRIX, InterGenEval/ at 4ee8698): its per-video non-model steps,
reproduced here because its scripts need OpenCV and imageio, which this environment does not have:
- visualize.py: read every frame, read each object's mask PNG per frame, fill frame 0 and draw boxes,
  write the `track_vis` mp4 (libx264 at its defaults, 8 fps);
- question_verification.py: open `track_vis`, for each sampled frame seek to it (a seek decodes from the
  preceding keyframe, here frame 0, as OpenCV's `CAP_PROP_POS_FRAMES` does) and write it as a PNG at
  zlib level 1 (OpenCV's default) into a temp folder; per key interaction read every PNG back, base64 it
  and build the request; the call goes to a stub client that answers at once (no HTTP);
- emergence_disappearance.py: the same frame extraction again, and one request.
Video decoding and encoding run in-process with PyAV where the scripts use OpenCV and an ffmpeg subprocess,
so the reference figure is if anything lower than the scripts' own. Figures are medians of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from judge_server import judge_server

from intergeneval import imaging, runner, video
from intergeneval.formats import load_suite
from intergeneval.runconfig import EvalConfig
from intergeneval.synthetic import make_scene_set

GOAL_S = 0.15


class _Clock:
    """Seconds spent per named part, summed over the run (thread-safe)."""

    def __init__(self) -> None:
        self.total: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()
        self.local = threading.local()

    def add(self, name: str, seconds: float) -> None:
        with self._lock:
            self.total[name] += seconds


def _instrument(clock: _Clock) -> list[tuple[Any, str, Any]]:
    """Wrap the frame encoding and the runner's evidence writing to time them; returns what to restore."""
    patched = []

    def wrap(owner: Any, name: str, part: str) -> None:
        real = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                dt = time.perf_counter() - t
                clock.add(part, dt)
                if part == "encode":  # encoding inside a judge call is not request building
                    clock.local.encode = getattr(clock.local, "encode", 0.0) + dt

        setattr(owner, name, timed)
        patched.append((owner, name, real))

    wrap(imaging.EncodedFrames, "base64", "encode")
    wrap(runner, "_keep", "evidence files")
    return patched


def _judge(base_url: str, clock: _Clock, image_format: str) -> Any:
    import httpx

    from intergeneval.judges.openai_chat import OpenAIJudge

    local = clock.local

    def built(request: httpx.Request) -> None:  # called when the request is ready to go out
        local.sent = time.perf_counter()
        clock.add("request build", local.sent - local.start - getattr(local, "encode", 0.0))

    def answered(response: httpx.Response) -> None:
        response.read()
        clock.add("server wait", time.perf_counter() - local.sent)

    class TimedJudge(OpenAIJudge):
        def complete(self, video_: Any, request: Any) -> str:
            local.start, local.encode = time.perf_counter(), 0.0
            return super().complete(video_, request)

    client = httpx.Client(event_hooks={"request": [built], "response": [answered]}, timeout=120)
    return TimedJudge(model="bench-judge", base_url=base_url, image_format=image_format, http_client=client,
                      max_retries=0)


def project_run(scenes: Any, tracks: Path, out: Path, base_url: str, image_format: str) -> dict[str, float]:
    """One `evaluate` run (masks replayed from `tracks`); seconds per video by part."""
    clock = _Clock()
    patched = _instrument(clock)
    try:
        judge = _judge(base_url, clock, image_format)
        cfg = EvalConfig(videos=scenes.videos, suite=scenes.suite, out=out, tracker="replay",
                         tracker_options={"root": str(tracks)}, evidence=True)
        t = time.perf_counter()
        summary = runner.evaluate(cfg, judge=judge)
        wall = time.perf_counter() - t
    finally:
        for owner, name, real in patched:
            setattr(owner, name, real)
    n = len(scenes.ids)
    if summary["videos"]["scored"] != n:
        raise SystemExit(f"not every video was scored: {summary['videos']['failures']}")
    records = [json.loads(x) for x in (out / "per_video.jsonl").read_text().splitlines() if x]
    timing = {k: sum(r["timings"].get(k, 0.0) for r in records) for k in
              ("decode_s", "track_s", "overlay_s", "evidence_s")}
    parts = {
        "decode": timing["decode_s"], "mask tracks read": timing["track_s"], "overlay": timing["overlay_s"],
        "encode (judge frames)": clock.total["encode"], "request build": clock.total["request build"],
        "evidence": timing["evidence_s"] + clock.total["evidence files"],
        "server wait (not ours)": clock.total["server wait"], "wall": wall,
    }
    per_video = {k: v / n for k, v in parts.items()}
    per_video["non-model total"] = per_video["wall"] - per_video["server wait (not ours)"]
    return per_video


# ------------------------------------------------------------------------------------- the reference
class _StubClient:
    """Stands for `openai.OpenAI()`: `chat.completions.create` answers at once."""

    def __init__(self) -> None:
        self.chat = self
        self.completions = self
        self.calls = 0

    def create(self, **kwargs: Any) -> Any:
        self.calls += 1
        json.dumps(kwargs["messages"])  # what the SDK does with the request before sending it
        return {"choices": [{"message": {"content": "[]"}}]}


def _write_png_tracks(scenes: Any, root: Path) -> None:
    """The reference's `tracks/<video>/id<k>/<FFF>.png` layout (uint8 0/255), from the scene tracks."""
    from PIL import Image

    for sid in scenes.ids:
        masks = np.load(scenes.tracks / f"{sid}.npz")["masks"]  # (T, N, H, W)
        for k in range(masks.shape[1]):
            d = root / sid / f"id{k + 1}"
            d.mkdir(parents=True, exist_ok=True)
            for t in range(masks.shape[0]):
                Image.fromarray((masks[t, k] > 0).astype(np.uint8) * 255).save(d / f"{t:03d}.png")


def _visualize(src: Path, tracks: Path, n_objects: int, dst: Path) -> None:
    """visualize.py for one video: overlay every frame from the mask PNGs, write the track_vis mp4."""
    import av
    from PIL import Image

    with av.open(str(src)) as c, av.open(str(dst), "w") as w:
        stream = None
        for t, fr in enumerate(c.decode(video=0)):
            frame = fr.to_ndarray(format="rgb24")
            masks = np.stack([np.asarray(Image.open(tracks / f"id{k + 1}" / f"{t:03d}.png")) > 0
                              for k in range(n_objects)])
            frame = video.draw_overlay(frame, masks, fill=(t == 0))
            if stream is None:
                stream = w.add_stream("libx264", rate=8)
                stream.width, stream.height, stream.pix_fmt = frame.shape[1], frame.shape[0], "yuv420p"
            w.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        w.mux(stream.encode(None))


def _extract(vis: Path, stride: int, tmp: Path) -> tuple[list[Path], list[int]]:
    """load_frames_from_video: seek to each sampled frame, write it as a PNG (zlib level 1)."""
    import av
    from PIL import Image

    with av.open(str(vis)) as c:
        total = c.streams.video[0].frames
        indices = video.sample_indices(total, stride)
        paths = []
        for idx in indices:
            c.seek(0)  # the keyframe before idx; decoding runs forward from it
            for t, fr in enumerate(c.decode(video=0)):
                if t == idx:
                    p = tmp / f"{idx:05d}.png"
                    Image.fromarray(fr.to_ndarray(format="bgr24")[..., ::-1]).save(p, compress_level=1)
                    paths.append(p)
                    break
    return paths, list(indices)


def _request(client: _StubClient, text: str, paths: list[Path], indices: list[int]) -> None:
    content: list[dict[str, Any]] = [{"type": "text", "text": text}]
    for p, i in zip(paths, indices, strict=True):
        url = "data:image/png;base64," + base64.b64encode(p.read_bytes()).decode("utf-8")
        content += [{"type": "text", "text": f"Frame {i}:"}, {"type": "image_url", "image_url": {"url": url}}]
    client.create(model="stub", messages=[{"role": "system", "content": "..."},
                                          {"role": "user", "content": content}], seed=42)


def reference_run(scenes: Any, work: Path) -> dict[str, float]:
    """The reference's non-model steps for every video; seconds per video by step."""
    suite = load_suite(scenes.suite)
    by_id = {s.id: s for s in suite.scenarios}
    client = _StubClient()
    parts: dict[str, float] = defaultdict(float)
    vis_dir = work / "track_vis"
    vis_dir.mkdir(parents=True, exist_ok=True)
    t_all = time.perf_counter()
    for sid in scenes.ids:
        sc = by_id[sid]
        t = time.perf_counter()
        _visualize(scenes.videos / f"{sid}.mp4", work / "tracks" / sid, len(sc.objects),
                   vis_dir / f"{sid}.mp4")
        parts["visualize.py (overlay video)"] += time.perf_counter() - t
        t = time.perf_counter()
        tmp = Path(tempfile.mkdtemp(prefix=f"frames_{sid}_"))
        paths, indices = _extract(vis_dir / f"{sid}.mp4", 5, tmp)
        for ki in sc.key_interactions:
            _request(client, json.dumps([q.text for q in ki.questions], indent=2), paths, indices)
        shutil.rmtree(tmp)
        parts["question_verification.py"] += time.perf_counter() - t
        t = time.perf_counter()
        tmp = Path(tempfile.mkdtemp(prefix=f"frames_{sid}_"))
        paths, indices = _extract(vis_dir / f"{sid}.mp4", 5, tmp)
        _request(client, json.dumps({"entities": [o.cls for o in sc.objects]}, indent=2), paths, indices)
        shutil.rmtree(tmp)
        parts["emergence_disappearance.py"] += time.perf_counter() - t
    parts["wall"] = time.perf_counter() - t_all
    n = len(scenes.ids)
    out = {k: v / n for k, v in parts.items()}
    out["non-model total"] = out["wall"]
    return out


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--videos", type=int, default=10)
    ap.add_argument("--frames", type=int, default=49)
    ap.add_argument("--size", default="480x720", help="HEIGHTxWIDTH")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each side; medians are printed")
    ap.add_argument("--image-format", choices=imaging.FORMATS, default="png", help="the judge's frames")
    ap.add_argument("--no-reference", action="store_true", help="time this project only")
    ap.add_argument("--workdir", type=Path, default=None, help="keep scenes and results here")
    args = ap.parse_args(argv)
    height, width = (int(v) for v in args.size.lower().split("x"))
    write = sys.stdout.write
    with tempfile.TemporaryDirectory(prefix="igoverhead-") as tmp:
        work = args.workdir or Path(tmp)
        scenes = make_scene_set(work / "scenes", n_videos=args.videos, frames=args.frames,
                                size=(height, width))
        write(f"{args.videos} videos x {args.frames} frames, {width}x{height} h264; judge frames as "
              f"{args.image_format}; medians of {args.repeat} runs; seconds per video\n")
        ours, ref = [], []
        tracks = work / "ref" / "tracks"  # both sides read the same masks, in the reference's layout
        _write_png_tracks(scenes, tracks)
        with judge_server(latency=0.0) as base_url:
            project_run(scenes, tracks, work / "warm-up", base_url, args.image_format)  # imports, connection
            for i in range(args.repeat):  # the two sides alternate, so a busy spell hits both
                ours.append(project_run(scenes, tracks, work / f"ours-{i}", base_url, args.image_format))
                if not args.no_reference:
                    shutil.rmtree(work / "ref" / "track_vis", ignore_errors=True)
                    ref.append(reference_run(scenes, work / "ref"))
        mine = _median(ours)
        write("this project (score, openai judge vs a local instant server, replay tracker, evidence on):\n")
        for k, v in mine.items():
            write(f"  {k:28s} {v:7.3f}\n")
        goal = "met" if mine["non-model total"] <= GOAL_S else "NOT met"
        write(f"  goal <= {GOAL_S:.2f} s per video: {goal}\n")
        if ref:
            theirs = _median(ref)
            write("reference scripts' steps (reproduced; stub client):\n")
            for k, v in theirs.items():
                write(f"  {k:28s} {v:7.3f}\n")
            write(f"ratio reference / this project (non-model total): "
                  f"{theirs['non-model total'] / mine['non-model total']:.1f}x less work per video\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

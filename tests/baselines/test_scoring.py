"""Tiny baseline videos go through the real scoring runner: every video found by id, decoded, sampled, scored.

The judge and tracker are the scripted and replay backends (known answers), so what is under test is that
the generator's folder and the suite line up: names, frame counts, sampled frames, key interactions.
"""

from __future__ import annotations

import json

import numpy as np

from baselines.registry import generator_class, get_spec
from baselines.run import generate_videos
from intergeneval.config import STRIDE
from intergeneval.judges.scripted import FORMAT, ScriptedJudge
from intergeneval.runconfig import EvalConfig
from intergeneval.runner import evaluate
from intergeneval.tracking.replay import ReplayTracker
from intergeneval.video import sample_indices

N = 3


def test_generated_folder_is_scored_video_by_video(open_suite, tmp_path):
    spec = get_spec("tiny-cogvideox-t2v")
    videos = tmp_path / "videos"
    generate_videos(generator_class(spec)(spec, device="cpu"), open_suite, videos, limit=N)
    scenarios = open_suite.scenarios[:N]
    no_change = {"emergence": "no", "emergence_frames": [], "emergence_reason": "",
                 "disappearance": "no", "disappearance_frames": [], "disappearance_reason": ""}
    # Slots 1-6 "no", 7-10 "yes": KISA 0, SGI 1 for every video, whatever the number of key interactions.
    answers = {"format": FORMAT, "answers": {
        s.id: {"qa": [[{"question_id": q.slot, "answer": "yes" if q.slot > 6 else "no", "frame_index": 0}
                       for q in ki.questions] for ki in s.key_interactions], "changes": no_change}
        for s in scenarios}}
    tracks = {}
    for s in scenarios:
        masks = np.zeros((spec.num_frames, len(s.objects), spec.height, spec.width), bool)
        for k in range(len(s.objects)):
            masks[:, k, 2 + 7 * k: 8 + 7 * k, 4:20] = True
        tracks[s.id] = masks
    cfg = EvalConfig(videos=videos, suite=open_suite.source, out=tmp_path / "scores", limit=N,
                     judge="scripted", tracker="replay", evidence=False)
    summary = evaluate(cfg, judge=ScriptedJudge(answers), tracker=ReplayTracker(arrays=tracks))
    assert summary["videos"]["expected"] == summary["videos"]["scored"] == N
    assert summary["metrics"]["kisa"]["mean"] == 0.0 and summary["metrics"]["sgi"]["mean"] == 1.0
    rows = [json.loads(line) for line in (tmp_path / "scores" / "per_video.jsonl").read_text().splitlines()]
    assert sorted(r["scenario_id"] for r in rows) == sorted(s.id for s in scenarios)
    compared = len(sample_indices(spec.num_frames, STRIDE)) - 1  # every sampled frame but frame 0
    assert all(r["diagnostics"]["compared_frames"] == compared for r in rows)

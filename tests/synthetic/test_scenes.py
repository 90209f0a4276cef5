"""Synthetic scenes: the suite loads, tracks match the decoded videos, replies match the ground truth."""

from __future__ import annotations

import json

import numpy as np
import pytest

from intergeneval import config, video
from intergeneval.formats import load_suite
from intergeneval.judges.base import parse_changes_reply, parse_qa_reply
from intergeneval.synthetic import KINDS, make_scene_set

FRAMES = 49
SIZE = (240, 320)


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    return make_scene_set(tmp_path_factory.mktemp("scenes"), n_videos=5, frames=FRAMES, size=SIZE, seed=0)


@pytest.fixture(scope="module")
def decoded(scenes):
    return {sid: video.decode(scenes.videos / f"{sid}.mp4") for sid in scenes.ids}


@pytest.fixture(scope="module")
def tracks(scenes):
    return {sid: np.load(scenes.tracks / f"{sid}.npz")["masks"] for sid in scenes.ids}


def _answers(scenes):
    data = json.loads(scenes.answers.read_text())
    assert data["format"] == "intergeneval-scripted-answers"
    return data["answers"]


def test_layout_and_kinds(scenes):
    assert scenes.kinds == (*KINDS, KINDS[0])
    assert len(set(scenes.ids)) == 5
    for sid in scenes.ids:
        assert (scenes.videos / f"{sid}.mp4").is_file()
        assert (scenes.tracks / f"{sid}.npz").is_file()
    assert scenes.suite == scenes.root / "suite.json" and scenes.answers == scenes.root / "answers.json"


def test_suite_loads_and_varies_its_categories(scenes):
    suite = load_suite(scenes.suite)
    assert [s.id for s in suite.scenarios] == list(scenes.ids)
    assert {s.interaction_type for s in suite.scenarios} == set(config.INTERACTION_TYPES)
    assert {s.pairing for s in suite.scenarios[:4]} == set(config.HUMAN_PAIRINGS)
    for sc in suite.scenarios:
        assert len(sc.objects) == 2 and sc.masks is not None and len(sc.masks) == 2
        (ki,) = sc.key_interactions
        assert [q.slot for q in ki.questions] == list(range(1, 11))
        assert "(red bbox)" in ki.questions[0].text and "(green bbox)" in ki.questions[0].text
        assert sc.content_hash


def test_tracks_match_the_decoded_videos(scenes, decoded, tracks):
    for sid in scenes.ids:
        d = decoded[sid]
        assert d.frames.shape == (FRAMES, *SIZE, 3)
        assert d.info.fps == 8.0
        assert tracks[sid].dtype == bool and tracks[sid].shape == (FRAMES, 2, *SIZE)


def test_first_frame_masks_are_frame_zero_of_the_tracks(scenes, tracks):
    suite = load_suite(scenes.suite)
    for sc in suite.scenarios:
        for k, path in enumerate(sc.masks):
            png = video.load_mask(path)
            assert (png == tracks[sc.id][0, k]).all()


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.0


def test_masks_match_the_drawn_shapes(scenes, decoded, tracks):
    # Each object's pixels, found by colour in the decoded (lossy) frames, cover its ground-truth mask.
    for sid in scenes.ids:
        frames, masks = decoded[sid].frames.astype(np.int16), tracks[sid]
        for k in range(2):
            ref = np.median(frames[0][masks[0, k]], axis=0)
            for t in video.sample_indices(FRAMES):
                near = np.abs(frames[t] - ref).max(axis=2) < 45
                if masks[t, k].any():
                    assert _iou(near, masks[t, k]) > 0.85, (sid, k, t)
                else:  # vanished: its colour is nowhere (codec-smeared edges of others at most)
                    assert near.sum() < 0.05 * masks[0, k].sum(), (sid, k, t)


def _touching(masks: np.ndarray) -> bool:
    agent, target = masks
    grown = agent.copy()
    grown[1:] |= agent[:-1]
    grown[:-1] |= agent[1:]
    grown[:, 1:] |= agent[:, :-1]
    grown[:, :-1] |= agent[:, 1:]
    return bool((grown & target).any())


def test_agent_touches_only_where_it_should(scenes, tracks):
    for sid, kind in zip(scenes.ids, scenes.kinds, strict=True):
        m = tracks[sid]
        assert not _touching(m[0])
        touching = [_touching(m[t]) for t in range(FRAMES)]
        if kind in ("approach_touch", "appear"):
            assert touching[-1] and sum(touching) >= FRAMES // 4
        else:  # vanish: the target goes before contact; no_contact: never reached
            assert not any(touching)


def _colourful_outside_roster(frame: np.ndarray, masks: np.ndarray) -> int:
    """Saturated pixels farther than 3 px from every roster object (the background is grey)."""
    f = frame.astype(np.int16)
    saturated = (f.max(axis=2) - f.min(axis=2)) > 90
    near = masks.any(axis=0)
    for _ in range(3):
        grown = near.copy()
        grown[1:] |= near[:-1]
        grown[:-1] |= near[1:]
        grown[:, 1:] |= near[:, :-1]
        grown[:, :-1] |= near[:, 1:]
        near = grown
    return int((saturated & ~near).sum())


def test_replies_validate_and_follow_the_ground_truth(scenes, decoded, tracks):
    answers = _answers(scenes)
    sampled = video.sample_indices(FRAMES)
    suite = load_suite(scenes.suite)
    implausible = 0
    for sc, kind in zip(suite.scenarios, scenes.kinds, strict=True):
        entry = answers[sc.id]
        assert len(entry["qa"]) == len(sc.key_interactions)
        qa = parse_qa_reply(json.dumps(entry["qa"][0]), frames=sampled)
        assert sorted(qa) == list(range(1, 11))
        said = {slot: a.answer for slot, a in qa.items()}
        implausible += sum(a == "no (visually implausible)" for a in said.values())
        if kind == "approach_touch":
            assert set(said.values()) == {"yes"}
        if kind in ("no_contact", "vanish"):
            assert all(said[s] == "no" for s in (4, 5, 6)) and said[1] == "yes"
        changes = parse_changes_reply(json.dumps(entry["changes"]), frames=sampled)
        m, frames = tracks[sc.id], decoded[sc.id].frames
        # Disappearance: exactly the sampled frames (≠ 0) where a roster object has no mask, hence no box.
        no_box = [t for t in sampled[1:] if not m[t].any(axis=(1, 2)).all()]
        assert list(changes.disappearance) == no_box
        # Emergence: exactly the sampled frames (≠ 0) where an unboxed object is visible in the video.
        extra = [t for t in sampled[1:] if _colourful_outside_roster(frames[t], m[t]) > 200]
        assert list(changes.emergence) == extra
        assert bool(no_box) == (kind == "vanish") and bool(extra) == (kind == "appear")
    assert implausible == 1


def test_same_seed_same_files_other_seed_other_frames(tmp_path):
    a = make_scene_set(tmp_path / "a", n_videos=2, frames=8, size=(64, 96), seed=3)
    b = make_scene_set(tmp_path / "b", n_videos=2, frames=8, size=(64, 96), seed=3)
    c = make_scene_set(tmp_path / "c", n_videos=2, frames=8, size=(64, 96), seed=4)
    assert a.suite.read_bytes() == b.suite.read_bytes()
    assert a.answers.read_bytes() == b.answers.read_bytes()
    for sid in a.ids:
        fa = video.decode(a.videos / f"{sid}.mp4").frames
        assert (fa == video.decode(b.videos / f"{sid}.mp4").frames).all()
        assert not (fa == video.decode(c.videos / f"{sid}.mp4").frames).all()
        assert (np.load(a.tracks / f"{sid}.npz")["masks"] == np.load(b.tracks / f"{sid}.npz")["masks"]).all()


def test_benchmark_size_and_short_videos(tmp_path):
    s = make_scene_set(tmp_path, n_videos=2, frames=6, size=(480, 720))
    for sid in s.ids:
        d = video.decode(s.videos / f"{sid}.mp4")
        assert d.frames.shape == (6, 480, 720, 3)
        assert np.load(s.tracks / f"{sid}.npz")["masks"].shape == (6, 2, 480, 720)
    sampled = video.sample_indices(6)
    for entry in _answers(s).values():
        parse_qa_reply(json.dumps(entry["qa"][0]), frames=sampled)
        parse_changes_reply(json.dumps(entry["changes"]), frames=sampled)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="even"):
        make_scene_set(tmp_path, size=(241, 320))
    with pytest.raises(ValueError, match="frames"):
        make_scene_set(tmp_path, frames=1)

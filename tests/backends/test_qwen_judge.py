"""The `qwen` judge on a tiny Qwen2.5-VL built offline: vision encoded once per video, exact prefix reuse,
constrained replies that validate, and garbage that ends as missing answers."""

from __future__ import annotations

import numpy as np
import pytest

from intergeneval import config
from intergeneval.errors import BackendUnavailable, ConfigError
from intergeneval.judges.base import (
    CHANGES_INSTRUCTION,
    QA_INSTRUCTION,
    JudgeRequest,
    JudgeVideo,
    changes_user_text,
    parse_changes_reply,
    parse_qa_reply,
    qa_user_text,
)
from intergeneval.judges.qwen import QwenJudge

from .conftest import make_scenario, random_frames

FRAMES = (0, 5, 10, 13)


def _video(n_interactions: int = 3, key: str = "video-1", seed: int = 0) -> JudgeVideo:
    sc = make_scenario(n_objects=2, n_interactions=n_interactions)
    frames = tuple(random_frames(len(FRAMES), 84, 112, seed=seed))
    return JudgeVideo(key, sc, FRAMES, frames, ("red", "green"))


def _requests(video: JudgeVideo) -> list[JudgeRequest]:
    sc = video.scenario
    reqs = [JudgeRequest("qa", QA_INSTRUCTION, qa_user_text(sc.video_prompt, [q.text for q in ki.questions],
                                                            FRAMES), i, 1)
            for i, ki in enumerate(sc.key_interactions)]
    changes = changes_user_text(sc, video.colors, FRAMES)
    return [*reqs, JudgeRequest("changes", CHANGES_INSTRUCTION, changes, None, 1)]


def _sharpen_positions(judge: QwenJudge) -> None:
    """Scale the LM's q/k weights: a random model hardly reacts to positions, so M-RoPE errors would hide."""
    import torch

    with torch.no_grad():
        for layer in judge.model.model.language_model.layers:
            layer.self_attn.q_proj.weight.mul_(6)
            layer.self_attn.k_proj.weight.mul_(6)


def _plain_generate(judge: QwenJudge, video: JudgeVideo, request: JudgeRequest) -> str:
    """What one stand-alone `generate()` with the pixels gives (no reuse of anything)."""
    inputs = judge._inputs(video, request, judge._state(video))
    judge.model.model.rope_deltas = None
    out = judge.model.generate(**inputs, max_new_tokens=judge.max_new_tokens, do_sample=False,
                               eos_token_id=judge._eos, pad_token_id=judge.tokenizer.pad_token_id)
    return judge.tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)


@pytest.mark.parametrize(("model", "layout", "frames_as", "batch_calls"), [
    ("tiny:qwen2.5-vl", "protocol", "images", 1),  # vision features reused
    ("tiny:qwen2.5-vl", "frames-first", "images", 1),  # prefix key/value cache reused
    ("tiny:qwen2.5-vl", "frames-first", "video", 1),
    ("tiny:qwen2.5-vl", "protocol", "images", 4),  # batched calls
    ("tiny:qwen2.5-vl", "protocol", "video", 3),
    ("tiny:qwen3-vl", "protocol", "images", 1),
    ("tiny:qwen3-vl", "frames-first", "images", 1),
])
def test_vision_encoded_once_per_video_and_replies_equal_plain_generate(model, layout, frames_as, batch_calls):
    judge = QwenJudge(model, layout=layout, frames_as=frames_as, max_new_tokens=24, batch_calls=batch_calls)
    _sharpen_positions(judge)
    calls, generates = [0], []
    judge.model.model.visual.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    real_generate = judge.model.generate
    judge.model.generate = lambda **kw: (generates.append(kw["input_ids"].shape[0]), real_generate(**kw))[1]
    video = _video(n_interactions=3)
    reused = [judge.complete(video, r) for r in _requests(video)]
    assert calls[0] == 1, "3 QA calls + 1 changes call must run the vision encoder once"
    expected_batches = {1: [1, 1, 1, 1], 3: [3, 1], 4: [4]}[batch_calls]
    assert generates == expected_batches
    judge.model.generate = real_generate

    other = _video(n_interactions=1, key="video-2", seed=1)
    judge.complete(other, _requests(other)[0])
    assert calls[0] == 2, "a new video is encoded once more"

    calls[0] = 0
    plain = [_plain_generate(judge, video, r) for r in _requests(video)]
    assert calls[0] == 4
    assert reused == plain
    assert len(set(reused)) > 1, "the calls differ, so equal replies are not a coincidence of constant output"


def test_constrained_tiny_replies_validate_through_chat_judge():
    judge = QwenJudge("tiny:qwen2.5-vl", constrained=True)
    video = _video(n_interactions=2)
    for i in range(2):
        outcome = judge.answer(video, i)
        assert outcome.missing == 0 and outcome.attempts == 1 and outcome.errors == []
        assert [a.slot for a in outcome.answers] == list(range(1, 11))
        assert all(a.answer in config.ANSWERS for a in outcome.answers)
        assert all(a.frame is None or a.frame in FRAMES for a in outcome.answers)
    changes = judge.changes(video)
    assert changes.changes is not None and changes.attempts == 1
    assert set(changes.changes.emergence) | set(changes.changes.disappearance) <= set(FRAMES) - {0}


def test_constrained_replies_parse_for_every_request_kind():
    from intergeneval.detection.verification import VERIFY_INSTRUCTION, parse_verify_reply

    judge = QwenJudge("tiny:qwen2.5-vl", constrained=True)
    video = _video(n_interactions=1)
    qa, changes = _requests(video)
    assert len(parse_qa_reply(judge.complete(video, qa), frames=FRAMES)) == 10
    parse_changes_reply(judge.complete(video, changes), frames=FRAMES)
    crops = JudgeVideo("crops", video.scenario, (0, 1, 2), video.frames[:3], ())
    reply = judge.complete(crops, JudgeRequest("verify", VERIFY_INSTRUCTION, "Objects: ...", None, 1))
    scores = parse_verify_reply(reply, n_objects=2, n_candidates=3)
    assert scores.shape == (2, 3) and np.all((scores >= 0) & (scores <= 1))


def test_unconstrained_random_replies_end_as_missing_answers_never_successes():
    judge = QwenJudge("tiny:qwen2.5-vl", max_new_tokens=12)
    video = _video(n_interactions=1)
    outcome = judge.answer(video, 0)
    assert outcome.missing == 10 and all(a.answer is None for a in outcome.answers)
    assert outcome.attempts == config.JUDGE_ATTEMPTS and len(outcome.errors) == config.JUDGE_ATTEMPTS
    changes = judge.changes(video)
    assert changes.changes is None and len(changes.errors) == config.JUDGE_ATTEMPTS


def test_fingerprint_names_model_tiny_weights_and_decoding():
    a = QwenJudge("tiny:qwen2.5-vl", constrained=True).fingerprint()
    b = QwenJudge("tiny:qwen2.5-vl", layout="frames-first").fingerprint()
    assert a["backend"] == "qwen" and a["model"] == "tiny:qwen2.5-vl" and "meaningless" in a["note"]
    assert a["decoding"] == {"greedy": True, "temperature": 0, "seed": 42, "max_new_tokens": 1024,
                             "constrained": True}
    assert a["prompt_template"] and a["weights"] == b["weights"] and a["processor"] == b["processor"]
    assert a["model_class"] == "Qwen2_5_VLForConditionalGeneration" and a["dtype"] == "float32"
    assert a["layout_hash"] != b["layout_hash"] and b["decoding"]["constrained"] is False


def test_bad_options_and_missing_models_fail_before_any_video(monkeypatch):
    with pytest.raises(ConfigError, match="frames_as"):
        QwenJudge("tiny:qwen2.5-vl", frames_as="gif")
    with pytest.raises(ConfigError, match="layout"):
        QwenJudge("tiny:qwen2.5-vl", layout="sideways")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    with pytest.raises(BackendUnavailable, match="Qwen/Qwen2.5-VL-7B-Instruct.*cc594898137f.*hf download"):
        QwenJudge()

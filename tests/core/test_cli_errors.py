"""Usage errors through the real command: one line on stderr, exit 2, no traceback, and before any model
loads (nothing says "loading", and the run takes about as long as starting Python)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    from intergeneval.synthetic import make_scene_set

    return make_scene_set(tmp_path_factory.mktemp("err-scenes"), n_videos=2, frames=8, size=(48, 64), seed=3)


def _usage_error(res, *needles: str) -> str:
    """The one error line, after checking exit 2, no traceback and no model loading."""
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr and "loading" not in res.stderr, res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _score(ige, scenes, tmp_path, *extra, **kwargs):
    return ige("score", scenes.videos, "--prompts", scenes.suite, "--out", tmp_path / "out", *extra, **kwargs)


@pytest.mark.parametrize(("flag", "option", "needles"), [
    ("--judge-option", "bogus=1", ("judge 'qwen' (profile 'tiny') has no option 'bogus'", "max_pixels")),
    ("--tracker-option", "bogus=1", ("tracker 'sam2' (profile 'tiny') has no option 'bogus'",
                                     "offload_state")),
    ("--detector-option", "box_threshold=abc", ("detector 'grounding-dino' (profile 'tiny'): option "
                                                "box_threshold must be a number", "'abc'")),
    ("--judge-option", "max_pixel=100", ("judge 'qwen' (profile 'tiny') has no option",
                                         "Did you mean: max_pixels")),
])
def test_backend_options_are_checked_against_the_declared_ones_before_loading(ige, scenes, tmp_path, flag,
                                                                              option, needles):
    res = _score(ige, scenes, tmp_path, "--profile", "tiny", flag, option)
    _usage_error(res, *needles)
    assert not (tmp_path / "out" / "per_video.jsonl").exists()


def test_out_pointing_at_a_file(ige, scenes, tmp_path):
    (tmp_path / "out").write_text("not a folder")
    _usage_error(_score(ige, scenes, tmp_path, "--profile", "tiny"), "out: is a file", "output folder")


def test_attempts_must_be_positive(ige, scenes, tmp_path):
    _usage_error(_score(ige, scenes, tmp_path, "--profile", "tiny", "--attempts", "0"),
                 "attempts must be at least 1, got 0")


def test_videos_argument_that_is_a_file(ige, scenes, tmp_path):
    one = next(scenes.videos.iterdir())
    res = ige("score", one, "--prompts", scenes.suite, "--out", tmp_path / "out", "--profile", "tiny")
    _usage_error(res, f"{one}: is a file; give the folder that holds the videos")
    res = ige("score", tmp_path / "nowhere", "--prompts", scenes.suite, "--profile", "tiny")
    _usage_error(res, "videos folder does not exist")


def test_unknown_judge_with_a_profile_blames_the_judge_not_the_profile(ige, scenes, tmp_path):
    line = _usage_error(_score(ige, scenes, tmp_path, "--judge", "nope", "--profile", "tiny"),
                        "unknown judge 'nope'", "Known: openai, qwen, scripted")
    assert "profile" not in line


def test_unknown_profile(ige, scenes, tmp_path):
    _usage_error(_score(ige, scenes, tmp_path, "--profile", "tiyn"), "unknown model profile 'tiyn'",
                 "Did you mean: tiny?")


def test_install_hints_keep_the_extra_in_brackets(ige, scenes, tmp_path):
    # Without transformers (a core install) the qwen judge names the extra; Rich must not eat "[models]".
    res = _score(ige, scenes, tmp_path, "--profile", "tiny", block=("transformers",))
    line = _usage_error(res, "pip install 'intergeneval[models]'")
    assert "judge 'qwen' (profile 'tiny')" in line


def test_bad_suite_is_one_line(ige, scenes, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "intergeneval-suite", "schema_version": 1,
                               "scenarios": [{"id": "x"}]}))
    res = ige("score", scenes.videos, "--prompts", bad, "--answers", scenes.answers, "--tracks",
              scenes.tracks)
    assert res.returncode == 2 and "Traceback" not in res.stderr and str(bad) in res.stderr


def test_malformed_option_and_bad_flag_values(ige, scenes, tmp_path):
    _usage_error(_score(ige, scenes, tmp_path, "--judge-option", "oops"), "--judge-option takes key=value")
    _usage_error(_score(ige, scenes, tmp_path, "--profile", "tiny", "--max-side", "8"),
                 "max_side must be at least 64")


def test_demo_out_that_is_a_file_or_an_unknown_profile(ige, tmp_path):
    (tmp_path / "taken").write_text("a file")
    _usage_error(ige("demo", "--out", tmp_path / "taken"),  # was a NotADirectoryError traceback
                 "taken: is a file, but the demo output folder must be a folder")
    _usage_error(ige("demo", "--out", tmp_path / "taken" / "sub"), "taken is a file")
    _usage_error(ige("demo", "--out", tmp_path / "d", "--profile", "tiyn"), "unknown model profile 'tiyn'")
    assert not (tmp_path / "d").exists()  # refused before any scene was written

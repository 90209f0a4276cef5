"""docs/your-own-suite.md, run as a newcomer would: its files are written, its `intergeneval` commands run
in order (offline, tiny profile), and what it says they print is what they print. Commands marked
`# needs the real models` are the only ones left out."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

DOC = Path(__file__).parents[2] / "docs" / "your-own-suite.md"
SKIP = "# needs the real models"


def _blocks(text: str) -> list[tuple[str, str]]:
    """(info string, body) of every fenced block, in order."""
    return re.findall(r"^```([^\n]*)\n(.*?)^```", text, re.M | re.S)


@pytest.fixture(scope="module")
def tiny_home(tmp_path_factory):
    pytest.importorskip("transformers")
    return tmp_path_factory.mktemp("home")


def test_the_guide_runs_end_to_end(ige, tmp_path, tiny_home):
    from intergeneval.synthetic import make_scene_set

    blocks = _blocks(DOC.read_text())
    commands = [line for info, body in blocks if info == "bash" for line in body.splitlines()
                if line.startswith("intergeneval ")]
    assert any(SKIP in c for c in commands) and len(commands) >= 5
    for info, body in blocks:  # the files the guide asks for
        if info.startswith("json file="):
            (tmp_path / info.split("=", 1)[1]).write_text(body)
    ids = [s["id"] for s in json.loads((tmp_path / "my-prompts.json").read_text())["scenarios"]]
    # "Generate one video per prompt and put them in videos/": synthetic clips stand in for the model's
    scenes = make_scene_set(tmp_path / "scenes", n_videos=len(ids), frames=9, size=(64, 96), seed=5)
    (tmp_path / "videos").mkdir()
    for sid, clip in zip(ids, scenes.ids, strict=True):
        shutil.copy(scenes.videos / f"{clip}.mp4", tmp_path / "videos" / f"{sid}.mp4")

    outputs = {}
    for command in commands:
        if SKIP in command:
            continue
        res = ige(*shlex.split(command)[1:], env={"INTERGENEVAL_HOME": str(tiny_home)}, timeout=600)
        assert res.returncode == 0, (command, res.stdout, res.stderr)
        assert "Traceback" not in res.stderr
        outputs[command] = res

    build = next(r for c, r in outputs.items() if c.startswith("intergeneval suite build"))
    shown = next(body for info, body in blocks if info == "text")  # what the guide says the build prints
    for line in shown.splitlines():
        pattern = ".+".join(map(re.escape, line.split("…")))
        assert any(re.fullmatch(pattern, x) for x in build.stdout.splitlines()), (line, build.stdout)

    suite = json.loads((tmp_path / "my-suite" / "suite.json").read_text())
    questions = {s["id"]: [q["text"] for ki in s["key_interactions"] for q in ki["questions"]]
                 for s in suite["scenarios"]}
    for quoted in re.findall(r'"((?:At the start|Is the red)[^"]*\?)"', DOC.read_text()):
        assert quoted in questions["dog-fetch"], quoted
    assert len(questions["handshake"]) == 20  # "two sets of ten, one per direction"

    score = next(r for c, r in outputs.items() if c.startswith("intergeneval score"))
    summary = json.loads((tmp_path / "results-tiny" / "summary.json").read_text())
    assert summary["videos"]["expected"] == 2 and summary["videos"]["scored"] == 2
    assert set(summary["categories"]["pairing"]) == {"animal-object", "human-human"}
    assert (tmp_path / "results-tiny" / "report.html").is_file()
    # progress names the models as they load; the models' own bars and the benign transformers warning about
    # building Sam2Model from the sam2_video checkpoint (the detector's segmenter) are not shown
    for role in ("judge", "tracker", "detector"):
        assert f"loading {role}…" in score.stderr
    for noise in ("Loading weights", "Writing model shards", "sam2_video", "it/s]"):
        assert noise not in score.stderr + score.stdout, noise
    assert [line.split(":")[0] for line in score.stderr.splitlines() if line.startswith("[")] == [
        "[1/2] dog-fetch", "[2/2] handshake"]
    # the tiny profile's warning, on the console before and after the table ("it says so in red")
    text = score.stdout
    assert text.count("scores are meaningless") == 2
    assert text.index("scores are meaningless") < text.index("│ IF") < text.rindex("scores are meaningless")

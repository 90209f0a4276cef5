"""Reference mode against hand computation and an independent simulation of the reference calculators.

The simulation below is written from the protocol's description of the reference scripts (Part II
§2.1–2.5), not from `intergeneval.reference`: the arithmetic is done the reference's way and its crashes are
real Python exceptions caught per file, exactly where the reference's scripts would stop.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from intergeneval.errors import ConfigError, DataFormatError
from intergeneval.reference import CASES, score_reference

LAMBDA = 5
YES, NO, IMPL = "yes", "no", "no (visually implausible)"


# ------------------------------------------------------------------------------------- simulation
def _dirs(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.is_dir()) if path.is_dir() else []


def sim_question_scores(path: Path) -> dict[str, Any] | None:
    """§2.1 on one file: {video_id: {prompt, KISA_score, SGA_score}}, or None when the script fails."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        videos: dict[Any, dict[str, Any]] = {}
        for video in data:
            vid = video["video_id"]
            prompt = video["prompt"]
            pooled = []
            for item in video.get("items", []):
                pooled.extend(item.get("question_verification_results", []))
            _yes_all = len([r for r in pooled if r["answer"] == "yes"])
            low = [r for r in pooled if r["question_id"] <= 6]
            high = [r for r in pooled if 7 <= r["question_id"] <= 10]
            k = round(len([r for r in low if r["answer"] == "yes"]) / len(low), 3) if low else 0
            g = round(len([r for r in high if r["answer"] == "yes"]) / len(high), 3) if high else 0
            videos[vid] = {"prompt": prompt, "KISA_score": k, "SGA_score": g}
        # Before writing, the script prints statistics (a mean over videos) and a table of ids and prompts.
        _ = sum(v["KISA_score"] for v in videos.values()) / len(videos)
        for vid, v in videos.items():
            _ = f"{vid:<8} {v['prompt'][:30]}..."
    except Exception:
        return None
    return json.loads(json.dumps(videos))


def sim_spi_scores(path: Path) -> dict[str, Any]:
    """§2.3 on one file: {video_id: SPI}; the script catches any error and keeps nothing of the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        videos: dict[Any, float] = {}
        for video in data:
            vid = video["video_id"]
            frames = video.get("hallucination_results", [])
            n = len(frames)
            e = d = 0
            for fr in frames:
                e += fr.get("emergence") == "yes"
                d += fr.get("disappearance") == "yes"
            # λ·(e/F): the reference multiplies the ratio.
            em = 1 - LAMBDA * (e / n) if n > 0 else 0
            di = 1 - LAMBDA * (d / n) if n > 0 else 0
            videos[vid] = (em + di) / 2
    except Exception:
        return {}
    return json.loads(json.dumps(videos))


def simulate(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the reference would write for a SCORE_RESULTS folder: (combined, model averages)."""
    qa_root = root / "question_verification_results"
    ed_root = root / "emergence_disappearance_results"
    kisa_sgi: dict[str, dict[str, Any]] = {}
    for model in _dirs(qa_root):
        for dt in _dirs(qa_root / model):
            f = qa_root / model / dt / "question_verification.json"
            if f.is_file() and (scores := sim_question_scores(f)) is not None:
                kisa_sgi.setdefault(model, {})[dt] = scores
    spis: dict[str, dict[str, Any]] = {}
    for model in _dirs(ed_root):
        spis[model] = {}
        for dt in _dirs(ed_root / model):
            f = ed_root / model / dt / "_emergence_disappearance.json"
            spis[model][dt] = sim_spi_scores(f) if f.is_file() else {}

    combined: dict[str, Any] = {}
    for model, dts in kisa_sgi.items():
        if model not in spis:
            continue
        combined[model] = {}
        for dt, videos in dts.items():
            if dt not in spis[model]:
                continue
            combined[model][dt] = {}
            for vid, v in videos.items():
                if vid not in spis[model][dt]:
                    continue
                p = spis[model][dt][vid]
                k, g = v["KISA_score"], v["SGA_score"]
                combined[model][dt][vid] = {
                    "prompt": v["prompt"], "KISA_score": k, "SGA_score": g, "SPI_score": p,
                    "KISA_SPI": k * p, "SGA_SPI": g * p, "IF_score": (k * p + g * p) / 2,
                }

    averages: dict[str, Any] = {}
    for model, dts in combined.items():
        cols: dict[str, list[float]] = {"KISA_SPI": [], "SGA_SPI": [], "IF_score": []}
        breakdown = {}
        for dt, videos in dts.items():
            if not videos:
                continue
            part = {c: [v[c] for v in videos.values()] for c in cols}
            breakdown[dt] = {"video_count": len(videos)} | {
                f"avg_{c}": sum(part[c]) / len(part[c]) for c in cols}
            for c in cols:
                cols[c].extend(part[c])
        n = len(cols["IF_score"])
        averages[model] = {"total_videos": n} | {
            f"overall_avg_{c}": (sum(cols[c]) / n if n else 0.0) for c in cols} | {
            "sample_type_breakdown": breakdown}
    return combined, averages


def reference_text(value: Any) -> str:
    """How the reference's json.dump(indent=2, ensure_ascii=False) writes a summary."""
    return json.dumps(value, indent=2, ensure_ascii=False)


# ------------------------------------------------------------------------------------- builders
def sampled(frames: int) -> list[int]:
    """The reference's frame sampling at stride 5."""
    return sorted({0, *range(5, frames - 1, 5), frames - 1})


def qa_results(answers: list[str], ids: list[int] | None = None) -> list[dict[str, Any]]:
    ids = ids if ids is not None else list(range(1, len(answers) + 1))
    return [{"question_id": q, "answer": a, "frame_index": None if a == NO else 5}
            for q, a in zip(ids, answers)]


def qa_item(n: int, results: Any, **extra: Any) -> dict[str, Any]:
    return {"item_index": n, "key_interaction": f"interaction {n}",
            "questions": [f"question {i}" for i in range(1, 11)],
            "question_verification_results": results, **extra}


def qa_entry(vid: str, items: list[dict[str, Any]], frames: int = 49) -> dict[str, Any]:
    return {"video_id": vid, "prompt": f"prompt of video {vid}", "frames_analyzed": len(sampled(frames)),
            "frame_indices": sampled(frames), "model_used": "gpt-5", "items": items}


def ed_entry(vid: str, emergence: list[int], disappearance: list[int], frames: int = 49, *,
             error: str | None = None) -> dict[str, Any]:
    compared = sampled(frames)[1:]
    if error is not None:
        results = [{"frame_idx": k, "error": error, "emergence": "error", "disappearance": "error"}
                   for k in compared]
        analysis: dict[str, Any] = {}
    else:
        analysis = {"emergence": YES if emergence else NO, "emergence_frames": emergence,
                    "emergence_reason": "a cup appears" if emergence else "",
                    "disappearance": YES if disappearance else NO, "disappearance_frames": disappearance,
                    "disappearance_reason": "(fridge, green) lost" if disappearance else ""}
        results = [{"frame_idx": k, "emergence": YES if k in emergence else NO,
                    "disappearance": YES if k in disappearance else NO,
                    "emergence_reason": "", "disappearance_reason": ""} for k in compared]
    return {"video_id": vid, "prompt": f"prompt of video {vid}", "entity": ["man", "fridge"],
            "colors": ["red", "green"], "frames_analyzed": len(compared) + 1, "model_used": "gpt-5",
            "emergence_score": 1.0, "disappearance_score": 1, "hallucination_score": 1,
            "hallucination_results": results, "overall_analysis": analysis}


def write_tree(root: Path, qa: dict[tuple[str, str], Any], ed: dict[tuple[str, str], Any]) -> Path:
    """Write {(model, data_type): list or raw text} as the reference's SCORE_RESULTS layout."""
    for tree, name, files in (("question_verification_results", "question_verification.json", qa),
                              ("emergence_disappearance_results", "_emergence_disappearance.json", ed)):
        for (model, dt), content in files.items():
            d = root / tree / model / dt
            d.mkdir(parents=True, exist_ok=True)
            if content is None:  # the folder without its file
                continue
            text = content if isinstance(content, str) else json.dumps(content, indent=2)
            (d / name).write_text(text, encoding="utf-8")
    return root


# ================================================================================================ tests
DATA = Path(__file__).parent / "data" / "SCORE_RESULTS"


def _run(root: Path, out: Path, **kw):
    report = score_reference(root, out, **kw)
    combined = (out / "combined_scores_summary.json").read_text(encoding="utf-8")
    averages = (out / "model_averages_summary.json").read_text(encoding="utf-8")
    return report, combined, averages


def _cases(report) -> set[tuple[str, str, str | None, str]]:
    return {(i.model, i.data_type, i.video, i.case) for i in report.issues}


# ----------------------------------------------------------------------------- the shipped fixture
def test_fixture_numbers_by_hand(tmp_path):
    report, text, _ = _run(DATA, tmp_path)
    c = json.loads(text)
    v = c["cogvideox_5b"]["easy"]["000"]
    # yes in slots 1,2,4,6 of 1–6 → 4/6 → 0.667; 7,8,10 of 7–10 → 0.75; e = 2 of F = 10 → E = 0, D = 1
    assert (v["KISA_score"], v["SGA_score"], v["SPI_score"]) == (0.667, 0.75, 0.5)
    assert v["KISA_SPI"] == pytest.approx(0.3335) and v["SGA_SPI"] == 0.375
    assert v["IF_score"] == pytest.approx(0.35425)
    assert v["prompt"] == "A man (red bbox) opens a fridge door (green bbox)."
    v = c["cogvideox_5b"]["easy"]["001"]  # two key interactions pooled; 81 frames → F = 16, d = 2
    assert (v["KISA_score"], v["SGA_score"], v["SPI_score"]) == (0.583, 0.625, 0.6875)
    assert v["IF_score"] == pytest.approx((0.583 + 0.625) * 0.6875 / 2)
    v = c["cogvideox_5b"]["easy"]["002"]  # ids 0–9: 7 yes as KISA, 3 no as SGI; failed emergence call
    assert (v["KISA_score"], v["SGA_score"], v["SPI_score"], v["IF_score"]) == (1.0, 0.0, 1.0, 0.5)
    v = c["cogvideox_5b"]["easy"]["003"]  # the only item errored: the reference writes int 0
    assert v["KISA_score"] == 0 and isinstance(v["KISA_score"], int) and v["IF_score"] == 0.0
    v = c["cogvideox_5b"]["hard"]["000"]  # regex fallback: 8 answers, 4/5 KISA, 3/3 SGI; d = 1
    assert (v["KISA_score"], v["SGA_score"], v["SPI_score"]) == (0.8, 1.0, 0.75)
    assert "001" not in c["cogvideox_5b"]["hard"]  # unparsed reply: the reference crashes on it
    assert list(c["matrix"]["easy"]) == ["000", "003"]  # 001 has no SPI, 002 no KISA/SGI
    assert c["matrix"]["easy"]["003"]["SPI_score"] == 1.0  # the string frame "15" is ignored
    assert "hard" not in c["matrix"]  # no question file
    assert report.videos_scored == 7


def test_fixture_model_averages_by_hand(tmp_path):
    report, _, text = _run(DATA, tmp_path)
    a = json.loads(text)
    easy = a["cogvideox_5b"]["sample_type_breakdown"]["easy"]
    assert easy["video_count"] == 4
    assert easy["avg_KISA_SPI"] == pytest.approx((0.3335 + 0.583 * 0.6875 + 1.0 + 0.0) / 4)
    assert easy["avg_IF_score"] == pytest.approx((0.35425 + 1.208 * 0.6875 / 2 + 0.5 + 0.0) / 4)
    cog = a["cogvideox_5b"]
    assert cog["total_videos"] == 5  # pooled over easy (4) and hard (1), video-count weighted
    assert cog["overall_avg_IF_score"] == pytest.approx((0.317375 * 4 + 0.675) / 5)
    assert a["matrix"]["total_videos"] == 2
    assert a["matrix"]["overall_avg_SGA_SPI"] == pytest.approx(0.5)
    assert list(a["cogvideox_5b"]) == ["total_videos", "overall_avg_KISA_SPI", "overall_avg_SGA_SPI",
                                       "overall_avg_IF_score", "sample_type_breakdown"]


def test_fixture_issue_list(tmp_path):
    report, _, _ = _run(DATA, tmp_path)
    assert _cases(report) == {
        ("cogvideox_5b", "easy", "002", "qa_zero_based"),
        ("cogvideox_5b", "easy", "002", "ed_call_error"),
        ("cogvideox_5b", "easy", "003", "qa_item_error"),
        ("cogvideox_5b", "easy", "003", "qa_no_kisa_answers"),
        ("cogvideox_5b", "easy", "003", "qa_no_sgi_answers"),
        ("cogvideox_5b", "hard", "000", "qa_regex_fallback"),
        ("cogvideox_5b", "hard", "000", "qa_answers_dropped"),
        ("cogvideox_5b", "hard", "001", "qa_reply_unparsed"),
        ("matrix", "easy", "001", "only_in_qa"),
        ("matrix", "easy", "002", "only_in_ed"),
        ("matrix", "easy", "003", "ed_frame_not_int"),
        ("matrix", "easy", "003", "ed_flag_ignored"),
        ("matrix", "hard", None, "qa_file_missing"),
    }
    assert report.counts() == {"crash": 1, "mis-score": 9, "dropped": 3}
    written = json.loads((tmp_path / "reference_issues.json").read_text())
    assert len(written["issues"]) == 13 and written["crash_policy"] == "skip-video"
    crash = next(i for i in written["issues"] if i["effect"] == "crash")
    assert crash["model"] == "cogvideox_5b" and crash["video"] == "001" and "left out" in crash["handling"]
    assert written["diagnostics"]["cogvideox_5b"]["easy"]["implausible_answers"] == 1


def test_fixture_skip_video_equals_the_reference_without_the_crashing_video(tmp_path):
    _, combined, averages = _run(DATA, tmp_path / "out")
    # The reference itself, run on the same files with the unparseable video removed.
    copy = tmp_path / "copy"
    shutil.copytree(DATA, copy)
    f = copy / "question_verification_results/cogvideox_5b/hard/question_verification.json"
    f.write_text(json.dumps([v for v in json.loads(f.read_text()) if v["video_id"] != "001"]))
    want_c, want_a = simulate(copy)
    assert combined == reference_text(want_c)
    assert averages == reference_text(want_a)


def test_fixture_skip_file_equals_the_reference(tmp_path):
    report, combined, averages = _run(DATA, tmp_path, crash_policy="skip-file")
    want_c, want_a = simulate(DATA)
    assert "hard" not in json.loads(combined)["cogvideox_5b"]  # the reference loses the whole file
    assert combined == reference_text(want_c)
    assert averages == reference_text(want_a)
    assert "whole model/data type" in next(i for i in report.issues if i.effect == "crash").handling


def test_summary_lines_name_outputs_models_and_issues(tmp_path):
    report, _, _ = _run(DATA, tmp_path)
    lines = report.summary_lines()
    text = "\n".join(lines)
    assert "Scored 7 videos of 2 model(s)" in lines[0]
    assert str(tmp_path / "combined_scores_summary.json") in text
    assert any(line.strip().startswith("cogvideox_5b: 5 videos, IF 0.3889") for line in lines)
    assert "13 issue(s)" in text and "crash: cogvideox_5b/hard/001: qa_reply_unparsed" in text
    short = report.summary_lines(max_issues=2)
    assert len(short) == len(lines) - 11 + 1 and short[-1].strip().startswith("… 11 more in ")


# ------------------------------------------------------------------------------ one case at a time
def _one(tmp_path, qa_videos, ed_videos, **kw):
    root = write_tree(tmp_path / "S", {("m", "t"): qa_videos}, {("m", "t"): ed_videos})
    report, combined, _ = _run(root, tmp_path / "out", **kw)
    return report, json.loads(combined)


def _clean(vid="000", answers=None):
    return qa_entry(vid, [qa_item(0, qa_results(answers or [YES] * 10))])


@pytest.mark.parametrize(
    ("mutate", "case"),
    [
        (lambda q: q["items"][0].update(
            question_verification_results={"raw_response": "x", "parsing_error": "e"}), "qa_reply_unparsed"),
        (lambda q: _first_results(q)[2].update(question_id="3"), "qa_result_malformed"),
        (lambda q: _first_results(q)[0].pop("answer"), "qa_result_malformed"),
        (lambda q: _first_results(q)[0].update(question_id=None), "qa_result_malformed"),
        (lambda q: q["items"][0].update(question_verification_results=None), "qa_result_malformed"),
        (lambda q: q.pop("prompt"), "qa_video_malformed"),
        (lambda q: q.update(prompt=None), "qa_video_malformed"),
        (lambda q: q.update(items=None), "qa_video_malformed"),
        (lambda q: q["items"].append("not an item"), "qa_video_malformed"),
    ],
)
def test_question_side_crashes(tmp_path, mutate, case):
    bad = _clean("001")
    mutate(bad)
    qa = [_clean("000"), bad]
    ed = [ed_entry("000", [], []), ed_entry("001", [], [])]
    root = write_tree(tmp_path / "S", {("m", "t"): qa}, {("m", "t"): ed})
    assert sim_question_scores(root / "question_verification_results/m/t/question_verification.json") is None
    report, combined, _ = _run(root, tmp_path / "out")
    assert _cases(report) == {("m", "t", "001", case)}
    assert list(json.loads(combined)["m"]["t"]) == ["000"]
    _, combined, _ = _run(root, tmp_path / "out2", crash_policy="skip-file")
    assert json.loads(combined) == simulate(root)[0] == {}  # the reference writes no KISA/SGI for m/t


@pytest.mark.parametrize(
    ("mutate", "case"),
    [
        (lambda e: e.update(hallucination_results=None), "ed_video_malformed"),
        (lambda e: e["hallucination_results"].__setitem__(0, "frame 5"), "ed_video_malformed"),
        (lambda e: e.pop("video_id"), "ed_video_malformed"),
    ],
)
def test_emergence_side_crashes(tmp_path, mutate, case):
    bad = ed_entry("001", [], [])
    mutate(bad)
    root = write_tree(tmp_path / "S", {("m", "t"): [_clean("000"), _clean("001")]},
                      {("m", "t"): [ed_entry("000", [5], []), bad]})
    assert sim_spi_scores(root / "emergence_disappearance_results/m/t/_emergence_disappearance.json") == {}
    report, combined, _ = _run(root, tmp_path / "out")
    label = "001" if "video_id" in bad else "#1"
    assert ("m", "t", label, case) in _cases(report)
    assert json.loads(combined)["m"]["t"]["000"]["SPI_score"] == 0.75
    _, combined, _ = _run(root, tmp_path / "out2", crash_policy="skip-file")
    assert json.loads(combined) == simulate(root)[0] == {"m": {"t": {}}}



def test_file_whose_every_video_crashes_is_left_out_like_the_reference_without_them(tmp_path):
    bad = _clean("000")
    bad["items"][0]["question_verification_results"] = {"raw_response": "?", "parsing_error": "x"}
    weird = ed_entry("001", [], []) | {"video_id": ["001"]}
    root = write_tree(tmp_path / "S", {("m", "t"): [bad], ("m", "u"): [_clean("001")]},
                      {("m", "t"): [ed_entry("000", [], [])], ("m", "u"): [weird]})
    report, combined, _ = _run(root, tmp_path / "out")
    # Without its only video the question file is empty: the reference writes nothing for m/t.
    assert json.loads(combined) == {"m": {"u": {}}}
    assert ("m", "u", "#0", "ed_video_malformed") in _cases(report)
    clean = write_tree(tmp_path / "C", {("m", "t"): [], ("m", "u"): [_clean("001")]},
                       {("m", "t"): [ed_entry("000", [], [])], ("m", "u"): []})
    assert combined == reference_text(simulate(clean)[0])

@pytest.mark.parametrize(
    ("entry", "case", "kisa", "sgi"),
    [
        (qa_entry("000", [qa_item(0, qa_results([YES] * 10)), qa_item(1, [], error="500")]),
         "qa_item_error", 1.0, 1.0),
        (qa_entry("000", [qa_item(0, qa_results([YES] * 9 + [NO], ids=list(range(1, 10)) + [12]))]),
         "qa_id_out_of_range", 1.0, 1.0),
        (qa_entry("000", [qa_item(0, qa_results([NO] * 2 + [YES] * 8, ids=list(range(10))))]),
         "qa_zero_based", 0.714, 1.0),  # ids 0–6: 5 yes of 7; ids 7–9: 3 of 3
        (qa_entry("000", [qa_item(0, qa_results([NO] + [YES] * 9, ids=[-1] + list(range(2, 11))))]),
         "qa_id_out_of_range", 0.833, 1.0),
        (qa_entry("000", [qa_item(0, qa_results([YES] * 10, ids=[1, 1, 3, 4, 5, 6, 7, 8, 9, 10]))]),
         "qa_duplicate_ids", 1.0, 1.0),
        (qa_entry("000", [qa_item(0, qa_results(["Yes"] + [YES] * 9))]), "qa_nonstandard_answer", 0.833, 1.0),
        (qa_entry("000", [qa_item(0, qa_results([YES] * 10 + [NO]))]), "qa_extra_answers", 1.0, 1.0),
        (qa_entry("000", [qa_item(0, qa_results([YES] * 6, ids=[1.0, 2, 3, 4, 5, 6.5]) +
                                  qa_results([YES] * 4, ids=[7, 8, 9, 10]))]),
         "qa_id_not_integer", 1.0, 1.0),
    ],
)
def test_question_side_mis_scores_match_the_reference(tmp_path, entry, case, kisa, sgi):
    report, combined = _one(tmp_path, [entry], [ed_entry("000", [], [])])
    assert case in {i.case for i in report.issues}
    v = combined["m"]["t"]["000"]
    assert (v["KISA_score"], v["SGA_score"]) == (kisa, sgi)
    assert combined == simulate(tmp_path / "S")[0]


def test_answer_count_mismatch_and_fallback_are_told_apart(tmp_path):
    results = qa_results([YES] * 9)
    for r in results:
        r.pop("frame_index")
    report, _ = _one(tmp_path, [qa_entry("000", [qa_item(0, results)])], [ed_entry("000", [], [])])
    assert {i.case for i in report.issues} == {"qa_regex_fallback", "qa_answers_dropped"}
    report, _ = _one(tmp_path / "b", [qa_entry("000", [qa_item(0, qa_results([YES] * 9))])],
                     [ed_entry("000", [], [])])
    assert {i.case for i in report.issues} == {"qa_answers_dropped"}


def test_duplicate_video_keeps_the_later_entry_like_the_reference(tmp_path):
    report, combined = _one(tmp_path, [_clean("000", [NO] * 10), _clean("001"), _clean("000")],
                            [ed_entry("000", [], []), ed_entry("001", [], [])])
    assert combined["m"]["t"]["000"]["KISA_score"] == 1.0
    assert list(combined["m"]["t"]) == ["000", "001"]  # a dict keeps the first position
    assert combined == simulate(tmp_path / "S")[0]
    assert ("m", "t", "000", "qa_duplicate_video") in _cases(report)


@pytest.mark.parametrize(
    ("ed", "case", "spi"),
    [
        (ed_entry("000", [], [], error="Error code: 429"), "ed_call_error", 1.0),
        (ed_entry("000", [], []) | {"overall_analysis": {"raw_response": "?", "parsing_error": "No JSON"}},
         "ed_reply_unparsed", 1.0),
        (ed_entry("000", [5], []) | {"hallucination_results": [], "frames_analyzed": 1,
                                     "error": "Insufficient frames for comparison"}, "ed_no_frames", 0.0),
        (ed_entry("000", [5], []) | {"frames_analyzed": 10}, "ed_frames_misaligned", 0.75),
    ],
)
def test_emergence_side_mis_scores_match_the_reference(tmp_path, ed, case, spi):
    report, combined = _one(tmp_path, [_clean()], [ed])
    assert {i.case for i in report.issues} == {case}
    assert combined["m"]["t"]["000"]["SPI_score"] == spi
    assert combined == simulate(tmp_path / "S")[0]


def test_flagged_frames_as_strings_or_not_compared_are_ignored_and_listed(tmp_path):
    ed = ed_entry("000", [10], [])
    ed["overall_analysis"]["emergence_frames"] = [10, "15", 7]
    ed["overall_analysis"]["disappearance"] = "yes"
    report, combined = _one(tmp_path, [_clean()], [ed])
    assert {i.case for i in report.issues} == {"ed_frame_not_int", "ed_frame_not_sampled", "ed_flag_ignored"}
    assert combined["m"]["t"]["000"]["SPI_score"] == 0.75  # only frame 10 counts


def test_negative_spi_is_kept_unclipped(tmp_path):
    frames = sampled(49)[1:]
    report, combined = _one(tmp_path, [_clean()], [ed_entry("000", frames, frames[:5])])
    v = combined["m"]["t"]["000"]
    assert v["SPI_score"] == ((1 - 5) + (1 - 5 * 0.5)) / 2 == -2.75
    assert v["IF_score"] == -2.75 and not report.issues


def test_unreadable_and_malformed_files(tmp_path):
    root = write_tree(tmp_path / "S",
                      {("m", "a"): "[{\"video_id\": \"000\", ", ("m", "b"): [_clean()], ("m", "c"): {"x": 1},
                       ("m", "d"): []},
                      {("m", "a"): [ed_entry("000", [], [])], ("m", "b"): {"videos": []},
                       ("m", "c"): [ed_entry("000", [], [])], ("m", "d"): "not json"})
    report, combined, _ = _run(root, tmp_path / "out")
    assert _cases(report) == {
        ("m", "a", None, "qa_file_unreadable"), ("m", "b", None, "ed_file_malformed"),
        ("m", "c", None, "qa_file_malformed"), ("m", "d", None, "qa_file_empty"),
        ("m", "d", None, "ed_file_unreadable"),
    }
    assert combined == reference_text(simulate(root)[0])


def test_files_and_models_present_on_one_side_only(tmp_path):
    root = write_tree(tmp_path / "S",
                      {("m", "t"): [_clean()], ("m", "qa_only"): [_clean()], ("solo", "t"): [_clean()]},
                      {("m", "t"): [ed_entry("000", [], [])], ("m", "ed_only"): [ed_entry("000", [], [])],
                       ("m", "empty"): None})
    report, combined, averages = _run(root, tmp_path / "out")
    assert _cases(report) == {
        ("m", "qa_only", None, "ed_file_missing"), ("m", "ed_only", None, "qa_file_missing"),
        ("solo", "t", None, "ed_file_missing"),
    }
    want_c, want_a = simulate(root)
    assert combined == reference_text(want_c) and averages == reference_text(want_a)


def test_model_without_common_videos_gets_zero_averages_like_the_reference(tmp_path):
    root = write_tree(tmp_path / "S", {("m", "t"): [_clean("000")]}, {("m", "t"): [ed_entry("111", [], [])]})
    report, combined, averages = _run(root, tmp_path / "out")
    assert json.loads(averages)["m"] == {"total_videos": 0, "overall_avg_KISA_SPI": 0.0,
                                         "overall_avg_SGA_SPI": 0.0, "overall_avg_IF_score": 0.0,
                                         "sample_type_breakdown": {}}
    assert averages == reference_text(simulate(root)[1])
    assert {i.case for i in report.issues} == {"only_in_qa", "only_in_ed"}


def test_bad_arguments(tmp_path):
    with pytest.raises(DataFormatError, match="no such folder"):
        score_reference(tmp_path / "nope", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFormatError, match="neither question_verification_results/"):
        score_reference(tmp_path / "empty", tmp_path / "out")
    with pytest.raises(ConfigError, match="crash_policy must be one of"):
        score_reference(DATA, tmp_path / "out", crash_policy="ignore")


def test_every_case_is_documented():
    docs = (Path(__file__).parents[2] / "docs" / "metrics.md")
    text = docs.read_text(encoding="utf-8") if docs.is_file() else ""
    assert all(effect in ("crash", "mis-score", "dropped") for effect, _ in CASES.values())
    assert [c for c in CASES if f"`{c}`" not in text] == []


# ---------------------------------------------------------------------- random trees vs the simulation
def _strip_fallback(q, rng):
    item = q["items"][0]
    item["question_verification_results"] = [
        {"question_id": r["question_id"], "answer": r["answer"]}
        for r in item["question_verification_results"] if r["answer"] != IMPL]


def _first_results(q):
    return q["items"][0]["question_verification_results"]


#: name → (crash?, case, mutate(entry, rng)); the question side.
QA_DEFECTS = {
    "reply_unparsed": (True, "qa_reply_unparsed", lambda q, rng: q["items"][0].update(
        question_verification_results={"raw_response": "```json [", "parsing_error": "Expecting value"})),
    "string_id": (True, "qa_result_malformed",
                  lambda q, rng: _first_results(q)[rng.randrange(10)].update(question_id="4")),
    "no_answer": (True, "qa_result_malformed",
                  lambda q, rng: _first_results(q)[rng.randrange(10)].pop("answer")),
    "null_prompt": (True, "qa_video_malformed", lambda q, rng: q.update(prompt=None)),
    "item_error": (False, "qa_item_error", lambda q, rng: q["items"].append(
        qa_item(len(q["items"]), [], error="Error code: 500"))),
    "all_items_error": (False, "qa_item_error", lambda q, rng: [
        it.update(question_verification_results=[], error="timeout") for it in q["items"]]),
    "fallback": (False, "qa_regex_fallback", _strip_fallback),
    "zero_based": (False, "qa_zero_based", lambda q, rng: [
        r.update(question_id=r["question_id"] - 1) for r in _first_results(q)]),
    "over_ten": (False, "qa_id_out_of_range", lambda q, rng: _first_results(q)[rng.randrange(10)].update(
        question_id=rng.choice([11, 13]))),
    "dup_ids": (False, "qa_duplicate_ids", lambda q, rng: _first_results(q)[1].update(question_id=1)),
    "nonstandard": (False, "qa_nonstandard_answer",
                    lambda q, rng: _first_results(q)[rng.randrange(10)].update(answer="Yes")),
}


def _unflag_emergence(e, rng):
    e["overall_analysis"].update(emergence="yes", emergence_frames=[])
    for fr in e["hallucination_results"]:
        fr["emergence"] = NO


def _unparsed(e, rng):
    for fr in e["hallucination_results"]:
        fr.update(emergence=NO, disappearance=NO)
    e["overall_analysis"] = {"raw_response": "The frames look fine.", "parsing_error": "No valid JSON found"}


#: The emergence side.
ED_DEFECTS = {
    "null_results": (True, "ed_video_malformed", lambda e, rng: e.update(hallucination_results=None)),
    "string_frame": (True, "ed_video_malformed",
                     lambda e, rng: e["hallucination_results"].insert(0, "frame 5")),
    "call_error": (False, "ed_call_error", lambda e, rng: e.update(
        ed_entry(e["video_id"], [], [], len(e["hallucination_results"]) * 5 + 4, error="Error code: 429"))),
    "unparsed": (False, "ed_reply_unparsed", _unparsed),
    "string_frames": (False, "ed_frame_not_int",
                      lambda e, rng: e["overall_analysis"]["emergence_frames"].append("15")),
    "not_sampled": (False, "ed_frame_not_sampled",
                    lambda e, rng: e["overall_analysis"]["disappearance_frames"].append(7)),
    "no_frames": (False, "ed_no_frames",
                  lambda e, rng: e.update(hallucination_results=[], frames_analyzed=1)),
    "misaligned": (False, "ed_frames_misaligned",
                   lambda e, rng: e.update(frames_analyzed=e["frames_analyzed"] - 1)),
    "flag_ignored": (False, "ed_flag_ignored", _unflag_emergence),
}

FILE_DEFECTS = ("qa_file_unreadable", "ed_file_malformed", "qa_file_missing", "ed_file_missing")


def _random_tree(rng: random.Random, root_bad: Path, root_clean: Path):
    """A tree with random defects, the same tree without the entries the reference crashes on, and the
    (model, data type, video, case) issues that must be reported."""
    qa, ed, qa_clean, ed_clean = {}, {}, {}, {}
    expected: set[tuple[str, str, str | None, str]] = set()
    used: set[str] = set()
    for model in ("cogvideox_5b", "matrix"):
        for dt in ("easy", "hard"):
            frames = rng.choice([49, 81])
            compared = sampled(frames)[1:]
            file_defect = rng.choice(FILE_DEFECTS) if rng.random() < 0.15 else None
            qa_ok = file_defect not in ("qa_file_unreadable", "qa_file_missing")
            ed_ok = file_defect not in ("ed_file_malformed", "ed_file_missing")
            qs, es, qs_keep, es_keep = [], [], [], []
            for i in range(rng.randint(2, 7)):
                vid = f"{i:03d}"
                items = [qa_item(n, qa_results([rng.choice([YES, YES, NO, IMPL]) for _ in range(10)]))
                         for n in range(rng.randint(1, 2))]
                q = qa_entry(vid, items, frames)
                e = ed_entry(vid, sorted(rng.sample(compared, rng.randint(0, 3))),
                             sorted(rng.sample(compared, rng.randint(0, 2))), frames)
                q_crash = e_crash = False
                r = rng.random() if i else 1.0  # video 000 stays clean in every file
                if r < 0.3:
                    name = rng.choice(sorted(QA_DEFECTS))
                    q_crash, case, mutate = QA_DEFECTS[name]
                    mutate(q, rng)
                    used.add(name)
                    if qa_ok:
                        expected.add((model, dt, vid, case))
                elif r < 0.6:
                    name = rng.choice(sorted(ED_DEFECTS))
                    e_crash, case, mutate = ED_DEFECTS[name]
                    mutate(e, rng)
                    used.add(name)
                    if ed_ok:
                        expected.add((model, dt, vid, case))
                elif r < 0.66:
                    e = None
                    if qa_ok and ed_ok:
                        expected.add((model, dt, vid, "only_in_qa"))
                elif r < 0.72:
                    q = None
                    if qa_ok and ed_ok:
                        expected.add((model, dt, vid, "only_in_ed"))
                if q is not None:
                    qs.append(q)
                    if not q_crash:
                        qs_keep.append(q)
                if e is not None:
                    es.append(e)
                    if not e_crash:
                        es_keep.append(e)
            sides = ((qa, qa_clean, qs, qs_keep, "qa"), (ed, ed_clean, es, es_keep, "ed"))
            for files, clean, entries, keep, kind in sides:
                if file_defect == f"{kind}_file_missing":
                    continue
                if file_defect == "qa_file_unreadable" and kind == "qa":
                    entries = keep = json.dumps(entries)[:-40]
                elif file_defect == "ed_file_malformed" and kind == "ed":
                    entries = keep = {"videos": entries}
                files[(model, dt)] = entries
                clean[(model, dt)] = keep
            if file_defect is not None:
                expected.add((model, dt, None, file_defect))
                used.add(file_defect)
    return write_tree(root_bad, qa, ed), write_tree(root_clean, qa_clean, ed_clean), expected, used


def test_random_trees_match_the_simulated_reference(tmp_path):
    rng = random.Random(31)
    used_all: set[str] = set()
    compared_videos = 0
    for n in range(40):
        bad, clean, expected, used = _random_tree(rng, tmp_path / f"{n}" / "bad", tmp_path / f"{n}" / "clean")
        used_all |= used
        # skip-file is the reference itself, crashes included.
        rep_file, combined, averages = _run(bad, tmp_path / f"{n}" / "out-file", crash_policy="skip-file")
        want_c, want_a = simulate(bad)
        assert combined == reference_text(want_c), n
        assert averages == reference_text(want_a), n
        # skip-video is the reference on the same files without the entries it would crash on.
        rep_video, combined, averages = _run(bad, tmp_path / f"{n}" / "out-video")
        want_c, want_a = simulate(clean)
        assert combined == reference_text(want_c), n
        assert averages == reference_text(want_a), n
        compared_videos += sum(len(v) for dts in want_c.values() for v in dts.values())
        got = _cases(rep_video)
        assert expected <= got, (n, expected - got)
        # Crashes and mis-scores do not depend on the policy.
        assert {c for c in got if CASES[c[3]][0] != "dropped"} == \
               {c for c in _cases(rep_file) if CASES[c[3]][0] != "dropped"}
    assert used_all == set(QA_DEFECTS) | set(ED_DEFECTS) | set(FILE_DEFECTS)
    assert compared_videos > 300

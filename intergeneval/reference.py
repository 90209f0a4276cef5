"""Reference compatibility: score the reference's intermediate files with this project's metric code.

Example:
    >>> from pathlib import Path
    >>> report = score_reference(Path("DATA/SCORE_RESULTS"), Path("ref-out"))  # doctest: +SKIP
    >>> print("\\n".join(report.summary_lines()))  # doctest: +SKIP

The input is the reference's ``SCORE_RESULTS`` folder (protocol Part II §0):
``question_verification_results/<model>/<data_type>/question_verification.json`` (§1.8) and
``emergence_disappearance_results/<model>/<data_type>/_emergence_disappearance.json`` (§1.9). The output
is what the reference's calculators (§2.1–2.5) would write, in their layouts and field names:
``combined_scores_summary.json`` and ``model_averages_summary.json``, plus ``reference_issues.json``, the
items the reference would crash on, mis-score or drop.

Where the reference does not crash, the numbers are the reference's, defects included: the reply's
``question_id`` is the slot (ids ≤ 6 count as KISA, 7–10 as SGI, the rest are ignored), per-video KISA and
SGI are rounded to 3 decimals and are 0 when nothing was answered, SPI is 0 when no frame was compared,
frames whose emergence call failed count as clean. Every such case is listed as a ``mis-score`` issue.

Where the reference crashes, its calculator stops on the whole file (the question calculator) or keeps
no video of it (the emergence calculator). This project does not invent a score for the broken video: with
``crash_policy="skip-video"`` (the default) it leaves that video out and scores the rest of the file as
the reference would without it; ``crash_policy="skip-file"`` reproduces the reference literally and leaves
the whole model/data type out. Either way each case is listed as a ``crash`` issue, never silently.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from . import config
from .errors import ConfigError, DataFormatError
from .formats import atomic_write_text, write_json
from .metrics.aggregate import round_reference
from .metrics.answers import AnswerCounts, count_answers
from .metrics.fidelity import interaction_fidelity, kisa_spi, sgi_spi
from .metrics.spi import spi
from .records import Answer

log = logging.getLogger(__name__)

QA_TREE = "question_verification_results"
ED_TREE = "emergence_disappearance_results"
QA_FILE = "question_verification.json"
ED_FILE = "_emergence_disappearance.json"
COMBINED_FILE = "combined_scores_summary.json"
AVERAGES_FILE = "model_averages_summary.json"
ISSUES_FILE = "reference_issues.json"

CrashPolicy = Literal["skip-video", "skip-file"]
CRASH_POLICIES = ("skip-video", "skip-file")

#: Every case this module reports: code → (effect, what the reference does with it).
#: Effects: "crash" (the reference's calculator fails on the file), "mis-score" (it gives a number the
#: protocol would not), "dropped" (the video silently leaves the combined scores and averages).
CASES: dict[str, tuple[str, str]] = {
    # question_verification.json (calculate_question_verification_scores.py)
    "qa_file_unreadable": ("crash", "the file is not readable JSON: no KISA/SGI for this model/data type"),
    "qa_file_malformed": ("crash", "the top level is not a list of videos: the calculator fails on the file"),
    "qa_file_empty": ("crash", "no videos: the calculator divides by zero and writes nothing"),
    "qa_video_malformed": ("crash", "a video entry the calculator cannot read: it fails on the whole file"),
    "qa_reply_unparsed": ("crash", "question_verification_results is the parse-failure object "
                                   "{raw_response, parsing_error}: the calculator fails on the whole file"),
    "qa_result_malformed": ("crash", "a result without a usable answer or numeric question_id: the "
                                     "calculator fails on the whole file"),
    "qa_item_error": ("mis-score", "a key interaction without results (API error or no questions): its "
                                   "questions silently leave the denominator"),
    "qa_answers_dropped": ("mis-score", "fewer results than questions: the absent answers leave the "
                                        "denominator"),
    "qa_regex_fallback": ("mis-score", "results without frame_index come from the regex fallback, which "
                                       "drops 'no (visually implausible)' answers (uncountable): inflated "
                                       "score"),
    "qa_extra_answers": ("mis-score", "more results than questions: the extra answers are counted"),
    "qa_zero_based": ("mis-score", "question ids numbered from 0: ids 0–6 count as KISA (7 questions), "
                                   "7–9 as SGI (3)"),
    "qa_id_out_of_range": ("mis-score", "question ids outside 1..10: ids > 10 (or between 6 and 7) are "
                                        "ignored, ids < 1 count as KISA"),
    "qa_id_not_integer": ("mis-score", "question ids that are not integers are bucketed by numeric value"),
    "qa_duplicate_ids": ("mis-score", "the same question id twice in one key interaction: both count"),
    "qa_nonstandard_answer": ("mis-score", "an answer other than yes / no / no (visually implausible) "
                                           "counts as no"),
    "qa_no_kisa_answers": ("mis-score", "no answer with id ≤ 6: the reference gives KISA = 0 (the protocol: "
                                        "missing)"),
    "qa_no_sgi_answers": ("mis-score", "no answer with id 7..10: the reference gives SGI = 0 (the protocol: "
                                       "missing)"),
    "qa_duplicate_video": ("mis-score", "the video id appears twice: the later entry replaces the earlier"),
    # _emergence_disappearance.json (calculate_emergence_disappearance_scores.py)
    "ed_file_unreadable": ("crash", "the file is not readable JSON: the calculator keeps no video of it"),
    "ed_file_malformed": ("crash", "the top level is not a list of videos: the calculator keeps no video "
                                   "of it"),
    "ed_video_malformed": ("crash", "a video entry the calculator cannot read: it keeps no video of the "
                                    "file"),
    "ed_call_error": ("mis-score", "frames marked 'error' (the emergence call failed) count as clean: "
                                   "perfect SPI for them"),
    "ed_reply_unparsed": ("mis-score", "the emergence reply could not be parsed: every frame counts as "
                                       "clean"),
    "ed_frame_not_int": ("mis-score", "flagged frames given as strings never match: they count as clean"),
    "ed_frame_not_sampled": ("mis-score", "flagged frames that were not compared are ignored"),
    "ed_flag_ignored": ("mis-score", "the yes flag has no frame behind it and is ignored"),
    "ed_no_frames": ("mis-score", "no compared frame (F = 0): the reference gives SPI = 0 (the protocol: "
                                  "missing)"),
    "ed_frames_misaligned": ("mis-score", "frames_analyzed − 1 ≠ number of frame results: a frame could not "
                                          "be read, so the judge's frame labels may be shifted"),
    "ed_duplicate_video": ("mis-score", "the video id appears twice: the later entry replaces the earlier"),
    # combining the two (calculate_combined_scores.py)
    "qa_file_missing": ("dropped", "no question_verification.json for this model/data type: its videos are "
                                   "dropped"),
    "ed_file_missing": ("dropped", "no _emergence_disappearance.json for this model/data type: its videos "
                                   "are dropped"),
    "only_in_qa": ("dropped", "the video has KISA/SGI but no SPI: dropped from the combined scores"),
    "only_in_ed": ("dropped", "the video has SPI but no KISA/SGI: dropped from the combined scores"),
}

_HANDLING = {
    "mis-score": "scored as the reference scores it",
    "dropped": "dropped, as in the reference",
    "file": "nothing in this file can be scored",
    "skip-video": "this video is left out; the file's other videos are scored",
    "skip-file": "the whole model/data type is left out, as in the reference",
}


@dataclass(frozen=True, slots=True)
class ReferenceIssue:
    """One item the reference would crash on, mis-score or drop."""

    model: str
    data_type: str
    #: The video id, ``#i`` for an entry without a usable id, or None for a whole file.
    video: str | None
    case: str
    detail: str
    handling: str

    @property
    def effect(self) -> str:
        """"crash", "mis-score" or "dropped"."""
        return CASES[self.case][0]

    def as_dict(self) -> dict[str, Any]:
        """The issue as written to ``reference_issues.json``."""
        return {**asdict(self), "effect": self.effect, "reference": CASES[self.case][1]}

    def line(self) -> str:
        """One human-readable line."""
        where = "/".join(x for x in (self.model, self.data_type, self.video) if x)
        # No square brackets: the CLI prints through rich, which would read them as markup.
        return f"{self.effect}: {where}: {self.case}: {self.detail} ({self.handling})"


@dataclass(slots=True)
class ReferenceReport:
    """What `score_reference` computed and wrote."""

    out: Path
    combined: dict[str, Any]
    averages: dict[str, Any]
    issues: list[ReferenceIssue]
    crash_policy: str
    #: Per model and data type: videos read on each side, videos scored, answers and their outcomes.
    diagnostics: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    @property
    def videos_scored(self) -> int:
        """Videos in the combined scores."""
        return sum(len(v) for dts in self.combined.values() for v in dts.values())

    def counts(self) -> dict[str, int]:
        """Number of issues by effect."""
        out = {"crash": 0, "mis-score": 0, "dropped": 0}
        for i in self.issues:
            out[i.effect] += 1
        return out

    def summary_lines(self, *, max_issues: int = 100) -> list[str]:
        """Lines for the CLI: what was written, the model averages, then the issues."""
        lines = [
            f"Scored {self.videos_scored} videos of {len(self.combined)} model(s) with this project's metric "
            f"code (reference arithmetic; crash policy {self.crash_policy}).",
            f"Wrote {self.out / COMBINED_FILE}, {self.out / AVERAGES_FILE} and {self.out / ISSUES_FILE}.",
        ]
        for model, avg in self.averages.items():
            implausible = sum(d["implausible_answers"] for d in self.diagnostics.get(model, {}).values())
            lines.append(
                f"  {model}: {avg['total_videos']} videos, IF {avg['overall_avg_IF_score']:.4f}, "
                f"KISA_SPI {avg['overall_avg_KISA_SPI']:.4f}, SGA_SPI {avg['overall_avg_SGA_SPI']:.4f}, "
                f"{implausible} 'no (visually implausible)' answers"
            )
        c = self.counts()
        if not self.issues:
            lines.append("No item the reference would crash on, mis-score or drop.")
            return lines
        lines.append(
            f"{len(self.issues)} issue(s) where the reference would crash ({c['crash']}), mis-score "
            f"({c['mis-score']}) or drop videos ({c['dropped']}):"
        )
        lines += ["  " + i.line() for i in self.issues[:max_issues]]
        if len(self.issues) > max_issues:
            lines.append(f"  … {len(self.issues) - max_issues} more in {self.out / ISSUES_FILE}")
        return lines


# ------------------------------------------------------------------------------------------ reading
@dataclass(slots=True)
class _QAVideo:
    prompt: Any
    kisa: float | int
    sgi: float | int


@dataclass(slots=True)
class _Side:
    """One model/data type as one of the reference's per-stage summaries would hold it."""

    #: The summary has this model/data type at all (the combiner skips it otherwise).
    present: bool
    videos: dict[str, Any] = field(default_factory=dict)
    #: Videos already reported (crash or file-level issue): no "only in one summary" issue for them.
    reported: set[str] = field(default_factory=set)
    #: A file-level issue covers every video of this side.
    file_issue: bool = False
    #: The data type's folder exists but the file does not.
    missing_file: bool = False


class _Issues:
    def __init__(self, model: str, data_type: str, sink: list[ReferenceIssue]):
        self.model, self.data_type, self.sink = model, data_type, sink

    def add(self, case: str, detail: str, *, video: str | None = None, handling: str | None = None) -> None:
        effect = CASES[case][0]
        self.sink.append(ReferenceIssue(self.model, self.data_type, video, case, detail,
                                        handling or _HANDLING[effect]))


def _json_key(value: Any) -> str:
    """The key `value` becomes in the reference's summary files (json.dump turns dict keys into strings)."""
    return next(iter(json.loads(json.dumps({value: 0}))))


def _load(path: Path) -> tuple[Any, str | None]:
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return None, f"{path}: {e}"


def _label(entry: Any, index: int) -> str:
    vid = entry.get("video_id") if isinstance(entry, dict) else None
    return _json_key(vid) if isinstance(vid, str | int | float) else f"#{index}"


def _iterated(value: Any) -> list[Any] | None:
    """What ``for x in value`` yields for a JSON value, or None when the reference's loop would fail."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict | str) and not value:
        return []
    return None


def _read_qa(path: Path, issues: _Issues, policy: str) -> tuple[_Side, dict[str, int]]:
    diag = {"qa_videos": 0, "answers": 0, "yes_answers": 0, "implausible_answers": 0}
    data, error = _load(path)
    if error is not None:
        issues.add("qa_file_unreadable", error, handling=_HANDLING["file"])
        return _Side(present=False, file_issue=True), diag
    if not isinstance(data, list):
        issues.add("qa_file_malformed", f"{path}: top level is {type(data).__name__}, not a list",
                   handling=_HANDLING["file"])
        return _Side(present=False, file_issue=True), diag
    if not data:
        issues.add("qa_file_empty", f"{path}: no videos", handling=_HANDLING["file"])
        return _Side(present=False, file_issue=True), diag
    side = _Side(present=True)
    crashed = False
    for i, entry in enumerate(data):
        label = _label(entry, i)
        diag["qa_videos"] += 1
        scored = _qa_video(entry, label, issues, policy, diag)
        if scored is None:
            crashed = True
            side.reported.add(label)
            side.videos.pop(label, None)
            continue
        if label in side.videos:
            issues.add("qa_duplicate_video", f"entry {i} repeats video {label}", video=label)
        side.videos[label] = scored
    if crashed and policy == "skip-file":
        return _Side(present=False, reported=set(side.videos) | side.reported, file_issue=True), diag
    if crashed and not side.videos:
        side.present = False  # as the reference on the file without those videos: nothing to write
    return side, diag


def _qa_video(entry: Any, label: str, issues: _Issues, policy: str, diag: dict[str, int]) -> _QAVideo | None:
    """Score one video entry as the reference does; None (with a crash issue) where it would fail."""
    def crash(case: str, detail: str) -> None:
        issues.add(case, detail, video=label, handling=_HANDLING[policy])

    if not isinstance(entry, dict):
        crash("qa_video_malformed", f"entry is {type(entry).__name__}, not an object")
        return None
    for key in ("video_id", "prompt"):
        if key not in entry:
            crash("qa_video_malformed", f"no '{key}'")
            return None
    if not isinstance(entry["video_id"], str | int | float):
        crash("qa_video_malformed", f"video_id {entry['video_id']!r} cannot be printed by the calculator")
        return None
    if not isinstance(entry["prompt"], str | list):
        crash("qa_video_malformed", f"prompt {entry['prompt']!r} cannot be sliced by the calculator")
        return None
    items = _iterated(entry.get("items", []))
    if items is None:
        crash("qa_video_malformed", f"items is {type(entry.get('items')).__name__}, not a list")
        return None

    results: list[Any] = []
    item_notes: list[tuple[str, str]] = []
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            crash("qa_video_malformed", f"item {n} is {type(item).__name__}, not an object")
            return None
        raw = item.get("question_verification_results", [])
        got = _iterated(raw)
        if got is None:
            if isinstance(raw, dict) and ("parsing_error" in raw or "raw_response" in raw):
                why = str(raw.get("parsing_error"))[:80]
                crash("qa_reply_unparsed", f"item {n}: reply not parsed ({why})")
            else:
                crash("qa_result_malformed", f"item {n}: question_verification_results is "
                                             f"{type(raw).__name__}, not a list")
            return None
        for r in got:
            problem = _result_problem(r)
            if problem:
                crash("qa_result_malformed", f"item {n}: {problem}")
                return None
        item_notes += _item_notes(n, item, got)
        results += got

    for case, detail in item_notes:
        issues.add(case, detail, video=label)
    kisa, sgi, counts = _reference_kisa_sgi(results)
    diag["answers"] += counts.answered
    diag["yes_answers"] += counts.yes
    diag["implausible_answers"] += counts.implausible
    if kisa is None:
        issues.add("qa_no_kisa_answers", "no result with question_id ≤ 6: KISA = 0", video=label)
    if sgi is None:
        issues.add("qa_no_sgi_answers", "no result with question_id in 7..10: SGI = 0", video=label)
    return _QAVideo(
        prompt=entry["prompt"],
        # The reference rounds per-video KISA/SGI to 3 dp and writes an int 0 when nothing was answered.
        kisa=0 if kisa is None else round_reference(kisa),
        sgi=0 if sgi is None else round_reference(sgi),
    )


def _result_problem(r: Any) -> str | None:
    if not isinstance(r, dict):
        return f"result {r!r} is not an object"
    for key in ("answer", "question_id"):
        if key not in r:
            return f"result {r!r} has no '{key}'"
    qid = r["question_id"]
    if not isinstance(qid, int | float):  # bool is an int: the reference compares it as 0/1
        return f"question_id {qid!r} is not a number"
    return None


def _item_notes(n: int, item: dict[str, Any], results: list[dict[str, Any]]) -> list[tuple[str, str]]:
    notes = []
    questions = item.get("questions")
    asked = len(questions) if isinstance(questions, list) else None
    if not results:
        why = f"error {str(item['error'])[:80]!r}" if "error" in item else "no results"
        unscored = asked if asked is not None else "?"
        notes.append(("qa_item_error", f"item {n}: {why}; {unscored} questions unscored"))
        return notes
    if all("frame_index" not in r for r in results):
        notes.append(("qa_regex_fallback", f"item {n}: {len(results)} results without frame_index"))
    if asked is not None and len(results) < asked:
        notes.append(("qa_answers_dropped", f"item {n}: {len(results)} results for {asked} questions"))
    elif asked is not None and len(results) > asked:
        notes.append(("qa_extra_answers", f"item {n}: {len(results)} results for {asked} questions"))
    ids = [r["question_id"] for r in results]
    if any(isinstance(q, bool) or (isinstance(q, float) and not q.is_integer()) for q in ids):
        notes.append(("qa_id_not_integer", f"item {n}: question ids {ids}"))
    numeric = [q for q in ids if not isinstance(q, bool)]
    if numeric and min(numeric) == 0:
        notes.append(("qa_zero_based", f"item {n}: question ids {ids}"))
    elif any(not 1 <= q <= config.NUM_SLOTS for q in numeric if not math.isnan(q)):
        notes.append(("qa_id_out_of_range", f"item {n}: question ids {ids}"))
    dup = sorted({q for q in ids if ids.count(q) > 1}, key=float)
    if dup:
        notes.append(("qa_duplicate_ids", f"item {n}: question ids {dup} repeated"))
    odd = sorted({repr(r["answer"]) for r in results if r["answer"] not in config.ANSWERS})
    if odd:
        notes.append(("qa_nonstandard_answer", f"item {n}: answers {', '.join(odd)} count as no"))
    return notes


def _reference_kisa_sgi(results: Iterable[dict[str, Any]]) -> tuple[float | None, float | None, AnswerCounts]:
    """KISA and SGI with the reply's question_id as the slot, bucketed exactly as the reference does.

    The reference counts a result in KISA when ``question_id <= 6`` and in SGI when ``7 <= question_id <= 10``
    and ignores the rest; only the exact string "yes" succeeds. Each result becomes an `Answer` in a
    representative slot of its bucket, so the counting and division are this package's `count_answers`.
    """
    answers = []
    for r in results:
        qid = r["question_id"]
        if qid <= 6:
            slot = 1
        elif 7 <= qid <= 10:
            slot = 7
        else:
            continue
        ans = r["answer"] if r["answer"] in config.ANSWERS else "no"
        answers.append(Answer(slot, ans))
    k = count_answers(answers, config.KISA_SLOTS)
    g = count_answers(answers, config.SGI_SLOTS)
    total = count_answers(answers)
    return k.yes_rate, g.yes_rate, total


def _read_ed(path: Path, issues: _Issues, policy: str) -> tuple[_Side, dict[str, int]]:
    diag = {"ed_videos": 0}
    data, error = _load(path)
    if error is not None:
        issues.add("ed_file_unreadable", error, handling=_HANDLING["file"])
        return _Side(present=True, file_issue=True), diag
    entries = _iterated(data)
    if entries is None:
        issues.add("ed_file_malformed", f"{path}: top level is {type(data).__name__}, not a list",
                   handling=_HANDLING["file"])
        return _Side(present=True, file_issue=True), diag
    side = _Side(present=True)
    crashed = False
    for i, entry in enumerate(entries):
        label = _label(entry, i)
        diag["ed_videos"] += 1
        value = _ed_video(entry, label, issues, policy)
        if value is None:
            crashed = True
            side.reported.add(label)
            side.videos.pop(label, None)
            continue
        if label in side.videos:
            issues.add("ed_duplicate_video", f"entry {i} repeats video {label}", video=label)
        side.videos[label] = value
    if crashed and policy == "skip-file":
        # The reference's calculator catches the error and keeps an empty result for the file.
        return _Side(present=True, reported=set(side.videos) | side.reported, file_issue=True), diag
    return side, diag


def _ed_video(entry: Any, label: str, issues: _Issues, policy: str) -> float | None:
    """SPI of one video entry as the reference computes it; None (with a crash issue) where it fails."""
    def crash(detail: str) -> None:
        issues.add("ed_video_malformed", detail, video=label, handling=_HANDLING[policy])

    if not isinstance(entry, dict):
        crash(f"entry is {type(entry).__name__}, not an object")
        return None
    if "video_id" not in entry:
        crash("no 'video_id'")
        return None
    if isinstance(entry["video_id"], list | dict):
        crash(f"video_id {entry['video_id']!r} cannot be a key")
        return None
    raw = entry.get("hallucination_results", [])
    frames = _iterated(raw)
    if frames is None:
        crash(f"hallucination_results is {type(raw).__name__}, not a list")
        return None
    bad = next((f for f in frames if not isinstance(f, dict)), None)
    if bad is not None:
        crash(f"frame result {bad!r} is not an object")
        return None

    num = len(frames)
    e = sum(1 for f in frames if f.get("emergence") == "yes")
    d = sum(1 for f in frames if f.get("disappearance") == "yes")
    for case, detail in _ed_notes(entry, frames, e, d):
        issues.add(case, detail, video=label)
    value = spi(e, d, num)
    # The reference writes SPI = (0 + 0) / 2 when no frame was compared.
    return 0.0 if value is None else value


def _ed_notes(entry: dict[str, Any], frames: list[dict[str, Any]], e: int, d: int) -> list[tuple[str, str]]:
    notes = []
    if not frames:
        notes.append(("ed_no_frames", "no frame results: SPI = 0"))
        return notes
    errors = [f.get("frame_idx") for f in frames
              if "error" in f or f.get("emergence") == "error" or f.get("disappearance") == "error"]
    if errors:
        notes.append(("ed_call_error", f"frames {errors} have errors and count as clean"))
    analysis = entry.get("overall_analysis")
    if isinstance(analysis, dict) and not errors:
        lists_ok = all(isinstance(analysis.get(f"{k}_frames"), list) for k in ("emergence", "disappearance"))
        if "parsing_error" in analysis or not lists_ok:
            why = analysis.get("parsing_error") or "no emergence_frames/disappearance_frames lists"
            notes.append(("ed_reply_unparsed", f"{str(why)[:80]}: every frame counts as clean"))
        compared = [f.get("frame_idx") for f in frames]
        for kind, flagged in (("emergence", e), ("disappearance", d)):
            listed = analysis.get(f"{kind}_frames")
            if not isinstance(listed, list):
                continue
            words = [x for x in listed if isinstance(x, bool) or not isinstance(x, int | float)]
            if words:
                notes.append(("ed_frame_not_int", f"{kind}_frames {words!r} are not numbers"))
            stray = [x for x in listed if x not in words and x not in compared]
            if stray:
                notes.append(("ed_frame_not_sampled", f"{kind}_frames {stray} were not compared "
                                                      f"(compared: {compared})"))
            if analysis.get(kind) == "yes" and flagged == 0:
                notes.append(("ed_flag_ignored", f"{kind} = 'yes' but no compared frame is flagged"))
    analysed = entry.get("frames_analyzed")
    if isinstance(analysed, int) and not isinstance(analysed, bool) and analysed - 1 != len(frames):
        notes.append(("ed_frames_misaligned", f"frames_analyzed {analysed} but {len(frames)} frame results"))
    return notes


# ------------------------------------------------------------------------------------------ combining
def _subdirs(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.is_dir()) if path.is_dir() else []


def _reference_mean(values: list[float]) -> float:
    # The reference's sum(...) / len(...), in its order: the same floats to the last bit.
    return sum(values) / len(values)


def _model_averages(combined: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """`calculate_model_averages.py`: per data type and pooled means of KISA_SPI, SGA_SPI and IF_score."""
    out: dict[str, Any] = {}
    for model, dts in combined.items():
        pooled: dict[str, list[float]] = {"KISA_SPI": [], "SGA_SPI": [], "IF_score": []}
        breakdown = {}
        for dt, videos in dts.items():
            if not videos:
                continue
            cols = {k: [v[k] for v in videos.values()] for k in pooled}
            breakdown[dt] = {
                "video_count": len(videos),
                "avg_KISA_SPI": _reference_mean(cols["KISA_SPI"]),
                "avg_SGA_SPI": _reference_mean(cols["SGA_SPI"]),
                "avg_IF_score": _reference_mean(cols["IF_score"]),
            }
            for k in pooled:
                pooled[k] += cols[k]
        n = len(pooled["IF_score"])
        out[model] = {
            "total_videos": n,
            "overall_avg_KISA_SPI": _reference_mean(pooled["KISA_SPI"]) if n else 0.0,
            "overall_avg_SGA_SPI": _reference_mean(pooled["SGA_SPI"]) if n else 0.0,
            "overall_avg_IF_score": _reference_mean(pooled["IF_score"]) if n else 0.0,
            "sample_type_breakdown": breakdown,
        }
    return out


def _write_reference_json(path: Path, value: Any) -> None:
    # As the reference's json.dump(indent=2, ensure_ascii=False): insertion order, no trailing newline.
    atomic_write_text(path, json.dumps(value, indent=2, ensure_ascii=False))


def score_reference(score_results_dir: Path, out: Path, *, crash_policy: CrashPolicy = "skip-video"
                    ) -> ReferenceReport:
    """Score a reference ``SCORE_RESULTS`` folder and write the reference's summaries and the issue list.

    Args:
        score_results_dir: folder holding ``question_verification_results/`` and/or
            ``emergence_disappearance_results/``.
        out: output folder (created); receives ``combined_scores_summary.json``,
            ``model_averages_summary.json`` and ``reference_issues.json``.
        crash_policy: ``"skip-video"`` leaves out only a video the reference would crash on;
            ``"skip-file"`` leaves out its whole model/data type, as the reference does.

    Returns:
        The report: both summaries, the issues and per-model/data-type diagnostics.

    Raises:
        DataFormatError: the folder does not exist or holds neither result tree.
        ConfigError: an unknown crash policy.
    """
    if crash_policy not in CRASH_POLICIES:
        raise ConfigError(f"crash_policy must be one of {CRASH_POLICIES}, but got {crash_policy!r}")
    root = Path(score_results_dir)
    if not root.is_dir():
        raise DataFormatError(f"{root}: no such folder (expected the reference's SCORE_RESULTS folder)")
    qa_root, ed_root = root / QA_TREE, root / ED_TREE
    if not qa_root.is_dir() and not ed_root.is_dir():
        raise DataFormatError(f"{root}: has neither {QA_TREE}/ nor {ED_TREE}/ (the reference's SCORE_RESULTS "
                              "layout: <tree>/<model>/<data_type>/<file>.json)")

    issues: list[ReferenceIssue] = []
    diagnostics: dict[str, dict[str, dict[str, int]]] = {}
    qa_sides: dict[str, dict[str, _Side]] = {}
    ed_sides: dict[str, dict[str, _Side]] = {}
    for model in sorted(set(_subdirs(qa_root)) | set(_subdirs(ed_root))):
        for dt in sorted(set(_subdirs(qa_root / model)) | set(_subdirs(ed_root / model))):
            log_issues = _Issues(model, dt, issues)
            diag = diagnostics.setdefault(model, {}).setdefault(dt, {
                "qa_videos": 0, "ed_videos": 0, "scored": 0, "answers": 0, "yes_answers": 0,
                "implausible_answers": 0})
            qa_file, ed_dir = qa_root / model / dt / QA_FILE, ed_root / model / dt
            if qa_file.is_file():
                qa_sides.setdefault(model, {})[dt], d = _read_qa(qa_file, log_issues, crash_policy)
                diag.update(d)
            if (ed_dir / ED_FILE).is_file():
                ed_sides.setdefault(model, {})[dt], d = _read_ed(ed_dir / ED_FILE, log_issues, crash_policy)
                diag.update(d)
            elif ed_dir.is_dir():  # the reference keeps an empty result for a folder without the file
                ed_sides.setdefault(model, {})[dt] = _Side(present=True, missing_file=True)

    combined: dict[str, dict[str, dict[str, Any]]] = {}
    ed_models = set(_subdirs(ed_root))
    for model in sorted(set(qa_sides) | set(ed_sides)):
        ed_model = ed_sides.get(model, {})
        # The combiner walks the models of the question summary that the emergence summary also has.
        if any(s.present for s in qa_sides.get(model, {}).values()) and model in ed_models:
            combined[model] = {}
        for dt in sorted(set(qa_sides.get(model, {})) | set(ed_model)):
            _combine_one(model, dt, qa_sides.get(model, {}).get(dt), ed_model.get(dt), combined,
                         _Issues(model, dt, issues), diagnostics[model][dt])
    averages = _model_averages(combined)
    issues.sort(key=lambda i: (i.model, i.data_type, i.video or ""))  # stable: file order within a video

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _write_reference_json(out / COMBINED_FILE, combined)
    _write_reference_json(out / AVERAGES_FILE, averages)
    report = ReferenceReport(out=out, combined=combined, averages=averages, issues=issues,
                             crash_policy=crash_policy, diagnostics=diagnostics)
    write_json(out / ISSUES_FILE, {
        "schema_version": 1,
        "protocol": config.PROTOCOL_ID,
        "source": str(root),
        "crash_policy": crash_policy,
        "counts": report.counts(),
        "cases": {k: {"effect": e, "reference": text} for k, (e, text) in CASES.items()},
        "diagnostics": diagnostics,
        "issues": [i.as_dict() for i in issues],
    })
    for i in issues:
        log.info("%s", i.line())
    return report


def _combine_one(model: str, dt: str, qa: _Side | None, ed: _Side | None,
                 combined: dict[str, dict[str, dict[str, Any]]], issues: _Issues,
                 diag: dict[str, int]) -> None:
    """`calculate_combined_scores.py` for one model/data type: videos present in both summaries."""
    if qa is None or ed is None or ed.missing_file:
        missing, other = ("qa_file_missing", ed) if qa is None else ("ed_file_missing", qa)
        if other is not None and not other.file_issue and other.videos:
            issues.add(missing, f"{len(other.videos)} video(s) dropped")
    if qa is None or ed is None or not (qa.present and model in combined):
        return
    target = combined[model].setdefault(dt, {})
    for key, v in qa.videos.items():
        s = ed.videos.get(key)
        if s is None:
            if not (ed.file_issue or ed.missing_file) and key not in ed.reported:
                issues.add("only_in_qa", "no SPI for this video", video=key)
            continue
        target[key] = {
            "prompt": v.prompt,
            "KISA_score": v.kisa,
            "SGA_score": v.sgi,
            "SPI_score": s,
            "KISA_SPI": kisa_spi(v.kisa, s),
            "SGA_SPI": sgi_spi(v.sgi, s),
            "IF_score": interaction_fidelity(v.kisa, v.sgi, s),
        }
        diag["scored"] += 1
    if not qa.file_issue:
        for key in ed.videos:
            if key not in qa.videos and key not in qa.reported:
                issues.add("only_in_ed", "no KISA/SGI for this video", video=key)

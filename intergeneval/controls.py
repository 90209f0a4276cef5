"""Negative controls: videos where the right answer to some questions is known to be "no".

A yes/no judge that leans towards "yes" inflates KISA and SGI. Controls measure that lean for a judge
fingerprint. They are derived in memory from the decoded frames of ordinary videos (never decoded again)
and scored through the same per-video code as any video (`pipeline.track_stage`, `pipeline.judge_stage`:
tracker, overlay, judge, metrics), each cached under its own key (kind, source video, questions):

- `frozen`: frame 0 repeated for the whole video; nothing moves, so no step of the interaction and no
  outcome can be seen: slots 2–6 are expected "no". The tracker starts from the same first-frame masks.
- `reversed`: the frames in reverse order, tracked from the forward track's last masks. The protocol's
  questions are answered frame by frame (each from its decisive frame), so no slot is known to be "no"
  without knowing what the original shows; its yes-rates are reported beside the same judge's answers on
  the forward videos (a judge blind to time order answers both alike) and never flagged.
- `swapped`: another scenario's video asked this scenario's questions. The partner is the next scenario
  (in run order, wrapping round) sharing no object class and no object appearance with this one, so no
  instance the questions name is in the video: slots 7–10 (the subject acts, is the agent, the object is
  acted on, is the recipient) are expected "no". The video is tracked and overlaid as for its own scenario,
  so its boxes hold instances the questions do not name: a judge that answers about whatever a box of the
  named colour holds says "yes" to slot 7 and is flagged, as intended (its SGI does not check who acts).

Per kind and slot the report gives the judge's yes-rate (mean over videos of the per-video rate) with a
bootstrap CI over videos, and on the expected-"no" slots the rate that decides the flag: a judge is
flagged when the lower end of that CI is above `FLAG_THRESHOLD`. Control records go to
`OUT/controls.jsonl` and the report to `summary.json` under `controls` (or `OUT/controls.json` for a
controls-only run): they never enter the model's scores. docs/judge-trust.md says how to read them.

Example:
    >>> EXPECTED_NO["frozen"], EXPECTED_NO["reversed"], EXPECTED_NO["swapped"]
    ((2, 3, 4, 5, 6), (), (7, 8, 9, 10))
    >>> parse_kinds("frozen,swapped")
    ('frozen', 'swapped')
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from . import config, video
from .backends import Backends
from .cache import ResultCache, cache_key, is_final
from .errors import ConfigError
from .formats import append_jsonl, atomic_write_text, read_jsonl
from .hashing import sha256_text
from .metrics.aggregate import bootstrap_ci
from .pipeline import (Decoded, PipelineOptions, Scored, StageHook, Tracked, VideoJob, decode_stage, failed,
                       finish, judge_stage, record, track_stage)
from .records import Scenario

KINDS = ("frozen", "reversed", "swapped")
#: Slots whose right answer is "no" on each kind of control (see the module docstring for why).
EXPECTED_NO: dict[str, tuple[int, ...]] = {"frozen": (2, 3, 4, 5, 6), "reversed": (),
                                           "swapped": (7, 8, 9, 10)}
#: A judge is flagged when the lower end of the CI of its yes-rate on expected-"no" slots is above this:
#: with 95 % confidence it says "yes" to more than one in five questions whose answer is "no".
FLAG_THRESHOLD = 0.2
#: A control's scenario id is `<scenario id>~<kind>` (the judge, the evidence folder and the record use it).
SEPARATOR = "~"
#: Salt of the fixed control sample (`control_sample`).
_SAMPLE_SALT = "intergeneval-controls-v1"


def parse_kinds(kinds: str | Iterable[str] | None) -> tuple[str, ...]:
    """Kinds from `"frozen,reversed"` or a list, in `KINDS` order; empty or None means all of them.

    Raises:
        ConfigError: an unknown kind.
    """
    items = [k.strip() for k in (kinds.split(",") if isinstance(kinds, str) else kinds or ()) if k.strip()]
    bad = [k for k in items if k not in KINDS]
    if bad:
        raise ConfigError(f"unknown control kind(s) {', '.join(map(repr, bad))}; known: {', '.join(KINDS)}")
    return tuple(k for k in KINDS if k in items) if items else KINDS


def control_id(scenario_id: str, kind: str) -> str:
    """The scenario id a control is recorded, judged and stored under."""
    return f"{scenario_id}{SEPARATOR}{kind}"


def control_sample(scenarios: Sequence[Scenario], size: int | None) -> list[Scenario]:
    """A fixed sample of `size` scenarios (all when None or larger): those whose salted id hash is smallest,
    in the suite's order. The same suite always gives the same sample, whatever order its file lists."""
    if size is None or size >= len(scenarios):
        return list(scenarios)
    if size < 1:
        raise ConfigError(f"the control sample needs at least 1 scenario, got {size}")
    ranked = sorted((s.id for s in scenarios), key=lambda sid: sha256_text(f"{_SAMPLE_SALT}:{sid}"))
    chosen = set(ranked[:size])
    return [s for s in scenarios if s.id in chosen]


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _instances(sc: Scenario) -> tuple[frozenset[str], frozenset[str]]:
    """The scenario's object classes and appearances, as compared between swap partners."""
    return frozenset(_norm(o.cls) for o in sc.objects), frozenset(_norm(o.appearance) for o in sc.objects)


def swap_partners(scenarios: Sequence[Scenario]) -> dict[str, str]:
    """For each scenario, the scenario whose video it is asked about: the next one (wrapping round) that
    shares no object class and no object appearance with it (a "man in a grey hoodie" of class "person" in
    the other video would be the instance the questions name). Scenarios without such a partner are absent
    from the result."""
    out = {}
    for i, sc in enumerate(scenarios):
        classes, looks = _instances(sc)
        for k in range(1, len(scenarios)):
            other = scenarios[(i + k) % len(scenarios)]
            other_classes, other_looks = _instances(other)
            if not classes & other_classes and not looks & other_looks:
                out[sc.id] = other.id
                break
    return out


# ------------------------------------------------------------------------------------ one video's work
@dataclass(frozen=True, slots=True)
class ControlJob:
    """One control to derive from a video: its kind, the scenario whose questions it asks (under its control
    id) and its cache key."""

    kind: str
    scenario: Scenario
    questions_of: str
    key: str

    def describe(self, video_of: str) -> dict[str, Any]:
        """The `control` field of the control's record."""
        return {"kind": self.kind, "scenario_id": self.questions_of, "video_of": video_of,
                "expected_no": list(EXPECTED_NO[self.kind])}


def score_with_controls(job: VideoJob, backends: Backends, options: PipelineOptions,
                        hook: StageHook | None = None,
                        frames_slot: AbstractContextManager[Any] | None = None) -> Scored:
    """`pipeline.score_video` for a video with controls: one decode; the video's own tracking and (unless
    `job.score` is False) judging; then each control's tracking while the frames are still held, and its
    judging. A control's failure is its own record; it never fails the video or the other controls."""
    t0 = time.perf_counter()
    pending: list[tuple[ControlJob, VideoJob, Tracked | Scored, float]] = []
    step: Decoded | Tracked | Scored
    try:
        with frames_slot or contextlib.nullcontext():
            step = decode_stage(job, options, hook)
            if isinstance(step, Decoded):
                decoded = step
                step = track_stage(job, decoded, backends, options, hook)
                pending = [_track_control(c, job, decoded, step, backends, options, hook)
                           for c in job.controls]
                del decoded
            else:
                pending = [(c, *_source_failed(c, job, step), 0.0) for c in job.controls]
        if job.score and isinstance(step, Tracked):
            step = judge_stage(job, step, backends, options, hook)
    except Exception as e:  # the video's own unexpected failure: controls not yet tracked share it
        step = failed(job, e)
        done = {c.key for c, *_ in pending}
        for c in job.controls:
            if c.key not in done:
                cjob = _control_job(c, job)
                pending.append((c, cjob, failed(cjob, e), 0.0))
    # the video's own time leaves out its controls' tracking
    own = finish(step, t0 + sum(spent for *_, spent in pending)) if job.score else Scored(job, {})
    for c, cjob, st, spent in pending:
        t = time.perf_counter()
        if isinstance(st, Tracked):
            try:
                st = judge_stage(cjob, st, backends, options, hook)
            except Exception as e:
                st = failed(cjob, e)
        st = finish(st, t - spent)
        st.record["control"] = c.describe(job.scenario.id)
        own.controls.append(st)
    return own


def _control_job(c: ControlJob, job: VideoJob) -> VideoJob:
    return VideoJob(job.index, c.scenario, job.path, job.digest, c.key)


def _colors(sc: Scenario) -> tuple[str, ...]:
    return tuple(video.color(i)[0] for i in range(len(sc.objects)))


def _source_failed(c: ControlJob, job: VideoJob, own: Scored) -> tuple[VideoJob, Scored]:
    cjob = _control_job(c, job)
    rec = own.record
    why = f"the video of {job.scenario.id!r} could not be used: {rec.get('status')}: {rec.get('reason')}"
    return cjob, Scored(cjob, record(c.scenario, job.path, status=str(rec.get("status")), reason=why))


def _track_control(c: ControlJob, job: VideoJob, decoded: Decoded, own: Tracked | Scored, backends: Backends,
                   options: PipelineOptions, hook: StageHook | None) -> tuple[ControlJob, VideoJob,
                                                                              Tracked | Scored, float]:
    """Derive one control's frames from the decoded video and track them (or reuse the video's own track)."""
    t = time.perf_counter()
    cjob = _control_job(c, job)
    base = record(c.scenario, job.path, status="scored", video_info=decoded.base.get("video_info"),
                  sampled_frames=list(decoded.sampled))
    judge_key = f"{job.digest}{SEPARATOR}{c.kind}{SEPARATOR}{c.questions_of}"  # never the video's own key
    try:
        if c.kind != "frozen" and not isinstance(own, Tracked):
            return c, *_source_failed(c, job, own), time.perf_counter() - t
        if c.kind == "swapped":  # the partner's video as its own scenario tracks it; other questions
            jv = replace(own.judge_video, key=judge_key, scenario=c.scenario, colors=_colors(c.scenario))
            return c, cjob, Tracked(jv, base, {}), time.perf_counter() - t
        if c.kind == "frozen":
            frames = np.repeat(decoded.frames[:1], len(decoded.frames), axis=0)
            first = own.first_masks if isinstance(own, Tracked) else None
        else:  # reversed: its frame 0 is the last frame, whose masks the forward track gave
            frames = np.ascontiguousarray(decoded.frames[::-1])
            first = own.masks_at[len(frames) - 1]
        derived = Decoded(frames, base, decoded.sampled, {})
        step = track_stage(cjob, derived, backends, options, hook, first=first)
        if isinstance(step, Tracked):
            step.judge_video = replace(step.judge_video, key=judge_key)
        return c, cjob, step, time.perf_counter() - t
    except Exception as e:  # one control's unexpected failure stays its own
        return c, cjob, failed(cjob, e), time.perf_counter() - t


# ------------------------------------------------------------------------------------ a run's controls
class ControlPlan:
    """The controls of one run: which video gives which control, their cache keys, their records.

    Args:
        kinds: control kinds (`parse_kinds`).
        scenarios: the run's scenarios, in order.
        sample: how many of them get controls (`control_sample`; None: all).
        locate: a scenario's video file, or None when it has none (the swapped partners need videos).
        tracker: the run's tracker (a replay of given tracks cannot follow a derived video).
        fingerprints, pipeline: what the run's cache keys cover.
        out: the run's output folder (`controls.jsonl` is written there).
        cache: the run's result cache.
    """

    def __init__(self, kinds: Sequence[str], scenarios: Sequence[Scenario], *, sample: int | None,
                 locate: Callable[[Scenario], Path | None], tracker: Any, fingerprints: dict[str, Any],
                 pipeline: dict[str, Any], out: Path, cache: ResultCache):
        if not getattr(tracker, "needs_first_masks", True):
            raise ConfigError("negative controls need a tracker that tracks from first-frame masks (sam2, "
                              "sam2-meta): a replay of given tracks cannot follow a derived video")
        self.kinds = tuple(kinds)
        self.sample = control_sample(scenarios, sample)
        with_video = [s for s in self.sample if locate(s) is not None]
        partners = swap_partners(with_video) if "swapped" in self.kinds else {}
        self.no_partner = [s.id for s in with_video if "swapped" in self.kinds and s.id not in partners]
        by_id = {s.id: s for s in self.sample}
        self._questions_for: dict[str, list[Scenario]] = {}
        for q, v in partners.items():
            self._questions_for.setdefault(v, []).append(by_id[q])
        self._ids = {s.id for s in self.sample}
        self.fingerprints, self.pipeline, self.cache = fingerprints, pipeline, cache
        self.path = Path(out) / "controls.jsonl"
        self._previous = {r.get("cache_key"): r for r in read_jsonl(self.path)}
        atomic_write_text(self.path, "")  # rewritten: stale controls (other judge, changed video) are dropped
        self.records: dict[str, dict[str, Any]] = {}

    def jobs_for(self, sc: Scenario,
                 digest: str) -> tuple[list[ControlJob], list[tuple[dict[str, Any], str]]]:
        """The controls derived from `sc`'s video: those to compute, and the cached ones as (record, key)."""
        wanted = [(kind, sc) for kind in ("frozen", "reversed") if kind in self.kinds and sc.id in self._ids]
        wanted += [("swapped", q) for q in self._questions_for.get(sc.id, [])]
        todo, hits = [], []
        for kind, questions in wanted:
            control = {"kind": kind, "video_of": sc.content_hash}
            key = cache_key(video_sha256=digest, scenario_hash=questions.content_hash,
                            protocol=config.PROTOCOL_ID,
                            fingerprints={**self.fingerprints, "pipeline": self.pipeline, "control": control})
            hit = self._previous.get(key) or self.cache.get(key)
            if hit is not None and is_final(hit):
                hits.append(({**hit, "cached": True}, key))
            else:
                cid = control_id(questions.id, kind)
                todo.append(ControlJob(kind, replace(questions, id=cid), questions.id, key))
        return todo, hits

    def finished(self, rec: dict[str, Any]) -> None:
        """Append a control's record to `controls.jsonl` as soon as it is done."""
        append_jsonl(self.path, rec)
        self.records[rec["scenario_id"]] = rec

    def report(self, originals: Sequence[dict[str, Any]] | None = None, *,
               samples: int = config.BOOTSTRAP_SAMPLES, seed: int = config.BOOTSTRAP_SEED) -> dict[str, Any]:
        """`controls_report` of this run's controls (originals: the run's own records, for comparison)."""
        sample_originals = None
        if originals is not None:
            sample_originals = [r for r in originals if r.get("scenario_id") in self._ids]
        return controls_report([self.records[k] for k in sorted(self.records)], kinds=self.kinds,
                               sample=[s.id for s in self.sample], no_partner=self.no_partner,
                               originals=sample_originals, samples=samples, seed=seed)


# --------------------------------------------------------------------------------------------- report
def video_yes_rate(rec: dict[str, Any], slots: Iterable[int]) -> float | None:
    """One video's #yes / #answered over `slots`, pooled over its key interactions; None if none answered."""
    wanted = set(slots)
    got = [a.get("answer") for ki in rec.get("interactions") or [] for a in ki.get("answers") or []
           if a.get("slot") in wanted and a.get("answer") is not None]
    return sum(a == "yes" for a in got) / len(got) if got else None


def _rates(values: list[float], samples: int, seed: int) -> dict[str, Any]:
    """Mean over videos with its bootstrap CI (a CI needs two videos)."""
    if not values:
        return {"videos": 0, "yes_rate": None, "ci_low": None, "ci_high": None}
    lo, hi = bootstrap_ci(values, samples=samples, seed=seed) if len(values) >= 2 else (None, None)
    return {"videos": len(values), "yes_rate": math.fsum(values) / len(values), "ci_low": lo, "ci_high": hi}


def _per_slot(recs: Sequence[dict[str, Any]], samples: int, seed: int) -> dict[str, dict[str, Any]]:
    return {str(s): _rates([v for r in recs if (v := video_yes_rate(r, (s,))) is not None], samples, seed)
            for s in range(1, config.NUM_SLOTS + 1)}


def _changes(recs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    judged = [r for r in recs if r.get("changes") is not None]
    compared = sum(max(len(r.get("sampled_frames") or []) - 1, 0) for r in judged)
    count = (lambda k: sum(len(r["changes"].get(k) or []) for r in judged))
    return {"videos": len(judged), "compared_frames": compared,
            "emergence_rate": count("emergence") / compared if compared else None,
            "disappearance_rate": count("disappearance") / compared if compared else None}


def controls_report(records: Sequence[dict[str, Any]], *, kinds: Sequence[str], sample: Sequence[str] = (),
                    no_partner: Sequence[str] = (), originals: Sequence[dict[str, Any]] | None = None,
                    samples: int = config.BOOTSTRAP_SAMPLES,
                    seed: int = config.BOOTSTRAP_SEED) -> dict[str, Any]:
    """Per kind: yes-rates per slot and on the expected-"no" slots (with CIs and the flag), the emergence and
    disappearance rates, and the controls that failed.

    Answers of a control count whenever the judge answered (a failed emergence call does not void them);
    missing answers count nowhere. The yes-rate is the mean over videos of each video's rate.
    """
    by_kind: dict[str, Any] = {}
    for kind in kinds:
        recs = [r for r in records if (r.get("control") or {}).get("kind") == kind]
        judged = [r for r in recs if r.get("interactions")]
        expected = EXPECTED_NO[kind]
        block: dict[str, Any] = {
            "controls": len(recs), "judged": len(judged),
            "failures": [{"scenario_id": r["scenario_id"], "status": r.get("status"),
                          "reason": r.get("reason")} for r in recs if r.get("status") != "scored"],
            "slots": _per_slot(judged, samples, seed), "changes": _changes(judged), "expected_no": None,
        }
        if expected:
            per_video = [v for r in judged if (v := video_yes_rate(r, expected)) is not None]
            rates = _rates(per_video, samples, seed)
            lo = rates["ci_low"]
            block["expected_no"] = {"slots": list(expected), **rates,
                                    "flagged": None if lo is None else lo > FLAG_THRESHOLD}
        by_kind[kind] = block
    flags = [b["expected_no"]["flagged"] for b in by_kind.values() if b["expected_no"] is not None]
    out: dict[str, Any] = {
        "kinds": list(kinds), "expected_no": {k: list(EXPECTED_NO[k]) for k in kinds},
        "flag_rule": {"threshold": FLAG_THRESHOLD, "level": config.CI_LEVEL,
                      "text": f"flagged when the lower end of the {round(config.CI_LEVEL * 100)} % CI of the "
                              f"yes-rate on expected-no questions is above {FLAG_THRESHOLD}"},
        "flagged": True if any(f is True for f in flags) else (None if not flags or None in flags else False),
        "by_kind": by_kind, "sample": list(sample), "no_partner": list(no_partner),
        "bootstrap": {"samples": samples, "seed": seed, "level": config.CI_LEVEL, "unit": "video"},
    }
    if originals is not None:
        own = [r for r in originals if r.get("interactions")]
        out["originals"] = {"videos": len(own), "slots": _per_slot(own, samples, seed)}
    return out

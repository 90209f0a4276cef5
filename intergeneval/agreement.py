"""How far two judges, or a judge and human labellers, agree on the same videos.

`compare(load_side(A), load_side(B))` pairs the two sides' answers question by question and reports:

- per slot (1–10), and pooled over KISA slots, SGI slots and all slots: the share of questions answered
  alike (*agreement*) and Cohen's kappa (agreement beyond what the two sides' yes-rates give by chance);
- Spearman's rho between the per-video IF of the two sides (judges only: humans give no IF);
- Kendall's tau-b between the two sides' rankings of the models by mean IF, when a side holds several models;
- each with a percentile bootstrap CI over videos (models: over scenarios, paired across models).

Answers are binary: `yes` against any "no" (`no (visually implausible)` is a no, as in scoring). Missing
answers and human `unsure` labels are left out and counted. A side is a run folder (`per_video.jsonl`), a
folder of run folders (one per model, matched by folder name), a human-label export (JSON, see
`LABELS_FORMAT`) or a service URL whose labels are read through its API. Videos are matched by scenario id
and checked by content (video sha256) and suite version (content hash, where both sides know it): a scenario
whose two videos differ, or that was asked under another suite version (its questions may differ), is left
out and counted.

Example:
    >>> kappa_from_counts(np.array([40, 10, 5, 45]))  # yes-yes, yes-no, no-yes, no-no
    0.7
    >>> round(spearman([1, 2, 3, 4], [1, 3, 2, 4]), 3), kendall_tau_b([1, 2, 3], [1, 2, 3])
    (0.8, 1.0)
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import config
from .errors import ConfigError, DataFormatError
from .formats import read_jsonl

#: `format` of a human-label export (`GET /api/v1/labels/export`, `docs/judge-trust.md`).
LABELS_FORMAT = "intergeneval-human-labels"
LABEL_ANSWERS = ("yes", "no", "unsure")
#: Pooled groups of slots reported beside the per-slot figures.
POOLS = {"all": tuple(range(1, config.NUM_SLOTS + 1)), "kisa": tuple(config.KISA_SLOTS),
         "sgi": tuple(config.SGI_SLOTS)}
# Resampled index matrices are drawn in chunks of at most this many entries to bound memory.
_MAX_DRAWS = 4_000_000


# ------------------------------------------------------------------------------------------- statistics
def kappa_from_counts(counts: np.ndarray) -> float | None:
    """Cohen's kappa from the 2×2 counts `(yes-yes, yes-no, no-yes, no-no)` (side A first).

    kappa = (p_o − p_e) / (1 − p_e), p_o the share of agreeing pairs, p_e = a·b + (1−a)(1−b) with a, b the
    two sides' yes-rates. Undefined (None) with no pairs, or when both sides give one same answer to
    everything (p_e = 1: there is nothing to agree on beyond chance). Works on the last axis, so a stack of
    count vectors gives an array (NaN where undefined).
    """
    c = np.asarray(counts, dtype=np.float64)
    n = c.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        po = (c[..., 0] + c[..., 3]) / n
        a, b = (c[..., 0] + c[..., 1]) / n, (c[..., 0] + c[..., 2]) / n
        pe = a * b + (1 - a) * (1 - b)
        kappa = np.where(pe < 1 - 1e-12, (po - pe) / (1 - pe), np.nan)
    if kappa.ndim == 0:
        return None if not np.isfinite(kappa) else float(kappa)
    return kappa


def average_ranks(values: Sequence[float]) -> np.ndarray:
    """Ranks 1..n, ties sharing their average rank (as Spearman's rho needs)."""
    _, inverse, counts = np.unique(np.asarray(values, dtype=np.float64), return_inverse=True,
                                   return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + 1 + ends) / 2.0)[inverse]


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rho: Pearson's correlation of the average ranks; None with < 3 pairs or a constant side."""
    if len(x) != len(y):
        raise ValueError(f"spearman needs pairs, got {len(x)} and {len(y)} values")
    if len(x) < 3:
        return None
    rx, ry = average_ranks(x), average_ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    den = math.sqrt(float((rx * rx).sum() * (ry * ry).sum()))
    return float((rx * ry).sum() / den) if den > 0 else None


def kendall_tau_b(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Kendall's tau-b (ties corrected): (concordant − discordant) / sqrt(untied pairs in x · in y).

    None with < 2 items or when one side ties everything.
    """
    if len(x) != len(y):
        raise ValueError(f"kendall_tau_b needs pairs, got {len(x)} and {len(y)} values")
    if len(x) < 2:
        return None
    xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    upper = np.triu(np.ones((len(xa), len(xa)), dtype=bool), k=1)
    dx, dy = np.sign(xa[:, None] - xa[None, :])[upper], np.sign(ya[:, None] - ya[None, :])[upper]
    den = math.sqrt(float(np.count_nonzero(dx)) * float(np.count_nonzero(dy)))
    return float((dx * dy).sum() / den) if den > 0 else None


def _quantile_ci(values: Iterable[float], draws: int, level: float) -> tuple[float | None, float | None]:
    """Percentile interval of the finite bootstrap values; None when fewer than half the draws gave one."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=np.float64)
    if v.size == 0 or v.size < draws / 2:
        return None, None
    lo, hi = np.quantile(v, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _draws(n: int, samples: int, seed: int) -> Iterable[np.ndarray]:
    """Bootstrap index matrices (rows = resamples of n units), in chunks that bound memory."""
    rng = np.random.default_rng(seed)
    chunk = max(1, _MAX_DRAWS // max(n, 1))
    for start in range(0, samples, chunk):
        yield rng.integers(0, n, size=(min(samples, start + chunk) - start, n))


def bootstrap(n: int, statistic: Callable[[np.ndarray], float | None], *, samples: int, seed: int,
              level: float) -> tuple[float | None, float | None]:
    """Percentile bootstrap CI of `statistic(indices)` over n units resampled with replacement."""
    if n < 2:
        return None, None
    values = [statistic(idx) for block in _draws(n, samples, seed) for idx in block]
    return _quantile_ci(values, samples, level)


def _pair_stats(counts: np.ndarray, *, samples: int, seed: int, level: float) -> dict[str, Any]:
    """Agreement and kappa (with CIs) from per-video 2×2 counts `(videos, 4)`; videos are resampled."""
    total = counts.sum(axis=0)
    n = int(total.sum())
    out: dict[str, Any] = {"n": n, "videos": int(np.count_nonzero(counts.sum(axis=1)))}
    if n == 0:
        return {**out, "agreement": None, "agreement_ci": [None, None], "kappa": None,
                "kappa_ci": [None, None], "yes_rate_a": None, "yes_rate_b": None}
    agree, kappas = [], []
    units = counts[counts.sum(axis=1) > 0]
    if len(units) >= 2:
        for idx in _draws(len(units), samples, seed):
            s = units[idx].sum(axis=1)  # (draws, 4)
            with np.errstate(invalid="ignore", divide="ignore"):
                agree.append((s[:, 0] + s[:, 3]) / s.sum(axis=1))
            kappas.append(kappa_from_counts(s))
    cat = (lambda parts: np.concatenate(parts) if parts else np.empty(0))
    return {
        **out,
        "agreement": float((total[0] + total[3]) / n),
        "agreement_ci": list(_quantile_ci(cat(agree), samples, level)) if agree else [None, None],
        "kappa": kappa_from_counts(total),
        "kappa_ci": list(_quantile_ci(cat(kappas), samples, level)) if kappas else [None, None],
        "yes_rate_a": float((total[0] + total[1]) / n),
        "yes_rate_b": float((total[0] + total[2]) / n),
    }


# ------------------------------------------------------------------------------------------------ sides
@dataclass(slots=True)
class Unit:
    """One video as a side saw it: its answers by (key interaction, slot) as 1 (yes) / 0 (no), its IF, and
    the content hash of the suite whose questions were asked ("" when not known)."""

    model: str
    scenario_id: str
    video_sha256: str
    answers: dict[tuple[int, int], int] = field(default_factory=dict)
    if_score: float | None = None
    suite_hash: str = ""


@dataclass(slots=True)
class Side:
    """What one side of a comparison said: `units` by (model, scenario id), or for label exports (`human`) by
    (video sha256, scenario id, suite hash)."""

    source: str
    human: bool
    units: dict[tuple[str, ...], Unit]
    judges: list[Any] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)

    @property
    def models(self) -> list[str]:
        """The models the side holds (one empty name for a single run or a label export)."""
        return sorted({u.model for u in self.units.values()})


def _binary(answer: Any) -> int | None:
    if answer == "yes":
        return 1
    if answer in config.ANSWERS:
        return 0
    return None


def record_unit(rec: dict[str, Any], model: str = "", suite_hash: str = "") -> Unit | None:
    """A per-video record (as `per_video.jsonl` holds it) as a `Unit`; None for a video never judged.
    `suite_hash`: the content hash of the suite it was scored with (the run's summary has it)."""
    sid, sha = rec.get("scenario_id"), rec.get("video_sha256")
    if not isinstance(sid, str) or not sha:  # a missing or unreadable file: nothing was judged
        return None
    unit = Unit(model, sid, str(sha), suite_hash=suite_hash)
    for k, ki in enumerate(rec.get("interactions") or []):
        for a in ki.get("answers") or []:
            value = _binary(a.get("answer"))
            if value is not None and isinstance(a.get("slot"), int):
                unit.answers[(k, a["slot"])] = value
    if rec.get("status") == "scored":
        unit.if_score = (rec.get("scores") or {}).get("if")
    return unit


def _run_units(folder: Path, model: str) -> tuple[dict[tuple[str, str], Unit], Any]:
    judge, suite_hash = None, ""
    summary = folder / "summary.json"
    if summary.is_file():
        try:
            body = json.loads(summary.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise DataFormatError(f"{summary}: cannot read: {e}") from None
        judge = (body.get("fingerprints") or {}).get("judge")
        suite_hash = str((body.get("suite") or {}).get("content_hash") or "")
    units: dict[tuple[str, str], Unit] = {}
    for n, rec in enumerate(read_jsonl(folder / "per_video.jsonl"), 1):
        if not isinstance(rec.get("scenario_id"), str):
            raise DataFormatError(f"{folder / 'per_video.jsonl'}: line {n} has no scenario_id")
        unit = record_unit(rec, model, suite_hash)
        if unit is not None:
            units[(model, unit.scenario_id)] = unit
    return units, judge


def labels_side(data: dict[str, Any], source: str) -> Side:
    """A side from a human-label export: per question, the majority of the labellers' yes/no.

    `unsure` labels are left out; a question whose yes and no labels tie is left out too (both counted in
    `left_out`). Labels under different suite versions (`suite_hash`) are different questions.

    Raises:
        DataFormatError: not a label export, or a label without its fields (the message names its position).
    """
    if not isinstance(data, dict) or data.get("format") != LABELS_FORMAT or not isinstance(data.get("labels"),
                                                                                          list):
        raise DataFormatError(f"{source}: expected {{'format': {LABELS_FORMAT!r}, 'labels': [...]}}")
    votes: dict[tuple[str, str, str, int, int], list[int]] = {}
    unsure = 0
    for i, lab in enumerate(data["labels"]):
        try:
            key = (str(lab["scenario_id"]), str(lab["video_sha256"]), str(lab.get("suite_hash") or ""),
                   int(lab["key_interaction"]), int(lab["slot"]))
            answer = lab["answer"]
        except (KeyError, TypeError, ValueError):
            raise DataFormatError(f"{source}: label {i} lacks scenario_id, video_sha256, key_interaction, "
                                  f"slot or answer: {str(lab)[:200]}") from None
        if answer not in LABEL_ANSWERS or not 1 <= key[4] <= config.NUM_SLOTS:
            raise DataFormatError(f"{source}: label {i}: answer {answer!r} / slot {key[4]!r} is not one of "
                                  f"{LABEL_ANSWERS} / 1..{config.NUM_SLOTS}")
        if answer == "unsure":
            unsure += 1
            continue
        votes.setdefault(key, []).append(1 if answer == "yes" else 0)
    units: dict[tuple[str, ...], Unit] = {}
    ties = 0
    for (sid, sha, suite, ki, slot), v in votes.items():
        yes = sum(v)
        if 2 * yes == len(v):
            ties += 1
            continue
        unit = units.setdefault((sha, sid, suite), Unit("", sid, sha, suite_hash=suite))
        unit.answers[(ki, slot)] = int(2 * yes > len(v))
    return Side(source, True, units, left_out={"unsure_labels": unsure, "tied_questions": ties})


def load_side(source: str | Path, *, token: str | None = None) -> Side:
    """Read one side: a run folder, a folder of run folders, a label export file, or a service URL.

    Raises:
        ConfigError: the source is none of those. DataFormatError: a file in it does not parse.
    """
    text = str(source)
    if text.startswith(("http://", "https://")):
        return labels_side(_fetch_labels(text, token), text)
    path = Path(source)
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise DataFormatError(f"{path}: cannot read a label export: {e}") from None
        return labels_side(data, str(path))
    if not path.is_dir():
        raise ConfigError(f"{path}: no such run folder, label file or service URL")
    if (path / "per_video.jsonl").is_file():
        units, judge = _run_units(path, "")
        return Side(str(path), False, units, judges=[judge])
    runs = sorted(p for p in path.iterdir() if (p / "per_video.jsonl").is_file())
    if not runs:
        raise ConfigError(f"{path}: neither a run folder (per_video.jsonl) nor a folder of run folders")
    units, judges = {}, []
    for run in runs:
        got, judge = _run_units(run, run.name)
        units.update(got)
        judges.append(judge)
    return Side(str(path), False, units, judges=judges)


def _fetch_labels(url: str, token: str | None) -> dict[str, Any]:
    try:
        import httpx
    except ImportError:
        raise ConfigError("reading labels from a service needs httpx: "
                          "pip install 'intergeneval[server]'") from None
    base = url.rstrip("/")
    if not base.endswith("/api/v1"):
        base += "/api/v1"
    token = token or os.environ.get("INTERGENEVAL_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        r = httpx.get(base + "/labels/export", headers=headers, timeout=60)
    except httpx.HTTPError as e:
        raise ConfigError(f"{url}: cannot read the labels: {e}") from None
    if r.status_code != 200:
        raise ConfigError(f"{url}: GET /labels/export answered {r.status_code}: {r.text[:200]}")
    return r.json()


# ------------------------------------------------------------------------------------------------ compare
def _same_suite(x: Unit, y: Unit) -> bool:
    """Asked the same questions, as far as the two sides tell (a side that does not know its suite version
    matches any)."""
    return not x.suite_hash or not y.suite_hash or x.suite_hash == y.suite_hash


def _match(a: Side, b: Side) -> tuple[list[tuple[Unit, Unit]], dict[str, int]]:
    """Pairs of units showing the same video under the same suite version, and counts of what could not be
    paired."""
    if a.human and b.human:
        raise ConfigError("both sides are human labels: compare a judge's results with the labels")
    pairs: list[tuple[Unit, Unit]] = []
    other_video = other_suite = 0
    if a.human or b.human:  # labels are keyed by the video's content (and the suite version)
        human, run = (a, b) if a.human else (b, a)
        by_video: dict[tuple[str, str], list[Unit]] = {}
        for h in human.units.values():
            by_video.setdefault((h.video_sha256, h.scenario_id), []).append(h)
        used = 0
        for unit in run.units.values():
            labelled = by_video.get((unit.video_sha256, unit.scenario_id), [])
            fits = [h for h in labelled if _same_suite(unit, h)]
            if len(fits) != 1:  # none: labelled under other versions only; several: which one is unknown
                other_suite += bool(labelled)
                continue
            used += 1
            pairs.append((unit, fits[0]) if run is a else (fits[0], unit))
        only_run = len(run.units) - len(pairs) - other_suite
        only_human = len(human.units) - used
        only_a, only_b = (only_run, only_human) if run is a else (only_human, only_run)
    else:
        single = len(a.models) == 1 and len(b.models) == 1  # two runs: their folder names need not match
        b_by = {(("" if single else m), s): u for (m, s), u in b.units.items()}
        for (m, s), ua in a.units.items():
            ub = b_by.get((("" if single else m), s))
            if ub is None:
                continue
            if ub.video_sha256 != ua.video_sha256:
                other_video += 1
            elif not _same_suite(ua, ub):
                other_suite += 1
            else:
                pairs.append((ua, ub))
        only_a = len(a.units) - len(pairs) - other_video - other_suite
        only_b = len(b.units) - len(pairs) - other_video - other_suite
    return pairs, {"videos": len(pairs), "only_a": only_a, "only_b": only_b, "different_video": other_video,
                   "other_suite": other_suite}


def compare(a: Side, b: Side, *, samples: int = config.BOOTSTRAP_SAMPLES, seed: int = config.BOOTSTRAP_SEED,
            level: float = config.CI_LEVEL) -> dict[str, Any]:
    """Agreement of side `a` with side `b` (see the module docstring for what is reported).

    Raises:
        ConfigError: the two sides have no video in common (nothing to compare), or both are human labels.
    """
    pairs, matched = _match(a, b)
    if not pairs:
        raise ConfigError(f"{a.source} and {b.source} have no video in common (same scenario id, video "
                          f"sha256 and suite version): {matched}")
    # counts[video, slot-1] = (yes-yes, yes-no, no-yes, no-no) over the video's key interactions
    counts = np.zeros((len(pairs), config.NUM_SLOTS, 4), dtype=np.int64)
    for v, (ua, ub) in enumerate(pairs):
        for key, x in ua.answers.items():
            y = ub.answers.get(key)
            if y is not None:
                counts[v, key[1] - 1, (1 - x) * 2 + (1 - y)] += 1
    opts = {"samples": samples, "seed": seed, "level": level}
    slots = [{"slot": s, **_pair_stats(counts[:, s - 1], **opts)} for s in range(1, config.NUM_SLOTS + 1)]
    pooled = {name: _pair_stats(counts[:, [s - 1 for s in group]].sum(axis=1), **opts)
              for name, group in POOLS.items()}
    return {
        "a": _describe(a), "b": _describe(b), "matched": matched, "slots": slots, "pooled": pooled,
        "if_spearman": None if a.human or b.human else _if_spearman(pairs, **opts),
        "ranking_kendall": None if a.human or b.human else _ranking_kendall(pairs, **opts),
        "bootstrap": {"samples": samples, "seed": seed, "level": level, "unit": "video"},
    }


def _describe(side: Side) -> dict[str, Any]:
    return {"source": side.source, "kind": "human labels" if side.human else "judge",
            "models": side.models if not side.human else [], "videos": len(side.units),
            "judges": [j for j in side.judges if j is not None], "left_out": side.left_out}


def _if_spearman(pairs: list[tuple[Unit, Unit]], *, samples: int, seed: int, level: float) -> dict[str, Any]:
    both = [(ua.if_score, ub.if_score) for ua, ub in pairs
            if ua.if_score is not None and ub.if_score is not None]
    x, y = np.asarray([p[0] for p in both]), np.asarray([p[1] for p in both])
    lo, hi = bootstrap(len(both), lambda idx: spearman(x[idx], y[idx]), samples=samples, seed=seed,
                       level=level)
    return {"n": len(both), "rho": spearman(x, y), "ci": [lo, hi]}


def _ranking_kendall(pairs: list[tuple[Unit, Unit]], *, samples: int, seed: int,
                     level: float) -> dict[str, Any] | None:
    """Kendall's tau-b of the models' mean IF; the bootstrap resamples scenarios, the same for every model."""
    models = sorted({ua.model for ua, _ in pairs})
    if len(models) < 2:
        return None
    scenarios = sorted({ua.scenario_id for ua, _ in pairs})
    col = {s: j for j, s in enumerate(scenarios)}
    ifs = np.full((2, len(models), len(scenarios)), np.nan)
    for ua, ub in pairs:
        i, j = models.index(ua.model), col[ua.scenario_id]
        ifs[:, i, j] = (np.nan if ua.if_score is None else ua.if_score,
                        np.nan if ub.if_score is None else ub.if_score)

    def means(idx: np.ndarray) -> np.ndarray | None:
        with np.errstate(invalid="ignore"):
            m = np.nanmean(ifs[:, :, idx], axis=2) if idx.size else None
        return None if m is None or not np.all(np.isfinite(m)) else m

    def tau(idx: np.ndarray) -> float | None:
        m = means(idx)
        return None if m is None else kendall_tau_b(m[0], m[1])

    import warnings

    with warnings.catch_warnings():  # a resample in which a model has no scored video: that draw is skipped
        warnings.simplefilter("ignore", RuntimeWarning)
        full = means(np.arange(len(scenarios)))
        lo, hi = bootstrap(len(scenarios), tau, samples=samples, seed=seed, level=level)
    if full is None:
        return {"models": len(models), "tau": None, "ci": [None, None], "mean_if": {}}
    return {"models": len(models), "tau": kendall_tau_b(full[0], full[1]), "ci": [lo, hi],
            "mean_if": {m: {"a": float(full[0][i]), "b": float(full[1][i])} for i, m in enumerate(models)}}

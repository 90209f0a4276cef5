"""Verification: the judge scores every candidate crop against every object, then a one-to-one assignment.

The reference asked the judge for one best crop per object, so two objects of the same class could get the
same box. Here the judge scores all (object, crop) pairs in one call and `assign_one_to_one` picks the
assignment with the most matched objects, then the highest total score; no box serves two objects.

Example:
    >>> import numpy as np
    >>> scores = np.array([[0.9, 0.8], [0.95, 0.1]])  # both objects like crop 0 best
    >>> assign_one_to_one(scores, min_score=0.5)
    [1, 0]
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence

import numpy as np

from ..errors import JudgeError, JudgeParseError
from ..judges.base import ChatJudge, JudgeRequest, JudgeVideo, extract_json
from ..records import Scenario
from .base import Candidate

log = logging.getLogger(__name__)

VERIFY_INSTRUCTION = """\
You match object descriptions to image crops, using only what is visible.
You get a list of objects, each with a class and an appearance, and candidate crops labelled "Frame <n>:",
where n is the candidate number.
For every object, score every candidate from 0.0 (certainly not this object) to 1.0 (certainly this object):
how well the crop shows an instance of the object's class that matches its appearance.
Reply with a JSON array only, one entry per object in the given order, with one score per candidate in
candidate order:
[{"object": <object number>, "scores": [<score of candidate 0>, <score of candidate 1>, ...]}]"""

#: Lowest judge score that counts as a match.
MIN_SCORE = 0.5
#: Exact assignment up to this many objects (a search over subsets); greedy by score above it.
_EXACT_MAX_OBJECTS = 12


def verify_user_text(scenario: Scenario, candidates: Sequence[Candidate]) -> str:
    """The user text of a verification call: the objects, and what the detector took each crop for."""
    objects = [{"object": k + 1, "class": o.cls, "appearance": o.appearance}
               for k, o in enumerate(scenario.objects)]
    detected = [{"candidate": j, "detected_as": list(c.classes)} for j, c in enumerate(candidates)]
    return (
        f"Objects:\n{json.dumps(objects, ensure_ascii=False)}\n\n"
        f"Candidates:\n{json.dumps(detected, ensure_ascii=False)}"
    )


def parse_verify_reply(reply: str, *, n_objects: int, n_candidates: int) -> np.ndarray:
    """Validate a verification reply and return its `(objects, candidates)` score matrix.

    Every object must appear once, numbered 1..N, with exactly one score in [0, 1] per candidate.

    Raises:
        JudgeParseError: naming what is wrong.
    """
    data = extract_json(reply, "[", "]")
    if not isinstance(data, list):
        raise JudgeParseError(f"verification reply is not a JSON array: {reply[:120]!r}")
    scores = np.full((n_objects, n_candidates), np.nan)
    for item in data:
        obj = item.get("object") if isinstance(item, dict) else None
        if not isinstance(obj, int) or isinstance(obj, bool) or not 1 <= obj <= n_objects:
            raise JudgeParseError(f"verification item {item!r}: 'object' is not 1..{n_objects}")
        if not np.isnan(scores[obj - 1]).all():
            raise JudgeParseError(f"verification reply scores object {obj} twice")
        row = item.get("scores")
        if not isinstance(row, list) or len(row) != n_candidates:
            raise JudgeParseError(f"object {obj}: 'scores' must list {n_candidates} numbers, got {row!r}")
        if any(isinstance(s, bool) or not isinstance(s, int | float) or not 0 <= s <= 1 for s in row):
            raise JudgeParseError(f"object {obj}: scores must be numbers in [0, 1], got {row!r}")
        scores[obj - 1] = row
    lacking = [k + 1 for k in range(n_objects) if np.isnan(scores[k]).all()]
    if lacking:
        raise JudgeParseError(f"verification reply has no scores for object(s) {lacking}")
    return scores


def assign_one_to_one(
    scores: np.ndarray, *, allowed: np.ndarray | None = None, min_score: float = MIN_SCORE
) -> list[int | None]:
    """Assign candidates to objects, at most one each way.

    Maximises the number of matched objects, then the total score; a pair needs `score >= min_score` and
    `allowed`. Ties go to the lower candidate index, so the result is deterministic.

    Args:
        scores: `(N, C)` judge scores (NaN = not scored).
        allowed: `(N, C)` bool, pairs that may match (default: all).
        min_score: lowest score that counts as a match.

    Returns:
        For each object, the index of its candidate, or None.
    """
    n, c = scores.shape
    ok = np.nan_to_num(scores, nan=-1.0) >= min_score
    if allowed is not None:
        ok &= allowed
    if n > _EXACT_MAX_OBJECTS:
        return _assign_greedy(scores, ok)
    # best[mask] = (matched, total, picks): objects in `mask` are matched among the candidates seen so far.
    best: dict[int, tuple[int, float, tuple[int | None, ...]]] = {0: (0, 0.0, (None,) * n)}
    for j in range(c):
        nxt = dict(best)
        for mask, (count, total, picks) in best.items():
            for i in range(n):
                if mask >> i & 1 or not ok[i, j]:
                    continue
                cand = (count + 1, total + float(scores[i, j]), picks[:i] + (j,) + picks[i + 1 :])
                key = mask | 1 << i
                if key not in nxt or _better(cand, nxt[key]):
                    nxt[key] = cand
        best = nxt
    top = max(best.values(), key=lambda v: (v[0], round(v[1], 9)))
    winners = [v for v in best.values() if (v[0], round(v[1], 9)) == (top[0], round(top[1], 9))]
    return list(min(winners, key=lambda v: [(-1 if p is None else p) for p in v[2]])[2])


def _better(a: tuple[int, float, tuple], b: tuple[int, float, tuple]) -> bool:
    return (a[0], round(a[1], 9)) > (b[0], round(b[1], 9))


def _assign_greedy(scores: np.ndarray, ok: np.ndarray) -> list[int | None]:
    picks: list[int | None] = [None] * scores.shape[0]
    used: set[int] = set()
    pairs = sorted(((-scores[i, j], i, j) for i, j in zip(*np.nonzero(ok), strict=True)))
    for _, i, j in pairs:
        if picks[i] is None and j not in used:
            picks[i], used = int(j), used | {int(j)}
    return picks


def crops_for(frame: np.ndarray, candidates: Sequence[Candidate], *, pad: float) -> list[np.ndarray]:
    """The crop the judge sees for each candidate (the box grown by `pad` on every side)."""
    h, w = frame.shape[:2]
    out = []
    for c in candidates:
        x1, y1, x2, y2 = c.crop_box(w, h, pad=pad)
        out.append(np.ascontiguousarray(frame[y1 : max(y2, y1 + 1), x1 : max(x2, x1 + 1)]))
    return out


def judge_scores(
    judge: ChatJudge, frame: np.ndarray, scenario: Scenario, candidates: Sequence[Candidate], *, pad: float
) -> tuple[np.ndarray | None, list[str]]:
    """Ask the judge to score every (object, candidate) pair, retrying invalid replies.

    Returns:
        The `(N, C)` score matrix (None when no valid reply came in `judge.attempts` tries) and the errors.
    """
    crops = crops_for(frame, candidates, pad=pad)
    user = verify_user_text(scenario, candidates)
    digest = hashlib.sha256(user.encode("utf-8"))
    for c in crops:
        digest.update(repr(c.shape).encode() + c.tobytes())
    key = "verify:" + digest.hexdigest()
    video = JudgeVideo(key, scenario, tuple(range(len(crops))), tuple(crops), ())
    errors: list[str] = []
    for attempt in range(1, judge.attempts + 1):
        request = JudgeRequest("verify", VERIFY_INSTRUCTION, user, None, attempt)
        try:
            reply = judge.complete(video, request)
            return parse_verify_reply(reply, n_objects=len(scenario.objects), n_candidates=len(crops)), errors
        except (JudgeError, JudgeParseError) as e:
            errors.append(f"attempt {attempt}: {e}")
            log.info("scenario %s: verification %s", scenario.id, errors[-1])
    return None, errors

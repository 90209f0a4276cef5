"""The `Judge` Protocol, the prompts of the protocol, and reply validation with retries.

Backends implement one method, `complete(video, request) -> str` (the raw reply text for one chat call);
`ChatJudge` owns everything the protocol fixes: the instructions, the reply schemas, validation, retries,
and turning still-invalid replies into *missing* answers (never a success).

Example:
    >>> from intergeneval.judges.base import parse_qa_reply
    >>> parse_qa_reply('[{"question_id": 1, "answer": "yes", "frame_index": 5}]', frames=(0, 5, 10))
    {1: Answer(slot=1, answer='yes', frame=5)}
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .. import config
from ..errors import JudgeError, JudgeParseError
from ..hashing import sha256_json
from ..records import Answer, Changes, Scenario

log = logging.getLogger(__name__)

QA_INSTRUCTION = """\
You check generated videos against yes/no questions, using only what is visible in the frames.
Each frame is labelled with its true frame index. Interacting instances are marked with coloured boxes;
a question names an instance as "appearance (colour bbox)": use the colour to know which instance it means.
For each question:
1. Find the single frame that decides it (the earliest one if several do). If no frame decides it, answer
   "no" with "frame_index": null.
2. Answer "yes" or "no" from that frame.
3. Check that frame for physical plausibility: impossible anatomy (extra or missing limbs, impossible joints,
   detached parts), bodies or objects fusing or splitting inside a box, or objects passing through each
   other. If it shows any, the answer is "no (visually implausible)".
Reply with a JSON array only, one object per question, using the question numbers given:
[{"question_id": <number>, "answer": "yes" | "no" | "no (visually implausible)", "frame_index": <frame index or null>}]"""

CHANGES_INSTRUCTION = """\
You check generated videos for objects that appear from nowhere or vanish.
Frame 0 is the reference: its roster is the list of instances given as (class, colour), each marked with a
box of that colour. Compare every other frame k with frame 0.
- Emergence in frame k: an object of a listed class that has no box and had no instance at all in frame 0
  (boxed or not) is visible, including one appearing inside another box.
- Disappearance in frame k: an instance of the roster has no box of its colour.
Ignore classes that are not listed.
Reply with one JSON object only:
{"emergence": "yes" | "no", "emergence_frames": [<frame index>, ...], "emergence_reason": "<short>",
 "disappearance": "yes" | "no", "disappearance_frames": [<frame index>, ...], "disappearance_reason": "<short>"}"""

#: Hash of the instructions and the reply schemas; part of every judge fingerprint.
PROMPT_TEMPLATE_HASH = sha256_json({"qa": QA_INSTRUCTION, "changes": CHANGES_INSTRUCTION, "schema": 1})[:16]


@dataclass(frozen=True, slots=True)
class JudgeVideo:
    """What a judge sees of one video: the overlaid sampled frames, labelled with their true indices.

    `key` identifies the video content (sha256 of the file), so a backend may encode the frames once and
    reuse the encoding for all calls about this video.
    """

    key: str
    scenario: Scenario
    frame_indices: tuple[int, ...]
    frames: tuple[np.ndarray, ...]  # (H, W, 3) uint8 RGB, overlay drawn
    colors: tuple[str, ...]  # colour name of each object, by object index


@dataclass(frozen=True, slots=True)
class JudgeRequest:
    """One chat call: the system instruction and user text; the frames come from the `JudgeVideo`.

    A backend sends `user` first, then for each frame the label `Frame <index>:` and the image (the
    protocol's labelled-image layout).
    """

    kind: str  # "qa" or "changes"
    system: str
    user: str
    interaction: int | None  # index of the key interaction for "qa"
    attempt: int  # 1-based


@dataclass(slots=True)
class QAOutcome:
    """Answers of one key interaction (missing ones have `answer=None`) and what it took to get them."""

    answers: list[Answer]
    attempts: int
    errors: list[str] = field(default_factory=list)

    @property
    def missing(self) -> int:
        """Number of questions without a valid answer."""
        return sum(a.missing for a in self.answers)


@dataclass(slots=True)
class ChangesOutcome:
    """Emergence/disappearance frames, or None when no valid reply was obtained (SPI is then missing)."""

    changes: Changes | None
    attempts: int
    errors: list[str] = field(default_factory=list)


@runtime_checkable
class Judge(Protocol):
    """A vision-language judge of the protocol."""

    def fingerprint(self) -> dict[str, Any]:
        """Backend, model id and revision, prompt-template hash and decoding parameters."""
        ...

    def answer(self, video: JudgeVideo, interaction: int) -> QAOutcome:
        """Answer the ten questions of key interaction `interaction` over the labelled frames."""
        ...

    def changes(self, video: JudgeVideo) -> ChangesOutcome:
        """List emergence and disappearance frames against frame 0's roster."""
        ...


class ChatJudge:
    """Base of chat-style judges: prompts, validation and retries; subclasses implement `complete`."""

    name = "chat"

    def __init__(self, *, attempts: int = config.JUDGE_ATTEMPTS):
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {attempts}")
        self.attempts = attempts

    # -- to implement -------------------------------------------------------------------------------
    def complete(self, video: JudgeVideo, request: JudgeRequest) -> str:
        """Return the raw reply text of one chat call (raise JudgeError on transport/model failure)."""
        raise NotImplementedError

    def fingerprint(self) -> dict[str, Any]:
        """Identify the backend; subclasses add model id, revision and decoding parameters."""
        return {"backend": self.name, "prompt_template": PROMPT_TEMPLATE_HASH}

    # -- the protocol -------------------------------------------------------------------------------
    def answer(self, video: JudgeVideo, interaction: int) -> QAOutcome:
        """Ask one key interaction's questions; retry until every slot has a valid answer or attempts run out."""
        ki = video.scenario.key_interactions[interaction]
        user = qa_user_text(video.scenario.video_prompt, [q.text for q in ki.questions], video.frame_indices)
        got: dict[int, Answer] = {}
        errors: list[str] = []
        attempt = 0
        for attempt in range(1, self.attempts + 1):
            request = JudgeRequest("qa", QA_INSTRUCTION, user, interaction, attempt)
            try:
                reply = self.complete(video, request)
                parsed = parse_qa_reply(reply, frames=video.frame_indices)
            except (JudgeError, JudgeParseError) as e:
                errors.append(f"attempt {attempt}: {e}")
                continue
            for slot, a in parsed.items():
                got.setdefault(slot, a)
            lacking = [q.slot for q in ki.questions if q.slot not in got]
            if not lacking:
                break
            errors.append(f"attempt {attempt}: no valid answer for question(s) {lacking}")
        answers = [got.get(q.slot, Answer(q.slot, None)) for q in ki.questions]
        return QAOutcome(answers, attempt, errors)

    def changes(self, video: JudgeVideo) -> ChangesOutcome:
        """Ask for emergence/disappearance frames; invalid after all attempts means missing, never clean."""
        user = changes_user_text(video.scenario, video.colors, video.frame_indices)
        errors: list[str] = []
        attempt = 0
        for attempt in range(1, self.attempts + 1):
            request = JudgeRequest("changes", CHANGES_INSTRUCTION, user, None, attempt)
            try:
                return ChangesOutcome(parse_changes_reply(self.complete(video, request), frames=video.frame_indices),
                                      attempt, errors)
            except (JudgeError, JudgeParseError) as e:
                errors.append(f"attempt {attempt}: {e}")
        return ChangesOutcome(None, attempt, errors)


# ------------------------------------------------------------------------------------------ prompts
def qa_user_text(prompt: str, questions: list[str], frames: tuple[int, ...]) -> str:
    """The user text of a QA call; questions are numbered with their slots 1–10."""
    numbered = [{"question_id": i + 1, "question": q} for i, q in enumerate(questions)]
    return (
        f"Video prompt: {prompt}\n\nQuestions to answer:\n{json.dumps(numbered, ensure_ascii=False)}\n\n"
        f"Available frames: {list(frames)}"
    )


def changes_user_text(scenario: Scenario, colors: tuple[str, ...], frames: tuple[int, ...]) -> str:
    """The user text of an emergence/disappearance call: frame 0's roster and the frames to compare."""
    roster = [{"class": o.cls, "colour": c} for o, c in zip(scenario.objects, colors, strict=True)]
    data = {"roster": roster, "reference_frame": 0, "frames_to_compare": [f for f in frames if f != 0]}
    return "Input data:\n" + json.dumps(data, ensure_ascii=False)


# ----------------------------------------------------------------------------------------- parsing
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def extract_json(reply: str, opener: str, closer: str) -> Any:
    """The JSON value in a reply: a fenced block, the whole reply, or its outermost bracketed span.

    Shared by every reply parser (QA, changes, verification, question writing); raises `JudgeParseError`.
    """
    text = reply.strip()
    m = _FENCE.search(text)
    candidates = [m.group(1).strip()] if m else []
    candidates.append(text)
    i, j = text.find(opener), text.rfind(closer)
    if 0 <= i < j:
        candidates.append(text[i : j + 1])
    for c in candidates:
        try:
            return json.loads(c)
        except json.JSONDecodeError:
            continue
    raise JudgeParseError(f"reply is not JSON: {reply[:120]!r}")


def parse_qa_reply(reply: str, *, frames: tuple[int, ...]) -> dict[int, Answer]:
    """Validate a QA reply and return its valid answers by slot.

    Items with an unknown answer, a slot outside 1–10, a repeated slot or a frame that was not shown are
    invalid; a reply with no valid item raises `JudgeParseError`.
    """
    data = extract_json(reply, "[", "]")
    if isinstance(data, dict) and isinstance(data.get("answers"), list):
        data = data["answers"]
    if not isinstance(data, list):
        raise JudgeParseError(f"reply is not a JSON array of answers: {reply[:120]!r}")
    out: dict[int, Answer] = {}
    problems = []
    for item in data:
        problem = _qa_item_problem(item, frames)
        if problem is None and item["question_id"] in out:
            problem = f"question {item['question_id']} answered twice"
        if problem:
            problems.append(problem)
            continue
        out[item["question_id"]] = Answer(item["question_id"], item["answer"], item.get("frame_index"))
    if not out:
        raise JudgeParseError("no valid answer in reply" + (f" ({'; '.join(problems[:3])})" if problems else ""))
    return out


def _qa_item_problem(item: Any, frames: tuple[int, ...]) -> str | None:
    if not isinstance(item, dict):
        return f"item {item!r} is not an object"
    qid = item.get("question_id")
    if not isinstance(qid, int) or isinstance(qid, bool) or not 1 <= qid <= config.NUM_SLOTS:
        return f"question_id {qid!r} is not 1..{config.NUM_SLOTS}"
    if item.get("answer") not in config.ANSWERS:
        return f"question {qid}: answer {item.get('answer')!r} is not one of {config.ANSWERS}"
    frame = item.get("frame_index")
    if frame is not None and (not isinstance(frame, int) or isinstance(frame, bool) or frame not in frames):
        return f"question {qid}: frame_index {frame!r} was not shown"
    return None


def parse_changes_reply(reply: str, *, frames: tuple[int, ...]) -> Changes:
    """Validate an emergence/disappearance reply.

    Frame lists must hold shown frame indices other than 0 (integers, no strings); a yes/no flag that
    contradicts its list makes the reply invalid rather than silently trusted.
    """
    data = extract_json(reply, "{", "}")
    if not isinstance(data, dict):
        raise JudgeParseError(f"reply is not a JSON object: {reply[:120]!r}")
    allowed = set(frames) - {0}
    lists = {}
    for kind in ("emergence", "disappearance"):
        value = data.get(f"{kind}_frames")
        if not isinstance(value, list):
            raise JudgeParseError(f"'{kind}_frames' must be a list of frame indices, got {value!r}")
        bad = [f for f in value if not isinstance(f, int) or isinstance(f, bool) or f not in allowed]
        if bad:
            raise JudgeParseError(f"'{kind}_frames' has frames that were not compared: {bad}")
        flag = data.get(kind)
        if flag is not None and flag not in ("yes", "no"):
            raise JudgeParseError(f"'{kind}' must be yes or no, got {flag!r}")
        if (flag == "yes" and not value) or (flag == "no" and value):
            raise JudgeParseError(f"'{kind}' is {flag!r} but '{kind}_frames' is {value}")
        lists[kind] = tuple(sorted(set(value)))
    return Changes(
        lists["emergence"],
        lists["disappearance"],
        str(data.get("emergence_reason", "")),
        str(data.get("disappearance_reason", "")),
    )

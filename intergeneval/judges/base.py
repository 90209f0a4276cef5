"""The `Judge` Protocol, the prompts of the protocol, and reply validation with retries.

Backends implement one method, `complete(video, request) -> str` (the raw reply text for one chat call);
`ChatJudge` owns everything the protocol fixes: the instructions, the reply schemas, validation, retries,
and turning still-invalid replies into *missing* answers (never a success).

Example:
    >>> from intergeneval.judges.base import parse_qa_reply
    >>> parse_qa_reply('[{"question_id": 1, "answer": "Yes.", "frame_index": "5"}]', frames=(0, 5), ids=(1,))
    {1: Answer(slot=1, answer='yes', frame=5)}
    >>> parse_qa_reply('[{"question_id": 1, "answer": "yes", "frame_index": null}]', frames=(0, 5), ids=(1,))
    Traceback (most recent call last):
    intergeneval.errors.JudgeParseError: question 1: 'yes' needs the frame that shows it, got frame_index null
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .. import config
from ..errors import JudgeError, JudgeParseError
from ..hashing import sha256_json
from ..imaging import EncodedFrames
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

#: Version of the reply schemas and the rules that read a reply (`parse_qa_reply`, `parse_changes_reply`).
#: Bump it whenever what a reply reads as changes: results read under other rules are then neither taken
#: from the cache nor ranked with these. 2: replies validate as a whole (1 kept "first answer wins" and
#: the items that parsed, and could score a 0.29 video 1.0).
REPLY_RULES = 2
#: Hash of the instructions, the reply schemas and their rules; part of every judge fingerprint.
PROMPT_TEMPLATE_HASH = sha256_json({"qa": QA_INSTRUCTION, "changes": CHANGES_INSTRUCTION,
                                    "schema": REPLY_RULES})[:16]


@dataclass(frozen=True, slots=True)
class JudgeVideo:
    """What a judge sees of one video: the overlaid sampled frames, labelled with their true indices.

    `key` identifies the video content (sha256 of the file). `encoded` holds the frames' image encodings,
    made once and shared by every call about the video (and by its evidence images).
    """

    key: str
    scenario: Scenario
    frame_indices: tuple[int, ...]
    frames: tuple[np.ndarray, ...]  # (H, W, 3) uint8 RGB, overlay drawn
    colors: tuple[str, ...]  # colour name of each object, by object index
    encoded: EncodedFrames = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.encoded is None:
            object.__setattr__(self, "encoded", EncodedFrames(self.frames))


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
        """Ask one key interaction's questions; a reply validates whole or is asked again whole.

        Answers are never merged across attempts: after the last invalid reply every answer is missing.
        """
        ki = video.scenario.key_interactions[interaction]
        user = qa_user_text(video.scenario.video_prompt, [q.text for q in ki.questions], video.frame_indices)
        ids = tuple(range(1, len(ki.questions) + 1))  # how qa_user_text numbers the questions
        errors: list[str] = []
        attempt = 0
        for attempt in range(1, self.attempts + 1):
            request = JudgeRequest("qa", QA_INSTRUCTION, user, interaction, attempt)
            try:
                parsed = parse_qa_reply(self.complete(video, request), frames=video.frame_indices, ids=ids)
            except (JudgeError, JudgeParseError) as e:
                errors.append(f"attempt {attempt}: {e}")
                continue
            # the prompt's id k is the k-th question; its slot is the suite's, never the judge's number
            answers = [Answer(q.slot, parsed[k].answer, parsed[k].frame)
                       for k, q in zip(ids, ki.questions, strict=True)]
            return QAOutcome(answers, attempt, errors)
        return QAOutcome([Answer(q.slot, None) for q in ki.questions], attempt, errors)

    def changes(self, video: JudgeVideo) -> ChangesOutcome:
        """Ask for emergence/disappearance frames; invalid after all attempts means missing, never clean."""
        user = changes_user_text(video.scenario, video.colors, video.frame_indices)
        errors: list[str] = []
        attempt = 0
        for attempt in range(1, self.attempts + 1):
            request = JudgeRequest("changes", CHANGES_INSTRUCTION, user, None, attempt)
            try:
                changes = parse_changes_reply(self.complete(video, request), frames=video.frame_indices)
                return ChangesOutcome(changes, attempt, errors)
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
#: Wrappers a QA reply may put around its answer list (a one-key object, nothing else beside it).
QA_WRAPPERS = ("answers", "results")
#: The keys of a QA answer, and of the emergence/disappearance object: the answer schema has no others.
QA_KEYS = ("question_id", "answer", "frame_index")
CHANGES_KEYS = tuple(f"{kind}{part}" for kind in ("emergence", "disappearance")
                     for part in ("", "_frames", "_reason"))
#: The schema's own key names (any case, underscore or camelCase; prose such as "question 3" or "the
#: emergence frames" is not one): named outside the reply's answer set, they mean a second answer set that
#: is not valid JSON (a trailing comma, Python quotes, cut short).
_QA_NAMES = re.compile(r"question_?id|frame_?index", re.IGNORECASE)
_CHANGES_NAMES = re.compile(r"(?:emergence|disappearance)_?frames", re.IGNORECASE)
#: Longest reply read. An answer set takes a few hundred characters (a few thousand with 200 frames), and
#: looking for JSON in text costs time growing with the square of its length (1 MB: minutes).
MAX_REPLY_CHARS = 32_000
_INTEGRAL_TEXT = re.compile(r"^[0-9]+(?:\.0*)?$")


def extract_json(reply: str, opener: str, closer: str) -> Any:
    """The JSON value in a reply: a fenced block, the whole reply, or its outermost bracketed span.

    Shared by the parsers of the suite-building replies (verification, question writing); raises
    `JudgeParseError`. The scored replies (QA, changes) go through `json_spans`, which is stricter.
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


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for k, v in pairs:
        if k in seen:
            raise JudgeParseError(f"key {k!r} appears twice in one JSON object: the reply is ambiguous")
        seen[k] = v
    return seen


_DECODER = json.JSONDecoder(object_pairs_hook=_no_repeated_keys)


def json_spans(reply: str) -> list[tuple[int, int, Any]]:
    """Every top-level JSON object or array in a reply, in order, as (start, end, value): fenced or bare,
    prose between them skipped.

    A value nested in another is part of it, not a value of its own. An object with a repeated key (which of
    the two would the judge mean?), JSON nested deeper than the parser goes, or a reply longer than
    `MAX_REPLY_CHARS` raises `JudgeParseError`.
    """
    if len(reply) > MAX_REPLY_CHARS:
        raise JudgeParseError(f"reply is {len(reply)} characters long, more than any answer set takes "
                              f"(at most {MAX_REPLY_CHARS} are read)")
    spans: list[tuple[int, int, Any]] = []
    i = 0
    while True:
        starts = [p for p in (reply.find("[", i), reply.find("{", i)) if p >= 0]
        if not starts:
            return spans
        i = min(starts)
        try:
            value, end = _DECODER.raw_decode(reply, i)
        except RecursionError:
            raise JudgeParseError("reply nests JSON too deeply to be an answer") from None
        except ValueError:  # JSONDecodeError, or a number too long to read
            i += 1  # not JSON from here: a bracket in prose, or a broken value whose inner parts may parse
            continue
        spans.append((i, end, value))
        i = end


def _candidates(reply: str, names: re.Pattern[str], what: str) -> list[Any]:
    """The reply's candidate answer sets: every JSON value holding an object, whatever its shape (a list
    around the set, another key above it), so that a second set is never skipped for its shape. The schema's
    key names anywhere else mean an answer set that did not parse: the reply is invalid."""
    spans = [(a, b, v) for a, b, v in json_spans(reply) if _holds_object(v)]
    rest, last = [], 0
    for a, b, _ in spans:
        rest.append(reply[last:a])
        last = b
    rest.append(reply[last:])
    named = names.search("".join(rest))
    if named:
        raise JudgeParseError(f"reply names {named.group()!r} outside its {what}: a second {what} that is "
                              "not valid JSON")
    return [v for _, _, v in spans]


def _holds_object(value: Any) -> bool:
    """Is there an object with keys in this JSON value, at any depth? (`[5, 10]` or `{}` in prose: no.)"""
    todo = [value]
    while todo:
        v = todo.pop()
        if isinstance(v, dict) and v:
            return True
        if isinstance(v, list):
            todo += v
    return False


def _one_candidate(reply: str, candidates: list[Any], read: Callable[[Any], Any], what: str,
                   same: Callable[[Any], Any] = lambda r: r) -> Any:
    """Validate each candidate answer set with `read`; they must all read the same (`same` of each reading
    equal), or the reply is ambiguous and invalid."""
    if not candidates:
        raise JudgeParseError(f"reply holds no JSON {what}: {reply[:120]!r}")
    readings = [read(c) for c in candidates]
    if any(same(r) != same(readings[0]) for r in readings[1:]):
        raise JudgeParseError(f"reply holds {len(candidates)} different {what}s: it is ambiguous")
    return readings[0]


def _integral(value: Any) -> int | None:
    """An integer written as an int, an integral float or a string of digits ("5", 5.0, "5.0"); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and _INTEGRAL_TEXT.match(value.strip()):
        return int(float(value.strip()))
    return None


def _word(value: Any) -> str | None:
    """A word with its harmless spelling undone: surrounding whitespace, case, one trailing full stop."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    return text[:-1] if text.endswith(".") else text


def parse_qa_reply(reply: str, *, frames: tuple[int, ...],
                   ids: tuple[int, ...] = tuple(range(1, config.NUM_SLOTS + 1))) -> dict[int, Answer]:
    """Validate a whole QA reply; returns one answer per id of `ids`, or raises `JudgeParseError`.

    The reply must hold exactly one answer set (a JSON array, bare or fenced, optionally wrapped as
    `{"answers": [...]}` or `{"results": [...]}`; several sets are accepted only when they read the same;
    any JSON value holding an object counts as a set, and `question_id`/`frame_index` named elsewhere mean
    a set that did not parse), with exactly one item per id the prompt gave (`ids`), each item valid: exactly
    the keys `question_id`, `answer` and `frame_index`, an answer among the three
    (after undoing case, surrounding whitespace and one trailing full stop), a shown frame or null as
    `frame_index` (integral strings and floats are read as integers), and a frame for every `yes`. One bad
    item invalidates the reply: keeping the items that parse would bias the score. The returned `Answer`s
    carry the reply's id as `slot`; the caller maps ids to the suite's slots.
    """
    return _one_candidate(reply, _candidates(reply, _QA_NAMES, "answer set"),
                          lambda v: _read_qa_set(v, frames, ids), "answer set")


def _read_qa_set(value: Any, frames: tuple[int, ...], ids: tuple[int, ...]) -> dict[int, Answer]:
    if isinstance(value, dict):
        (key, inner), *rest = value.items()
        if rest or key not in QA_WRAPPERS or not isinstance(inner, list):
            raise JudgeParseError(f"an answer set must be a JSON array (or {{'answers': [...]}}), got an "
                                  f"object with keys {sorted(value)[:5]}")
        value = inner
    out: dict[int, Answer] = {}
    for item in value:
        answer = _read_qa_item(item, frames)
        if answer.slot not in ids:
            raise JudgeParseError(f"question_id {answer.slot} was not asked (the questions are {list(ids)})")
        if answer.slot in out:
            raise JudgeParseError(f"question {answer.slot} is answered twice")
        out[answer.slot] = answer
    lacking = [i for i in ids if i not in out]
    if lacking:
        raise JudgeParseError(f"no answer for question(s) {lacking}")
    return out


def _read_qa_item(item: Any, frames: tuple[int, ...]) -> Answer:
    if not isinstance(item, dict):
        raise JudgeParseError(f"item {str(item)[:60]!r} is not an object")
    absent = [k for k in QA_KEYS if k not in item]
    if absent:
        raise JudgeParseError(f"item {str(item)[:80]} lacks {', '.join(absent)}")
    extra = sorted(k for k in item if k not in QA_KEYS)
    if extra:  # e.g. a second answer beside the first: which one did the judge mean?
        raise JudgeParseError(f"item {str(item)[:80]} has keys the answer schema does not: {extra[:3]}")
    qid = _integral(item["question_id"])
    if qid is None:
        raise JudgeParseError(f"question_id {item['question_id']!r} is not an integer")
    answer = _word(item["answer"])
    if answer not in config.ANSWERS:
        raise JudgeParseError(f"question {qid}: answer {item['answer']!r} is not one of {config.ANSWERS}")
    frame = item["frame_index"]
    if frame is not None:
        frame = _integral(frame)
        if frame not in frames:
            raise JudgeParseError(f"question {qid}: frame_index {item['frame_index']!r} was not shown")
    if answer == "yes" and frame is None:
        raise JudgeParseError(f"question {qid}: 'yes' needs the frame that shows it, got frame_index null")
    return Answer(qid, answer, frame)


def parse_changes_reply(reply: str, *, frames: tuple[int, ...]) -> Changes:
    """Validate a whole emergence/disappearance reply (the same rules as `parse_qa_reply`).

    Exactly one reply object (several only when they read the same), with no keys beyond the schema's; each
    frame list holds compared frames (sampled, not 0), each at most once (integral strings and floats are
    read as integers); a yes/no flag, when given, must agree with its list. Anything else raises
    `JudgeParseError`.
    """
    return _one_candidate(reply, _candidates(reply, _CHANGES_NAMES, "emergence/disappearance object"),
                          lambda v: _read_changes(v, frames), "emergence/disappearance object",
                          same=lambda c: (c.emergence, c.disappearance))  # reasons may be worded apart


def _read_changes(data: Any, frames: tuple[int, ...]) -> Changes:
    if not isinstance(data, dict):
        raise JudgeParseError(f"an emergence/disappearance reply is a JSON object, got {str(data)[:60]}")
    extra = sorted(k for k in data if k not in CHANGES_KEYS)
    if extra:
        raise JudgeParseError(f"the emergence/disappearance object has keys the schema does not: {extra[:3]}")
    allowed = set(frames) - {0}
    lists = {}
    for kind in ("emergence", "disappearance"):
        value = data.get(f"{kind}_frames")
        if not isinstance(value, list):
            raise JudgeParseError(f"'{kind}_frames' must be a list of frame indices, got {value!r}")
        read = [_integral(f) for f in value]
        bad = [f for f, r in zip(value, read, strict=True) if r not in allowed]
        if bad:
            raise JudgeParseError(f"'{kind}_frames' has frames that were not compared: {bad}")
        if len(set(read)) != len(read):
            raise JudgeParseError(f"'{kind}_frames' names a frame twice: {value}")
        flag = data.get(kind)
        if flag is not None:
            flag = _word(flag)
            if flag not in ("yes", "no"):
                raise JudgeParseError(f"'{kind}' must be yes or no, got {data.get(kind)!r}")
        if (flag == "yes" and not read) or (flag == "no" and read):
            raise JudgeParseError(f"'{kind}' is {flag!r} but '{kind}_frames' is {value}")
        lists[kind] = tuple(sorted(read))
    return Changes(
        lists["emergence"],
        lists["disappearance"],
        str(data.get("emergence_reason", "")),
        str(data.get("disappearance_reason", "")),
    )

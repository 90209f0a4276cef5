"""`intergeneval suite build`: turn a reference `meta.json` or an unfrozen suite into a frozen suite.

For every scenario:
- first frame: attached from `images/` (`<scenario id>.png|.jpg|.jpeg`) when given, else kept from the source;
- first-frame masks (image-to-video scenarios, i.e. those with a first frame): kept when the source has
  them, else made on the first frame by the detector (detect → verify with the judge → segment) and
  written as `masks/<id>/id<k>.png` (single channel, 0/255, the reference's layout);
- questions: kept when the source has them (frozen questions are never regenerated), else written ONCE from
  the deterministic templates over the scenario's structured `fields` (`intergeneval.questions`), or by the
  judge (`questions="judge"`): ten questions per key interaction, every entity written
  `appearance (colour bbox)`, validated and retried, then an error naming the scenario. Questions say
  "the <appearance>", so a leading article of an appearance ("a man in a blue coat") is dropped first, and
  the report lists each one dropped.

The result is `OUT/suite.json` with its content hash (`formats.write_suite`), loadable by `score`.

Example:
    build_suite("DATA/EVAL_DATA/i2v/meta.json", Path("suites/i2v"), judge=judge, detector=detector,
                questions="judge")
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import config
from .errors import ConfigError, DataFormatError, DetectionError, InterGenEvalError, JudgeError
from .formats import load_suite, suite_to_dict, write_suite
from .judges.base import ChatJudge, JudgeRequest, JudgeVideo, extract_json
from .records import Scenario, Suite
from .runconfig import check_folder

log = logging.getLogger(__name__)

QUESTION_SOURCES = ("templates", "judge", "keep")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")

QUESTIONS_INSTRUCTION = """\
You write yes/no questions that check whether a generated video shows an interaction.
From the video prompt, extract the key interaction(s): one, or one per direction when the objects act on
each other. For each key interaction write exactly 10 short present-tense questions, each checkable on a
single frame (no "might", no "will"), phrased so that "yes" means it happened as described, in this order:
1. before: the subject is not yet interacting with the object;
2-5. four progressive observable steps (moves toward, makes contact, holds, ...);
6. the outcome of the interaction is visible;
7. the subject performs an action (do not name the action; mention only the subject);
8. the subject is the one doing the interaction;
9. the object is acted on by the subject;
10. the object is the one receiving the action (mention only the object).
Write every object as its appearance followed by its colour in parentheses, exactly as given, e.g.
"a man in a red shirt (red bbox)".
Reply with one JSON object only:
{"key_interactions": [{"text": "<the key interaction>", "questions": ["<q1>", ..., "<q10>"]}]}"""

_BBOX = re.compile(r"\(([a-z]+) bbox\)", re.IGNORECASE)


@dataclass
class BuildReport:
    """What `build_suite` did: the frozen suite, where it is, and what it made per scenario."""

    suite: Suite
    path: Path
    masks_made: list[str] = field(default_factory=list)
    questions_made: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "<id>: why" (only with keep_going)
    notes: list[str] = field(default_factory=list)  # changes made to the source, e.g. articles dropped


def build_suite(
    src: str | Path,
    out: str | Path,
    *,
    judge: ChatJudge | None = None,
    detector: Any = None,
    questions: str = "templates",
    images: str | Path | None = None,
    suite_id: str | None = None,
    version: str | None = None,
    description: str | None = None,
    keep_going: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
) -> BuildReport:
    """Build a frozen suite from `src` into the folder `out` (see the module docstring).

    Args:
        src: a reference `meta.json`, a suite file, or a folder holding either.
        out: output folder (created); gets `suite.json`, `images/`, `masks/`.
        judge: verifies detections, and writes questions when `questions="judge"`.
        detector: makes first-frame masks for scenarios with a first frame and no masks.
        questions: "templates" (from `fields`), "judge" (an LLM through `judge`), or "keep" (every scenario
            must already have its questions).
        images: a folder of first frames named by scenario id, attached to (or replacing) the source's.
        suite_id, version, description: of the built suite (default: the source's).
        keep_going: leave out scenarios that fail (listed in the report) instead of raising.
        progress: called as `progress(done, total, scenario_id)`.

    Raises:
        DataFormatError: the source is invalid, or (without `keep_going`) some scenario could not be
            completed; the message lists every scenario and what failed.
    """
    if questions not in QUESTION_SOURCES:
        raise DataFormatError(f"questions must be one of {', '.join(QUESTION_SOURCES)}, got {questions!r}")
    if questions == "judge" and judge is None:
        raise DataFormatError("questions='judge' needs a judge backend")
    source, attach = read_inputs(src, out, images)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"{out}: cannot create the output folder: {e.strerror or e}") from None
    report_made_masks: list[str] = []
    report_made_questions: list[str] = []
    problems: list[str] = []
    scenarios: list[dict[str, Any]] = []
    notes: list[str] = []
    for n, sc in enumerate(source.scenarios):
        if not sc.key_interactions:  # its questions are written here: appearances without articles
            sc = _without_articles(sc, notes)
        try:
            item, made_masks, made_questions = _build_scenario(sc, out, attach.get(sc.id), judge=judge,
                                                               detector=detector, questions=questions)
        except (InterGenEvalError, OSError, ValueError) as e:
            problems.append(f"{sc.id}: {e}")
            log.info("suite build: scenario %s: %s", sc.id, e)  # reported by the caller
        else:
            scenarios.append(item)
            if made_masks:
                report_made_masks.append(sc.id)
            if made_questions:
                report_made_questions.append(sc.id)
        if progress is not None:
            progress(n + 1, len(source.scenarios), sc.id)
    if len(problems) == 1 and not keep_going:
        raise DataFormatError(f"{src}: scenario {problems[0]}")
    if problems and not keep_going:
        shown = "\n  ".join(problems[:30])
        raise DataFormatError(f"suite build: {len(problems)} scenario(s) could not be completed:\n  {shown}")
    if not scenarios:
        raise DataFormatError("suite build: no scenario could be completed:\n  " + "\n  ".join(problems[:30]))
    meta = {
        "suite_id": suite_id or source.suite_id,
        "version": version or source.version,
        "description": description if description is not None else source.description,
    }
    suite = write_suite(out / "suite.json", suite_to_dict(meta, scenarios))
    return BuildReport(suite, out / "suite.json", report_made_masks, report_made_questions, problems, notes)


def read_inputs(src: str | Path, out: str | Path, images: str | Path | None) -> tuple[Suite, dict[str, Path]]:
    """The source suite and the first frames to attach, with the output folder checked: everything a build
    can refuse without a model, so callers check it before they build the judge and detector.

    Raises:
        DataFormatError: the source is invalid, or the images folder is missing or names unknown scenarios.
        ConfigError: `out` is a file.
    """
    source = load_suite(src, require_questions=False)
    check_folder(out, "output")
    attach = _images_by_id(Path(images)) if images is not None else {}
    unknown = sorted(set(attach) - {s.id for s in source.scenarios})
    if unknown:
        raise DataFormatError(f"{images}: image(s) for unknown scenario id(s): {', '.join(unknown[:10])}")
    return source, attach


def _build_scenario(
    sc: Scenario, out: Path, image: Path | None, *, judge: ChatJudge | None, detector: Any, questions: str
) -> tuple[dict[str, Any], bool, bool]:
    item: dict[str, Any] = {"id": sc.id, "video_prompt": sc.video_prompt}
    if sc.image_prompt is not None:
        item["image_prompt"] = sc.image_prompt
    first = image or sc.first_frame
    masks_made = False
    if first is not None:
        rel = f"images/{sc.id}{first.suffix.lower()}"
        (out / "images").mkdir(exist_ok=True)
        if first.resolve() != (out / rel).resolve():
            shutil.copyfile(first, out / rel)
        item["first_frame"] = rel
        if sc.masks is not None and image is None:
            masks = np.stack([_load_mask(p) for p in sc.masks])
        else:
            if detector is None or judge is None:
                raise DataFormatError("has a first frame but no masks: give a detector and a judge to make "
                                      "them")
            frame = _load_rgb(out / rel)
            try:
                masks = detector.first_masks(frame, sc, judge=judge)
            except DetectionError as e:
                raise DataFormatError(f"first-frame masks: {e}") from None
            masks_made = True
        item["masks"] = _write_masks(out, sc.id, masks)
    item["objects"] = [{"class": o.cls, "appearance": o.appearance} for o in sc.objects]
    item.update(interaction_type=sc.interaction_type, direction=sc.direction, pairing=sc.pairing)
    if sc.fields:
        item["fields"] = sc.fields
    made_questions = False
    if sc.key_interactions:
        kis = [{"text": ki.text, "questions": [{"slot": q.slot, "text": q.text} for q in ki.questions]}
               for ki in sc.key_interactions]
    elif questions == "templates":
        if not sc.fields:
            raise DataFormatError("has no questions and no structured 'fields' for the templates "
                                  "(write its fields, or build with questions='judge')")
        from .questions import build_questions

        kis, made_questions = build_questions(sc.fields, list(sc.objects)), True
    elif questions == "judge":
        assert judge is not None
        kis, made_questions = generate_questions(judge, sc), True
    else:
        raise DataFormatError("has no frozen questions (build with questions='templates' or 'judge')")
    item["key_interactions"] = kis
    return item, masks_made, made_questions


_ARTICLE = re.compile(r"^(a|an|the)\s+(?=\S)", re.IGNORECASE)


def _without_articles(sc: Scenario, notes: list[str]) -> Scenario:
    """`sc` with each appearance's leading article dropped (questions add their own "the"); notes each.

    >>> from intergeneval.records import ObjectSpec
    >>> notes = []
    >>> sc = Scenario("s", "p", (ObjectSpec("man", "A man in a coat"), ObjectSpec("door", "red door")),
    ...               "contact", "unidirectional", "human-object", ())
    >>> [o.appearance for o in _without_articles(sc, notes).objects]
    ['man in a coat', 'red door']
    >>> print(notes[0])  # doctest: +NORMALIZE_WHITESPACE
    s: object 1 appearance 'A man in a coat' is written 'man in a coat'
    (questions say 'the man in a coat (red bbox)')
    """
    objects = []
    for k, o in enumerate(sc.objects):
        bare = _ARTICLE.sub("", o.appearance.strip())
        if bare != o.appearance:
            from .questions import color_name

            notes.append(f"{sc.id}: object {k + 1} appearance {o.appearance!r} is written {bare!r} "
                         f"(questions say 'the {bare} ({color_name(k)} bbox)')")
            o = dataclasses.replace(o, appearance=bare)
        objects.append(o)
    return dataclasses.replace(sc, objects=tuple(objects))


# ------------------------------------------------------------------------------- questions by the judge
def questions_user_text(sc: Scenario, colors: Sequence[str]) -> str:
    """The user text of a question-writing call: the prompt and the objects with their colours."""
    objects = [{"object": k + 1, "class": o.cls, "appearance": o.appearance, "colour": c,
                "write_as": f"{o.appearance} ({c} bbox)"}
               for k, (o, c) in enumerate(zip(sc.objects, colors, strict=True))]
    data = {"video_prompt": sc.video_prompt, "objects": objects}
    return "Input data:\n" + json.dumps(data, ensure_ascii=False)


def parse_questions_reply(reply: str, sc: Scenario, colors: Sequence[str]) -> list[dict[str, Any]]:
    """Validate a question-writing reply; return the suite's `key_interactions`.

    Each key interaction needs a text and exactly ten non-empty questions; every `(<colour> bbox)` must be
    a roster colour and follow that object's appearance, and every question must name at least one object.

    Raises:
        JudgeError: naming what is wrong.
    """
    data = extract_json(reply, "{", "}")
    items = data.get("key_interactions") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise JudgeError("reply has no 'key_interactions' list")
    by_colour = {c.lower(): o.appearance for o, c in zip(sc.objects, colors, strict=True)}
    out = []
    for j, it in enumerate(items):
        text = it.get("text") if isinstance(it, dict) else None
        qs = it.get("questions") if isinstance(it, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise JudgeError(f"key interaction {j + 1}: no 'text'")
        texts_ok = isinstance(qs, list) and all(isinstance(q, str) and q.strip() for q in qs)
        if not texts_ok or len(qs) != config.NUM_SLOTS:
            raise JudgeError(f"key interaction {j + 1}: needs exactly {config.NUM_SLOTS} non-empty questions")
        for k, q in enumerate(qs):
            problem = _entity_problem(q, by_colour)
            if problem:
                raise JudgeError(f"key interaction {j + 1}, question {k + 1}: {problem}: {q!r}")
        slots = [{"slot": k + 1, "text": q.strip()} for k, q in enumerate(qs)]
        out.append({"text": text.strip(), "questions": slots})
    return out


def _entity_problem(question: str, by_colour: dict[str, str]) -> str | None:
    marks = list(_BBOX.finditer(question))
    if not marks:
        return "names no object as 'appearance (colour bbox)'"
    for m in marks:
        colour = m.group(1).lower()
        if colour not in by_colour:
            return f"colour {colour!r} is not in the roster"
        before = question[: m.start()].rstrip().lower()
        if not before.endswith(by_colour[colour].lower()):
            return f"'({colour} bbox)' does not follow the appearance {by_colour[colour]!r}"
    return None


def generate_questions(judge: ChatJudge, sc: Scenario) -> list[dict[str, Any]]:
    """Ask the judge (text only) for a scenario's questions; retry invalid replies.

    Raises:
        JudgeError: naming the scenario, after `judge.attempts` invalid replies.
    """
    from .questions import color_name

    colors = tuple(color_name(k) for k in range(len(sc.objects)))
    user = questions_user_text(sc, colors)
    video = JudgeVideo(f"questions:{sc.content_hash or sc.id}", sc, (), (), colors)
    errors = []
    for attempt in range(1, judge.attempts + 1):
        try:
            request = JudgeRequest("questions", QUESTIONS_INSTRUCTION, user, None, attempt)
            reply = judge.complete(video, request)
            return parse_questions_reply(reply, sc, colors)
        except JudgeError as e:
            errors.append(f"attempt {attempt}: {e}")
    raise JudgeError(f"scenario {sc.id!r}: no valid questions from the judge ({'; '.join(errors[-2:])})")


# ------------------------------------------------------------------------------------------------ files
def _images_by_id(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        raise DataFormatError(f"{folder}: images folder does not exist")
    found: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() in _IMAGE_SUFFIXES:
            if p.stem in found:
                raise DataFormatError(f"{folder}: two images for scenario {p.stem!r}: {found[p.stem].name}, "
                                      f"{p.name}")
            found[p.stem] = p
    return found


def _load_rgb(path: Path) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except OSError as e:
        raise DataFormatError(f"{path}: cannot read first-frame image: {e}") from None


def _load_mask(path: Path) -> np.ndarray:
    from .video import load_mask

    return load_mask(path)


def _write_masks(out: Path, sid: str, masks: np.ndarray) -> list[str]:
    from PIL import Image

    folder = out / "masks" / sid
    folder.mkdir(parents=True, exist_ok=True)
    rels = []
    for k, m in enumerate(np.asarray(masks, dtype=bool), start=1):
        rel = f"masks/{sid}/id{k}.png"
        Image.fromarray(m.astype(np.uint8) * 255).save(out / rel)  # 2-D uint8: single channel
        rels.append(rel)
    return rels

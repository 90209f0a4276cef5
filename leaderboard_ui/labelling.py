"""The Label tab: a video's evidence frames and questions, never the judge's answers, and a person's
yes / no / unsure per question, stored through the API (`/labels`, a token with the `label` scope).

The tab has a fixed set of answer controls: `MAX_INTERACTIONS` key interactions of ten questions each (suites
have one or two); a video with more shows the first ones and says so. Functions here take and return plain
values; `app.py` wires them to components.

Example:
    >>> item = {"job_id": 1, "scenario_id": "s1", "prompt": "A hand lifts a cup.", "objects": [],
    ...         "frames": [], "labels": [{"key_interaction": 0, "slot": 2, "answer": "no"}],
    ...         "key_interactions": [{"index": 0, "text": "hand lifts cup",
    ...                               "questions": [{"slot": s, "text": f"q{s}"} for s in range(1, 11)]}]}
    >>> view = label_view(item)
    >>> view.groups[0]["visible"], view.radios[1]["value"], view.radios[10]["visible"]
    (True, 'no', False)
    >>> payload(item, ["yes", "no"] + [None] * 38)
    [{'key_interaction': 0, 'slot': 1, 'answer': 'yes'}, {'key_interaction': 0, 'slot': 2, 'answer': 'no'}]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from .cards import render_message
from .client import ApiClient, ApiError, ApiUnavailable

MAX_INTERACTIONS = 4
SLOTS = 10
ANSWERS = ("yes", "no", "unsure")


@dataclass
class LabelView:
    """What the tab shows: the item, a message, the video's HTML and every group and answer control."""

    item: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    video: str = ""
    groups: list[dict[str, Any]] = field(default_factory=lambda: [{"visible": False, "heading": ""}
                                                                  for _ in range(MAX_INTERACTIONS)])
    radios: list[dict[str, Any]] = field(default_factory=lambda: [
        {"visible": False, "label": "", "value": None} for _ in range(MAX_INTERACTIONS * SLOTS)])


def _e(x: Any) -> str:
    return escape("" if x is None else str(x))


def render_video(item: Mapping[str, Any], image_url: Callable[[str], str] = lambda u: u) -> str:
    """The prompt, the objects with their box colours, and the frames the judge saw (no answers)."""
    objects = "".join(f'<li>{_e(o.get("colour"))} box: {_e(o.get("appearance"))} ({_e(o.get("class"))})</li>'
                      for o in item.get("objects") or [])
    frames = "".join(f'<figure data-frame="{_e(f.get("frame"))}">'
                     f'<img src="{_e(image_url(str(f.get("url"))))}" alt="frame {_e(f.get("frame"))}" '
                     f'loading="lazy"><figcaption>frame {_e(f.get("frame"))}</figcaption></figure>'
                     for f in item.get("frames") or [])
    return (f'<div class="lab" data-testid="label-video" data-job="{_e(item.get("job_id"))}" '
            f'data-scenario="{_e(item.get("scenario_id"))}"><p class="lab-prompt"><b>Prompt:</b> '
            f'{_e(item.get("prompt"))}</p><ul class="lab-objects">{objects}</ul>'
            f'<div class="ev-strip" data-testid="label-frames">{frames}</div>'
            '<p class="lab-help">Answer each question from what the frames show; use the box colours to know '
            'which instance a question means. "unsure" when the frames do not decide it.</p></div>')


def label_view(item: Mapping[str, Any], *, image_url: Callable[[str], str] = lambda u: u,
               message: str = "", chosen: Sequence[str | None] = ()) -> LabelView:
    """The tab for one item, the caller's earlier answers filled in; `chosen` (the controls' values, as
    `payload` reads them) overrides them where set: a save that failed keeps what the labeller chose."""
    view = LabelView(item=dict(item), message=message, video=render_video(item, image_url))
    given = {(x.get("key_interaction"), x.get("slot")): x.get("answer") for x in item.get("labels") or []}
    kis = list(item.get("key_interactions") or [])
    for k, ki in enumerate(kis[:MAX_INTERACTIONS]):
        view.groups[k] = {"visible": True, "heading": f"**Key interaction {k + 1}:** {ki.get('text') or ''}"}
        for q in ki.get("questions") or []:
            slot = q.get("slot")
            if isinstance(slot, int) and 1 <= slot <= SLOTS:
                at = k * SLOTS + slot - 1
                value = chosen[at] if at < len(chosen) and chosen[at] in ANSWERS else None
                view.radios[at] = {"visible": True, "label": f"{slot}. {q.get('text')}",
                                   "value": value or given.get((ki.get("index", k), slot))}
    if len(kis) > MAX_INTERACTIONS:
        view.message += render_message(f"This video has {len(kis)} key interactions; this page shows the "
                                       f"first {MAX_INTERACTIONS}.", kind="warn", testid="label-message")
    return view


def payload(item: Mapping[str, Any], values: Sequence[str | None]) -> list[dict[str, Any]]:
    """The answers chosen in the controls, as the API takes them (unanswered questions left out)."""
    out = []
    for k, ki in enumerate((item.get("key_interactions") or [])[:MAX_INTERACTIONS]):
        for q in ki.get("questions") or []:
            slot = q.get("slot")
            if not isinstance(slot, int) or not 1 <= slot <= SLOTS:
                continue
            value = values[k * SLOTS + slot - 1] if k * SLOTS + slot - 1 < len(values) else None
            if value in ANSWERS:
                out.append({"key_interaction": ki.get("index", k), "slot": slot, "answer": value})
    return out


def _error(e: Exception, what: str) -> str:
    if isinstance(e, ApiError):
        hint = " (a token with the label scope is needed)" if e.status in (401, 403) else ""
        return render_message(f"{what}: {e.message}{hint}", kind="error" if e.status != 404 else "info",
                              testid="label-message")
    return render_message(f"{what}: {e}", kind="error", testid="label-message")


def next_video(api: ApiClient, token: str | None, *,
               image_url: Callable[[str], str] = lambda u: u) -> LabelView:
    """A new video to label for the token's user."""
    if not token:
        return LabelView(message=render_message("Enter a token with the label scope.", kind="warn",
                                                testid="label-message"))
    try:
        item = api.label_next(token=token)
    except (ApiError, ApiUnavailable) as e:
        return LabelView(message=_error(e, "Getting a video to label"))
    return label_view(item, image_url=image_url)


def save(api: ApiClient, token: str | None, item: Mapping[str, Any], values: Sequence[str | None], *,
         image_url: Callable[[str], str] = lambda u: u) -> LabelView:
    """Store the chosen answers; the view comes back with what the API stored."""
    if not item:
        return LabelView(message=render_message("Get a video to label first.", kind="warn",
                                                testid="label-message"))
    answers = payload(item, values)
    if not answers:
        return label_view(item, image_url=image_url, message=render_message(
            "Choose yes, no or unsure for at least one question.", kind="warn", testid="label-message"))
    try:
        stored = api.put_labels(int(item["job_id"]), str(item["scenario_id"]), answers, token=token)
    except (ApiError, ApiUnavailable) as e:
        return label_view(item, image_url=image_url, message=_error(e, "Saving the answers"), chosen=values)
    return label_view(stored, image_url=image_url, message=render_message(
        f"Saved {len(answers)} answers. Thank you: \"Next video\" brings another one.", kind="ok",
        testid="label-message"))

"""Why a video scored what it did, as HTML: the overlay frames the judge saw, its answers and flagged frames.

Each question is shown with the judge's answer and its decisive frame (a thumbnail, and the frame outlined in
the strip, with the question slots that chose it); frames the judge flagged for emergence or disappearance are
marked in the strip.

Example:
    >>> video = {"scenario_id": "001", "status": "ok", "sampled_frames": [0, 5],
    ...          "evidence": [{"frame": 0, "url": "/e/0.jpg"}, {"frame": 5, "url": "/e/5.jpg"}],
    ...          "answers": [{"key_interaction": 0, "slot": 1, "question": "Is a cup held?", "answer": "yes",
    ...                       "frame": 5}], "emergence_frames": [5], "disappearance_frames": []}
    >>> html = render_evidence(video)
    >>> 'data-frame="5"' in html and "ev-decisive" in html and "ev-emergence" in html
    True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

from intergeneval import config
from intergeneval.metrics.aggregate import METRIC_INFO, METRICS

_ANSWER_CLASS = {"yes": "ev-yes", "no": "ev-no", "no (visually implausible)": "ev-implausible"}


def _frame_id(sid: str, frame: int) -> str:
    return f"ev-{escape(sid)}-f{frame}"


def _answers_by_interaction(video: Mapping[str, Any]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """Answers grouped by key interaction, with the interaction's text when the record has it."""
    texts = [str(i.get("text") or "") for i in ((video.get("record") or {}).get("interactions") or [])]
    groups: dict[int, list[Mapping[str, Any]]] = {}
    for a in video.get("answers") or []:
        groups.setdefault(int(a.get("key_interaction") or 0), []).append(a)
    return [(texts[k] if k < len(texts) else "", sorted(v, key=lambda a: a.get("slot") or 0))
            for k, v in sorted(groups.items())]


def _slot_kind(slot: int | None) -> str:
    if slot in config.KISA_SLOTS:
        return "KISA"
    if slot in config.SGI_SLOTS:
        return "SGI"
    return ""


def _metrics_line(video: Mapping[str, Any]) -> str:
    metrics = video.get("metrics") or {}
    pills = []
    for m in METRICS:
        v = metrics.get(m)
        pills.append(f'<span class="ev-pill" data-metric="{m}">{escape(METRIC_INFO[m].label)} '
                     f'<b>{"—" if v is None else f"{v:.3f}"}</b></span>')
    return '<div class="ev-metrics">' + "".join(pills) + "</div>"


def render_evidence(video: Mapping[str, Any], *, prompt: str | None = None,
                    image_url: Callable[[str], str] = lambda u: u) -> str:
    """One video's evidence as HTML, from the API's VideoResult.

    Args:
        video: a per-video result (`GET /jobs/{id}/videos/{scenario_id}`).
        prompt: the scenario's video prompt, when known.
        image_url: maps an evidence link of the API to the URL the browser should load.

    Returns:
        HTML with the frame strip, the questions and answers, and the emergence/disappearance lists.
    """
    sid = str(video.get("scenario_id") or "?")
    status = str(video.get("status") or "?")
    emergence = set(video.get("emergence_frames") or [])
    disappearance = set(video.get("disappearance_frames") or [])
    answers = video.get("answers") or []
    decisive: dict[int, list[int]] = {}
    for a in answers:
        if a.get("frame") is not None:
            decisive.setdefault(int(a["frame"]), []).append(int(a.get("slot") or 0))
    images = {int(e["frame"]): str(e["url"])
              for e in video.get("evidence") or [] if e.get("frame") is not None}

    cats = " · ".join(escape(str(video[k])) for k in ("interaction_type", "pairing") if video.get(k))
    ok = status in ("ok", "scored")
    head = (f'<div class="ev-head"><b>Video {escape(sid)}</b> <span class="ev-cats">{cats}</span> '
            f'<span class="lb-badge {"ev-ok" if ok else "ev-fail"}">{escape(status)}</span></div>')
    if not ok and video.get("reason"):
        head += f'<p class="ev-reason">{escape(str(video["reason"]))}</p>'
    if prompt:
        head += f'<p class="ev-prompt">“{escape(prompt)}”</p>'

    parts = [head, _metrics_line(video)]
    parts.append(_strip(sid, video.get("sampled_frames") or sorted(images), images, decisive, emergence,
                        disappearance, image_url))
    parts.append(_questions(sid, _answers_by_interaction(video), images, image_url))
    parts.append(_changes(video, emergence, disappearance))
    return (f'<div class="ev" data-testid="evidence" data-scenario="{escape(sid)}">' + "".join(parts)
            + "</div>")


def _strip(sid: str, frames: Sequence[int], images: Mapping[int, str], decisive: Mapping[int, list[int]],
           emergence: set[int], disappearance: set[int], image_url: Callable[[str], str]) -> str:
    if not frames:
        return '<p class="ev-empty">The judge saw no frames of this video (it failed before judging).</p>'
    figs = []
    for f in frames:
        cls = ["ev-frame"]
        tags = []
        if f in decisive:
            cls.append("ev-decisive")
            tags.append(f'<span class="ev-tag ev-tag-q" title="decisive frame of these questions">'
                        f'Q{",".join(str(s) for s in sorted(decisive[f]))}</span>')
        if f in emergence:
            cls.append("ev-emergence")
            tags.append('<span class="ev-tag ev-tag-e" title="the judge saw an object emerge">'
                        "emergence</span>")
        if f in disappearance:
            cls.append("ev-disappearance")
            tags.append('<span class="ev-tag ev-tag-d" title="the judge saw an object disappear">'
                        "disappearance</span>")
        img = (f'<img src="{escape(image_url(images[f]))}" alt="overlay frame {f}" loading="lazy">'
               if f in images else '<div class="ev-noimg">no image saved</div>')
        figs.append(f'<figure class="{" ".join(cls)}" id="{_frame_id(sid, f)}" data-frame="{f}">{img}'
                    f'<figcaption>frame {f} {"".join(tags)}</figcaption></figure>')
    return ('<div class="ev-section"><h4>Frames the judge saw (with the tracked objects overlaid)</h4>'
            f'<div class="ev-strip" data-testid="evidence-frames">{"".join(figs)}</div></div>')


def _questions(sid: str, groups: list[tuple[str, list[Mapping[str, Any]]]], images: Mapping[int, str],
               image_url: Callable[[str], str]) -> str:
    if not groups:
        return '<p class="ev-empty">No judge answers were recorded for this video.</p>'
    rows = []
    for k, (text, answers) in enumerate(groups):
        title = f"Key interaction {k + 1}" + (f": {escape(text)}" if text else "")
        rows.append(f'<tr class="ev-ki"><th colspan="5" scope="rowgroup">{title}</th></tr>')
        for a in answers:
            answer = a.get("answer")
            cls = _ANSWER_CLASS.get(answer or "", "ev-missing")
            frame = a.get("frame")
            if frame is None:
                frame_html = '<span class="ev-muted">none</span>'
            else:
                thumb = (f'<img class="ev-thumb" src="{escape(image_url(images[int(frame)]))}" '
                         f'alt="decisive frame {frame}" loading="lazy">' if int(frame) in images else "")
                frame_html = (f'<a href="#{_frame_id(sid, int(frame))}" class="ev-frame-link">{thumb}'
                              f"frame {frame}</a>")
            rows.append(
                f'<tr class="ev-q" data-slot="{a.get("slot")}"><td class="lb-num">{a.get("slot")}</td>'
                f'<td class="ev-kind">{_slot_kind(a.get("slot"))}</td>'
                f'<td>{escape(str(a.get("question") or ""))}</td>'
                f'<td><span class="ev-answer {cls}">{escape(answer) if answer else "missing"}</span></td>'
                f"<td>{frame_html}</td></tr>")
    return ('<div class="ev-section"><h4>Questions, the judge\'s answers and decisive frames</h4>'
            '<div class="lb-scroll"><table class="ev-qa" data-testid="evidence-answers"><thead><tr>'
            '<th scope="col">#</th><th scope="col">scores</th><th scope="col">question</th>'
            '<th scope="col">answer</th><th scope="col">decisive frame</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div></div>')


def _changes(video: Mapping[str, Any], emergence: set[int], disappearance: set[int]) -> str:
    changes = (video.get("record") or {}).get("changes") or {}

    def line(name: str, frames: set[int], reason: Any) -> str:
        listed = ", ".join(str(f) for f in sorted(frames)) or "none"
        why = f' <span class="ev-muted">({escape(str(reason))})</span>' if reason else ""
        return f"<li><b>{name}</b>: frames {listed}{why}</li>"

    return ('<div class="ev-section"><h4>Objects that emerged or disappeared (penalised in SPI)</h4><ul>'
            + line("Emergence", emergence, changes.get("emergence_reason"))
            + line("Disappearance", disappearance, changes.get("disappearance_reason")) + "</ul></div>")


def video_choices(videos: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(label, scenario id) pairs for the video picker: id, categories, IF or the failure status."""
    out = []
    for v in videos:
        sid = str(v.get("scenario_id"))
        score = (v.get("metrics") or {}).get("if")
        tail = f"IF {score:.3f}" if score is not None else str(v.get("status") or "?")
        cat = v.get("interaction_type") or ""
        out.append((f"{sid} · {cat} · {tail}" if cat else f"{sid} · {tail}", sid))
    return out

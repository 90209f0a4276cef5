"""`OUT/report.html`: the summary, a per-category chart and the evidence behind every video's score.

The page is one HTML file next to the run's `evidence/` folder: frames are linked, so the file stays small,
or with `embed=True` put inside it as data URIs, so the one file can be sent around alone. The chart is
inline SVG, so no plotting library is needed.
"""

from __future__ import annotations

import base64
import json
from html import escape
from pathlib import Path
from typing import Any

from . import legend
from .errors import DataFormatError
from .formats import atomic_write_text, read_jsonl

_ANSWER_CLASS = {"yes": "yes", "no": "no", "no (visually implausible)": "implausible", None: "missing"}
_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}.yes{color:#17802b}.no{color:#b02020}.implausible{color:#a0522d}
.missing{color:#888;font-style:italic}.frames{display:flex;flex-wrap:wrap;gap:4px}
.frames figure{margin:0;border:3px solid transparent}.frames figure.decisive{border-color:#1f6feb}
.frames figure.emerge{border-color:#d97706}.frames figure.vanish{border-color:#9333ea}
.frames img{width:160px;display:block}figcaption{font-size:.75rem;text-align:center}
details{margin:.5rem 0;border:1px solid #ddd;padding:.5rem}summary{cursor:pointer;font-weight:600}
.warning{background:#fff4d6;border:1px solid #e0b000;padding:.4rem .6rem;font-weight:600}
.status{font-size:.8rem;padding:.1rem .4rem;border-radius:4px;background:#eee}
.legend td{text-align:left}.legend{font-size:.9rem}
"""


def write_report(out: Path, *, embed: bool = False) -> Path:
    """Write `OUT/report.html` from `OUT/summary.json` and `OUT/per_video.jsonl`; returns its path.

    With `embed`, the evidence frames are inside the page (data URIs): one file with no links to others.
    """
    out = Path(out)
    try:
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise DataFormatError(f"{out / 'summary.json'}: cannot read the run summary ({e}); run `intergeneval score` "
                              "first") from None
    records = list(read_jsonl(out / "per_video.jsonl"))
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width,initial-scale=1'>",
        f"<title>InterGenEval report · {escape(summary['suite']['id'])}</title><style>{_STYLE}</style></head><body>",
        f"<h1>InterGenEval report</h1>{_provenance(summary)}",
        *(f"<p class=warning>⚠ {escape(w)}</p>" for w in summary.get("warnings", [])),
        "<h2>Summary</h2>", _metric_table(summary), _legend(),
        "<h2>Interaction fidelity by category</h2>", _category_chart(summary),
        _controls(summary.get("controls")),
        _failures(summary),
        "<h2>Evidence per video</h2>",
        *(_video(r, out if embed else None) for r in records),
        "</body></html>",
    ]
    path = out / "report.html"
    atomic_write_text(path, "\n".join(parts))
    return path


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def _provenance(s: dict[str, Any]) -> str:
    v = s["videos"]
    fp = s["fingerprints"]
    judge = fp["judge"].get("model", fp["judge"].get("backend"))
    tracker = fp["tracker"].get("model", fp["tracker"].get("backend"))
    return (f"<p>Suite <b>{escape(s['suite']['id'])}</b> v{escape(s['suite']['version'])} "
            f"(<code>{escape(s['suite']['content_hash'][:23])}…</code>) · protocol {escape(s['protocol'])} · "
            f"judge {escape(str(judge))} · tracker {escape(str(tracker))} · intergeneval {escape(s['package_version'])}"
            f"<br><b>{v['scored']}</b> of {v['expected']} videos scored, {v['failed']} failed"
            + ("" if s.get("complete", True) else " · <b>run incomplete</b>") + "</p>")


def _metric_table(s: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><th class=l>{escape(name.upper().replace('_', '·'))}</th><td>{_fmt(m['mean'])}</td>"
        f"<td>[{_fmt(m['ci_low'])}, {_fmt(m['ci_high'])}]</td><td>{m['n']}</td></tr>"
        for name in s["metric_names"] for m in [s["metrics"][name]]
    )
    diag = "".join(f"<tr><th class=l>{escape(k.replace('_', ' '))}</th>"
                   f"<td colspan=3>{v if isinstance(v, int) else _fmt(v)}</td></tr>"
                   for k, v in s["diagnostics"].items())
    return f"<table><tr><th class=l>metric</th><th>mean</th><th>95% CI</th><th>videos</th></tr>{rows}{diag}</table>"


def _legend() -> str:
    rows = "".join(f"<tr><th class=l>{escape(m)}</th><td>{escape(r)}</td><td>{escape(text)}</td></tr>"
                   for m, r, text in legend.METRICS)
    notes = " ".join(escape(n) for n in legend.NOTES)
    head = "<tr><th class=l>metric</th><th class=l>range</th><th class=l>meaning</th></tr>"
    return (f"<details open><summary>What the numbers mean</summary><table class=legend>{head}{rows}</table>"
            f"<p>{notes}</p></details>")


def _category_chart(s: dict[str, Any]) -> str:
    bars = [(f"{key}: {cat}", v["metrics"].get("if")) for key, cats in s["categories"].items() for cat, v in cats.items()]
    if not bars:
        return "<p class=missing>no scored video</p>"
    width, row = 560, 22
    values = [b for _, b in bars if b is not None]
    lo, hi = min([0.0, *values]), max([1.0, *values])
    scale = (width - 200) / (hi - lo)
    zero = 200 + (0 - lo) * scale
    items = []
    for i, (label, val) in enumerate(bars):
        y = i * row
        items.append(f"<text x=0 y={y + 15} font-size=12>{escape(label)}</text>")
        if val is None:
            items.append(f"<text x={zero + 4:.1f} y={y + 15} font-size=12 fill=#888>no score</text>")
            continue
        x0, x1 = sorted((zero, 200 + (val - lo) * scale))
        items.append(f"<rect x={x0:.1f} y={y + 3} width={max(x1 - x0, 1):.1f} height={row - 6} fill=#1f6feb />")
        items.append(f"<text x={x1 + 4:.1f} y={y + 15} font-size=12>{val:.3f}</text>")
    items.append(f"<line x1={zero:.1f} x2={zero:.1f} y1=0 y2={len(bars) * row} stroke=#444 />")
    return (f"<svg role=img aria-label='IF by category' width={width + 60} height={len(bars) * row}>"
            + "".join(items) + "</svg>")


_FLAG_TEXT = {True: "<b class=no>FLAGGED</b>", False: "not flagged", None: "too few videos"}


def _controls(c: dict[str, Any] | None) -> str:
    """The judge's negative controls (`score --controls`): per kind the yes-rate where the right answer is
    "no", its CI and the flag, then each slot's yes-rate beside the run's own videos (docs/judge-trust.md)."""
    if not c:
        return ""
    kinds = c.get("by_kind") or {}
    rows = []
    for kind, b in kinds.items():
        exp = b.get("expected_no")
        if exp is None:
            cells = "<td class=l>none</td><td>—</td><td>—</td><td>—</td><td class=l>never flagged</td>"
        else:
            slots = ", ".join(str(int(x)) for x in exp["slots"])
            ci = f"[{_fmt(exp['ci_low'])}, {_fmt(exp['ci_high'])}]"
            cells = (f"<td class=l>{slots}</td><td>{int(exp['videos'])}</td><td>{_fmt(exp['yes_rate'])}</td>"
                     f"<td>{ci}</td><td class=l>{_FLAG_TEXT.get(exp['flagged'], '—')}</td>")
        fails = b.get("failures") or []
        why = "; ".join(f"{f.get('scenario_id')}: {f.get('status')}" for f in fails[:5])
        rows.append(f"<tr data-kind='{escape(kind)}'><th class=l>{escape(kind)}</th>{cells}"
                    f"<td>{int(b.get('judged', 0))}</td><td title='{escape(why)}'>{len(fails)}</td></tr>")
    head = ("<tr><th class=l>control</th><th class=l>expected-no slots</th><th>videos</th><th>yes-rate</th>"
            "<th>95% CI</th><th class=l>flag</th><th>judged</th><th>failed</th></tr>")
    slot_head = "".join(f"<th>{k}</th>" for k in range(1, 11))
    per_slot = [(kind, b.get("slots") or {}) for kind, b in kinds.items()]
    if c.get("originals"):
        per_slot.append(("the run's own videos", c["originals"].get("slots") or {}))
    slot_rows = "".join(f"<tr><th class=l>{escape(name)}</th>"
                        + "".join(f"<td>{_fmt((slots.get(str(k)) or {}).get('yes_rate'))}</td>"
                                  for k in range(1, 11)) + "</tr>" for name, slots in per_slot)
    flagged = c.get("flagged")
    banner = ("<p class=warning>⚠ The judge says \"yes\" where the right answer is \"no\": read KISA and SGI "
              "with that in mind.</p>" if flagged else "")
    rule = escape((c.get("flag_rule") or {}).get("text", ""))
    return (f"<section id=controls><h2>Judge trust: negative controls</h2>{banner}"
            "<p>Videos derived from this run's videos where some answers are known to be \"no\" (frozen: "
            "nothing moves; swapped: another scenario's video; reversed: time reversed). They are not part "
            f"of the scores above. {rule}. Overall: {_FLAG_TEXT.get(flagged, '—')}.</p>"
            f"<table>{head}{''.join(rows)}</table>"
            f"<details><summary>Yes-rate per slot</summary><table><tr><th class=l></th>{slot_head}</tr>"
            f"{slot_rows}</table></details></section>")


def _failures(s: dict[str, Any]) -> str:
    fails = s["videos"]["failures"]
    if not fails:
        return ""
    rows = "".join(f"<tr><td class=l>{escape(f['scenario_id'])}</td><td class=l>{escape(f['status'])}</td>"
                   f"<td class=l>{escape(f['reason'])}</td></tr>" for f in fails)
    return f"<h2>Failed videos</h2><table><tr><th class=l>scenario</th><th class=l>status</th><th class=l>reason</th></tr>{rows}</table>"


def _image(rel: str, out: Path | None) -> str:
    """An evidence frame's `src`: its path relative to the page, or (with `out`) the JPEG as a data URI."""
    if out is None:
        return rel
    try:
        data = (out / rel).read_bytes()
    except OSError:
        return rel  # not there any more: the page says so by a broken image, as a linked one would
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


def _frame_link(sid: str, frame: int, evidence: dict[str, str], embed_from: Path | None) -> str:
    """Where a decisive frame's link goes: its image file, or its figure on the page when embedded."""
    if str(frame) not in evidence:
        return "#"
    return f"#f-{sid}-{frame}" if embed_from is not None else escape(evidence[str(frame)])


def _video(r: dict[str, Any], embed_from: Path | None = None) -> str:
    sid = escape(r["scenario_id"])
    scores = r.get("scores") or {}
    head = (f"<summary>{sid} <span class=status>{escape(r['status'])}</span> "
            f"IF {_fmt(scores.get('if'))} · KISA {_fmt(scores.get('kisa'))} · SGI {_fmt(scores.get('sgi'))} · "
            f"SPI {_fmt(scores.get('spi'))}</summary>")
    if r.get("reason"):
        head += f"<p>{escape(r['reason'])}</p>"
    evidence = r.get("evidence") or {}
    changes = r.get("changes") or {}
    emerge, vanish = set(changes.get("emergence", [])), set(changes.get("disappearance", []))
    parts = [head]
    if evidence:
        figs = []
        for idx, rel in sorted(evidence.items(), key=lambda kv: int(kv[0])):
            i = int(idx)
            cls = " ".join(c for c, on in (("emerge", i in emerge), ("vanish", i in vanish)) if on)
            flags = " ".join(t for t, on in (("emergence", i in emerge), ("disappearance", i in vanish)) if on)
            figs.append(f"<figure class='{cls}' id='f-{sid}-{i}' data-frame={i}>"
                        f"<img loading=lazy src='{escape(_image(rel, embed_from))}' alt='frame {i}'>"
                        f"<figcaption>frame {i} {escape(flags)}</figcaption></figure>")
        parts.append(f"<div class=frames>{''.join(figs)}</div>")
    for ki in r.get("interactions", []):
        rows = []
        for a in ki["answers"]:
            cls = _ANSWER_CLASS.get(a["answer"], "missing")
            frame = "—" if a["frame"] is None else (
                f"<a href='{_frame_link(sid, a['frame'], evidence, embed_from)}'>frame {a['frame']}</a>")
            rows.append(f"<tr><td>{a['slot']}</td><td class=l>{escape(a['question'])}</td>"
                        f"<td class='l {cls}'>{escape(a['answer'] or 'missing')}</td><td>{frame}</td></tr>")
        parts.append(f"<p><b>{escape(ki['text'])}</b> ({ki['attempts']} attempt(s))</p><table><tr><th>slot</th>"
                     f"<th class=l>question</th><th class=l>answer</th><th>decisive frame</th></tr>{''.join(rows)}</table>")
    if changes:
        parts.append(f"<p>Emergence frames: {sorted(emerge) or 'none'} {escape(changes.get('emergence_reason', ''))}"
                     f"<br>Disappearance frames: {sorted(vanish) or 'none'} "
                     f"{escape(changes.get('disappearance_reason', ''))}</p>")
    return f"<details id='v-{sid}'>{''.join(parts)}</details>"

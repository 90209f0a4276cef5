"""Judge trust beside the scores: a judge's negative controls and its agreement with people, or "not
measured yet" (figures from `GET /leaderboard/trust`; how to read them: docs/judge-trust.md).

Example:
    >>> entry = {"judge_fingerprint": "ab" * 32, "judge_label": "qwen:x@abababab", "controls": [],
    ...          "human": None}
    >>> html = render_trust(entry)
    >>> "not measured yet" in html and 'data-judge="abab' in html
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

#: Kinds of control, in display order, with the slots whose right answer is "no" (intergeneval.controls).
KIND_NAMES = {"frozen": "frozen video", "reversed": "reversed video", "swapped": "another scenario's video"}
NOT_MEASURED = "not measured yet"


def _e(x: Any) -> str:
    return escape("" if x is None else str(x))


def _num(x: Any) -> str:
    return "—" if x is None else f"{x:.3f}"


def _ci(lo: Any, hi: Any) -> str:
    return "" if lo is None or hi is None else f" [{lo:.3f}, {hi:.3f}]"


def by_fingerprint(body: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The `/leaderboard/trust` entries keyed by judge fingerprint."""
    return {str(j.get("judge_fingerprint")): dict(j) for j in (body or {}).get("judges") or []}


def _slots(slots: Sequence[int]) -> str:
    return f"slots {slots[0]}–{slots[-1]}" if slots else "no slot"


def _flag(value: Any) -> str:
    if value is True:
        return '<span class="lb-badge lb-flag" data-testid="controls-flagged">flagged</span>'
    if value is False:
        return '<span class="lb-badge">ok</span>'
    return '<span class="lb-badge">too few videos</span>'


def _controls_html(controls: Sequence[Mapping[str, Any]]) -> str:
    if not controls:
        return f'<p data-testid="controls-none">Negative controls: {NOT_MEASURED}.</p>'
    parts = []
    for c in controls:
        rows = []
        for kind, k in (c.get("kinds") or {}).items():
            exp = k.get("expected_no")
            if exp is None:  # reversed: nothing known to be "no"
                rows.append(f'<tr data-kind="{_e(kind)}"><td>{_e(KIND_NAMES.get(kind, kind))}</td><td>—</td>'
                            f'<td>—</td><td>{_e(k.get("judged"))}</td><td>not flagged (no answer known to be '
                            '"no")</td></tr>')
                continue
            rows.append(f'<tr data-kind="{_e(kind)}"><td>{_e(KIND_NAMES.get(kind, kind))} '
                        f'({_slots(exp.get("slots") or [])})</td>'
                        f'<td class="tr-rate">{_num(exp.get("yes_rate"))}</td>'
                        f'<td>{_ci(exp.get("ci_low"), exp.get("ci_high")).strip() or "—"}</td>'
                        f'<td>{_e(exp.get("videos"))}</td><td>{_flag(exp.get("flagged"))}</td></tr>')
        parts.append(
            f'<div class="tr-controls" data-testid="controls" data-suite="{_e(c.get("suite_id"))}">'
            f'<p>Negative controls on {_e(c.get("suite_id"))} v{_e(c.get("suite_version"))} '
            f'({_e(c.get("sample"))} scenarios): how often the judge says "yes" where the right answer is '
            '"no" (0 is right).</p><table class="lb-table tr-table"><thead><tr><th>control</th>'
            '<th>yes-rate</th><th>95 % CI</th><th>videos</th><th></th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table></div>")
    return "".join(parts)


def human_text(h: Mapping[str, Any] | None) -> str:
    """One line on the judge's agreement with human labels, with its n."""
    if not h:
        return f"Agreement with people: {NOT_MEASURED}."
    kappa = "—" if h.get("kappa") is None else f"{h['kappa']:.2f}"
    k_ci = h.get("kappa_ci") or [None, None]
    a_ci = h.get("agreement_ci") or [None, None]
    return (f"Agreement with people: {_num(h.get('agreement'))}{_ci(*a_ci)} of answers alike, Cohen's kappa "
            f"{kappa}{_ci(*k_ci)} (n = {h.get('questions')} questions on {h.get('videos')} videos, "
            f"{h.get('labellers')} labellers).")


def render_trust(entry: Mapping[str, Any] | None, *, fingerprint: str | None = None,
                 label: str | None = None) -> str:
    """One judge's trust block (HTML): its controls per suite and its agreement with people."""
    entry = entry or {}
    fp = str(entry.get("judge_fingerprint") or fingerprint or "")
    name = entry.get("judge_label") or label or "judge"
    return (f'<div class="tr" data-testid="judge-trust" data-judge="{_e(fp)}"><h3>Can the judge be trusted? '
            f'<code>{_e(name)}</code></h3>{_controls_html(entry.get("controls") or [])}'
            f'<p data-testid="human-agreement">{_e(human_text(entry.get("human")))}</p>'
            '<p class="tr-note">How to read these: docs/judge-trust.md.</p></div>')


def render_model_trust(results: Iterable[Mapping[str, Any]], body: Mapping[str, Any] | None) -> str:
    """The trust blocks of the judges behind a model's results (one per judge, in the results' order)."""
    known = by_fingerprint(body)
    seen: dict[str, str] = {}
    for r in results:
        fp = r.get("judge_fingerprint")
        if fp and fp not in seen:
            seen[str(fp)] = str(r.get("judge_label") or "")
    return "".join(render_trust(known.get(fp), fingerprint=fp, label=label) for fp, label in seen.items())


def _controls_md(controls: Sequence[Mapping[str, Any]]) -> str:
    if not controls:
        return f"negative controls {NOT_MEASURED}"
    out = []
    for c in controls:
        kinds = []
        for kind, k in (c.get("kinds") or {}).items():
            exp = k.get("expected_no")
            if exp is not None:
                flag = {True: " **flagged**", False: "", None: " (too few videos)"}[exp.get("flagged")]
                ci = _ci(exp.get("ci_low"), exp.get("ci_high"))
                kinds.append(f"{kind} {_num(exp.get('yes_rate'))}{ci} (n = {exp.get('videos')}){flag}")
        out.append(f"negative controls on {c.get('suite_id')} v{c.get('suite_version')}, yes-rate where the "
                   f"answer is \"no\": " + "; ".join(kinds))
    return "; ".join(out)


def trust_markdown(body: Mapping[str, Any] | None, in_use: Sequence[tuple[str, str]]) -> str:
    """The About tab's section: for each judge in use (fingerprint, label), its controls and agreement."""
    known = by_fingerprint(body)
    if not in_use:
        return "- No judge has scored anything here yet: nothing measured."
    lines = []
    for fp, label in in_use:
        e = known.get(fp) or {}
        lines.append(f"- `{e.get('judge_label') or label}` (fingerprint `{fp[:16]}`): "
                     f"{_controls_md(e.get('controls') or [])}. {human_text(e.get('human'))}")
    return "\n".join(lines)

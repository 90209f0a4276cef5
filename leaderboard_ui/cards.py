"""Small HTML views: the model card, a model's results, jobs, a submission's outcome, errors.

Example:
    >>> html = render_jobs([{"id": 9, "model_id": 2, "model_name": "m", "status": "running",
    ...                      "progress": {"done": 3, "total": 6}, "attempts": 1, "max_attempts": 3}])
    >>> 'data-job-id="9"' in html and "3/6" in html
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import urlencode

from .columns import METRIC_COLUMNS, RANK_METRIC, is_incomplete

#: Job states in which a cancel makes sense.
ACTIVE = ("queued", "running")


def _e(x: Any) -> str:
    return escape("" if x is None else str(x))


def _date(x: Any) -> str:
    s = "" if x is None else str(x)
    return f'<span title="{_e(s)}">{_e(s[:16].replace("T", " "))}</span>' if s else "—"


def _link(params: Mapping[str, Any], text: str) -> str:
    return f'<a href="?{urlencode(params)}">{text}</a>'


def render_message(text: str, *, kind: str = "info", testid: str = "message") -> str:
    """A one-line notice (`kind` is info, ok, warn or error)."""
    return f'<div class="lb-msg lb-msg-{kind}" data-testid="{testid}" role="status">{_e(text)}</div>'


def render_model_card(model: Mapping[str, Any]) -> str:
    """The model card: name, organisation, base model, size, link, description, owner, state."""
    badges = ""
    if model.get("flagged"):
        reason = f": {_e(model.get('flag_reason'))}" if model.get("flag_reason") else ""
        badges += f'<span class="lb-badge lb-flag">flagged{reason}</span>'
    if model.get("hidden"):
        badges += '<span class="lb-badge lb-flag">hidden</span>'
    if model.get("public") is False:
        badges += '<span class="lb-badge">private</span>'
    link = model.get("link")
    link_html = (f'<a href="{_e(link)}" rel="noopener nofollow" target="_blank">{_e(link)}</a>'
                 if isinstance(link, str) and link.startswith(("http://", "https://")) else _e(link) or "—")
    facts = [("Organisation", _e(model.get("organisation")) or "—"),
             ("Base model", _e(model.get("base_model")) or "—"),
             ("Parameters", _e(model.get("parameters")) or "—"), ("Link", link_html),
             ("Submitted by", _e(model.get("owner")) or "—"), ("Since", _date(model.get("created_at")))]
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    desc = f'<p class="mc-desc">{_e(model.get("description"))}</p>' if model.get("description") else ""
    return (f'<div class="mc" data-testid="model-card"><h2>{_e(model.get("name"))} {badges}</h2>{desc}'
            f'<dl class="mc-facts">{dl}</dl></div>')


def render_model_results(results: Sequence[Mapping[str, Any]]) -> str:
    """A model's latest result per (suite, judge) group, with every metric and its CI."""
    if not results:
        return render_message("No finished scoring job for this model yet.", testid="model-results")
    head = ("<thead><tr><th scope='col'>Suite</th><th scope='col'>Judge</th>"
            + "".join(f"<th scope='col'>{_e(c.label)}</th>" for c in METRIC_COLUMNS)
            + "<th scope='col'>Coverage</th><th scope='col'>Job</th><th scope='col'>Date</th></tr></thead>")
    body = []
    for r in results:
        cells = [f"<td>{_e(r.get('suite_id'))} v{_e(r.get('suite_version'))}</td>",
                 f"<td title='{_e(r.get('judge_fingerprint'))}'>{_e(r.get('judge_label')) or '—'}</td>"]
        for c in METRIC_COLUMNS:
            m = (r.get("metrics") or {}).get(c.metric) or {}
            mean, lo, hi = m.get("mean"), m.get("ci_low"), m.get("ci_high")
            ci = (f'<span class="lb-ci">[{lo:.3f}, {hi:.3f}]</span>'
                  if lo is not None and hi is not None else "")
            val = "—" if mean is None else f"{mean:.3f}"
            val = f"<b>{val}</b>" if c.metric == RANK_METRIC else val
            cells.append(f'<td class="lb-num">{val} {ci}</td>')
        cov = r.get("coverage") or {}
        unranked = (" <span class='lb-badge lb-incomplete'>incomplete: not ranked</span>"
                    if is_incomplete(r) else "")
        cells.append(f'<td class="lb-num">{_e(cov.get("scored"))}/{_e(cov.get("expected"))}{unranked}</td>')
        job = r.get("job_id")
        cells.append(f"<td>{_link({'job': job}, f'#{job}') if job is not None else '—'}</td>")
        cells.append(f"<td>{_date(r.get('date'))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="lb-scroll"><table class="lb-table" data-testid="model-results">{head}'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _progress(job: Mapping[str, Any]) -> str:
    p = job.get("progress") or {}
    done, total = p.get("done") or 0, p.get("total")
    pct = 0 if not total else min(100, round(100 * done / total))
    label = f"{done}/{total}" if total else f"{done}/?"
    return (f'<div class="jb-bar" role="progressbar" aria-valuenow="{done}" aria-valuemax="{total or 0}">'
            f'<div class="jb-fill" style="width:{pct}%"></div></div><span class="jb-count">{label}</span>')


def _status(job: Mapping[str, Any]) -> str:
    status = str(job.get("status") or "?")
    extra = ""
    if job.get("cancel_requested") and status in ACTIVE:
        extra = " (cancelling)"
    if status == "queued" and job.get("queue_position"):
        extra += f" #{job['queue_position']} in queue"
    return f'<span class="lb-badge jb-{_e(status)}">{_e(status)}</span>{_e(extra)}'


def render_jobs(jobs: Sequence[Mapping[str, Any]], *, title: str = "") -> str:
    """A table of jobs: status, progress (videos done / total), attempts, error, times."""
    if not jobs:
        return render_message("No jobs yet.", testid="jobs-table")
    names = ("Job", "Model", "Suite", "Status", "Progress", "Attempts", "Error", "Created", "Finished")
    head = "<thead><tr>" + "".join(f"<th scope='col'>{h}</th>" for h in names) + "</tr></thead>"
    body = []
    for j in jobs:
        model = (_link({"model": j["model_id"]}, _e(j.get("model_name") or j["model_id"]))
                 if j.get("model_id") is not None else _e(j.get("model_name")))
        err = j.get("error")
        err_html = f'<span class="jb-error" title="{_e(err)}">{_e(str(err)[:160])}</span>' if err else "—"
        body.append(
            f'<tr data-job-id="{_e(j.get("id"))}" data-status="{_e(j.get("status"))}">'
            f"<td>{_link({'job': j.get('id')}, '#' + _e(j.get('id')))}</td><td>{model}</td>"
            f"<td>{_e(j.get('suite_id'))} v{_e(j.get('suite_version'))}</td><td>{_status(j)}</td>"
            f"<td class='jb-progress'>{_progress(j)}</td>"
            f"<td class='lb-num'>{_e(j.get('attempts'))}/{_e(j.get('max_attempts'))}</td><td>{err_html}</td>"
            f"<td>{_date(j.get('created_at'))}</td><td>{_date(j.get('finished_at'))}</td></tr>")
    caption = f"<caption>{_e(title)}</caption>" if title else ""
    return (f'<div class="lb-scroll"><table class="lb-table" data-testid="jobs-table">{caption}{head}'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def render_job(job: Mapping[str, Any]) -> str:
    """One job in detail, with its scores once it succeeded (or so far, when incomplete) and the videos that
    were not scored."""
    scores = job.get("scores") or {}
    score_html = ""
    if scores:
        score_html = "<p>" + " · ".join(
            f"{_e(c.label)} <b>{scores[c.metric]['mean']:.3f}</b>" for c in METRIC_COLUMNS
            if (scores.get(c.metric) or {}).get("mean") is not None) + "</p>"
    failed = job.get("failed_videos") or []
    failed_html = ""
    if failed:
        items = "".join(f"<li><code>{_e(f.get('scenario_id'))}</code> {_e(f.get('status'))}: "
                        f"{_e(f.get('reason'))}</li>" for f in failed[:50])
        more = f"<li>… and {len(failed) - 50} more</li>" if len(failed) > 50 else ""
        retry = (" Not ranked until every video is scored: retry it (<code>intergeneval retry "
                 f"{_e(job.get('id'))}</code>); only these videos are scored again."
                 if job.get("status") == "incomplete" else "")
        failed_html = (f'<div class="lb-msg lb-msg-warn" data-testid="job-failed-videos">{len(failed)} '
                       f"video(s) not scored.{retry}<ul>{items}{more}</ul></div>")
    links = []
    if job.get("model_id") is not None:
        links.append(_link({"model": job["model_id"], "job": job.get("id")}, "results and evidence"))
    return (f'<div class="jb-detail" data-testid="job-detail" data-status="{_e(job.get("status"))}">'
            f"<h3>Job #{_e(job.get('id'))} · {_e(job.get('model_name'))} · {_e(job.get('suite_id'))} "
            f"v{_e(job.get('suite_version'))}</h3>{render_jobs([job])}{score_html}{failed_html}"
            f"<p>{' · '.join(links)}</p></div>")


def render_submission(body: Mapping[str, Any]) -> str:
    """The outcome of an accepted submission: the submission, its job and a link to follow it."""
    sub, job = body.get("submission") or {}, body.get("job") or {}
    dup = (" This archive was already submitted with the same model and suite: here is the first job again."
           if body.get("duplicate") else "")
    pos = f", position {job['queue_position']} in the queue" if job.get("queue_position") else ""
    job_id = _e(job.get("id"))
    return (f'<div class="lb-msg lb-msg-ok" data-testid="submit-result" data-job-id="{job_id}">'
            f"<b>Submission #{_e(sub.get('id'))} accepted</b> ({_e(sub.get('num_videos'))} videos, suite "
            f"{_e(sub.get('suite_id'))} v{_e(sub.get('suite_version'))}): job #{job_id} is "
            f"{_e(job.get('status'))}{pos}.{_e(dup)} "
            f"{_link({'job': job.get('id')}, f'Follow job #{job_id}')}"
            f' · API: <code>{_e((job.get("links") or {}).get("self"))}</code></div>')


def render_problems(message: str, problems: Sequence[Mapping[str, Any]]) -> str:
    """A refused submission: the API's message and every validation problem with the items concerned."""
    items = []
    for p in problems:
        names = p.get("items") or []
        shown = ", ".join(str(n) for n in names[:12])
        shown += f" … (+{len(names) - 12})" if len(names) > 12 else ""
        code = _e(p.get("code"))
        items.append(f'<li data-code="{code}"><code>{code}</code> {_e(p.get("message"))}'
                     + (f'<div class="ev-muted">{_e(shown)}</div>' if shown else "") + "</li>")
    lst = f"<ul>{''.join(items)}</ul>" if items else ""
    return (f'<div class="lb-msg lb-msg-error" data-testid="submit-result" role="alert">{_e(message)}{lst}'
            "</div>")

"""What the page's controls do: call the API through `ApiClient`, then hand the bodies to the renderers.

Each function takes plain values (the controls' contents) and returns plain values (HTML, figures, choices),
so they are testable without a browser; `app.py` only wires them to components. API errors become a message
in the page, never a traceback.

Example:
    >>> suite_choices([{"suite_id": "demo", "version": "1"}])
    [('All suites', ''), ('demo v1', 'demo@1')]
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urlencode

from matplotlib.figure import Figure

from . import about, cards, charts, evidence, table, trust
from .client import ApiClient, ApiError, ApiUnavailable
from .columns import check_api_metrics, column

log = logging.getLogger(__name__)

#: Where `web.mount` serves the downloads and the evidence images, relative to the page's own path.
DATA_PATH = "ui-data"
_EVIDENCE = re.compile(r"^/api/v1/jobs/(\d+)/evidence/([^/]+)/([^/]+)$")
ALL = ""


def error_html(e: Exception, *, what: str, testid: str = "message") -> str:
    """A readable message for an API failure (the details go to the log)."""
    log.warning("%s failed: %s", what, e)
    if isinstance(e, ApiError):
        return cards.render_message(f"{what}: {e.message} ({e.status} {e.code})", kind="error", testid=testid)
    return cards.render_message(f"{what}: {e}", kind="error", testid=testid)


# -- leaderboard ---------------------------------------------------------------------------------------------


def suite_choices(items: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Filter choices `(label, "suite_id@version")` from suites or leaderboard groups, plus "all"."""
    seen: dict[str, str] = {}
    for g in items:
        sid, version = g.get("suite_id"), g.get("suite_version", g.get("version"))
        if sid is not None and version is not None:
            seen.setdefault(f"{sid}@{version}", f"{sid} v{version}")
    return [("All suites", ALL), *((label, value) for value, label in seen.items())]


def judge_choices(groups: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Filter choices `(label, fingerprint)` from leaderboard groups, plus "all"."""
    seen: dict[str, str] = {}
    for g in groups:
        fp = g.get("judge_fingerprint")
        if fp:
            seen.setdefault(str(fp), f"{g.get('judge_label') or 'judge'} ({str(fp)[:8]})")
    return [("All judges", ALL), *((label, fp) for fp, label in seen.items())]


def split_suite(value: str | None) -> tuple[str | None, str | None]:
    """`"demo@1"` → ("demo", "1"); empty → (None, None)."""
    if not value:
        return None, None
    sid, _, version = value.rpartition("@")
    return (sid, version) if sid else (value, None)


@dataclass
class Board:
    """The leaderboard data of one page view: the API body for the filters and the filter choices."""

    data: dict[str, Any] = field(default_factory=dict)
    suites: list[tuple[str, str]] = field(default_factory=lambda: [("All suites", ALL)])
    judges: list[tuple[str, str]] = field(default_factory=lambda: [("All judges", ALL)])
    notes: list[str] = field(default_factory=list)
    error: str = ""


def fetch_board(api: ApiClient, suite: str | None, judge: str | None, *, token: str | None = None) -> Board:
    """The leaderboard for the filters, and the choices for the filter controls (from the unfiltered list)."""
    try:
        everything = api.leaderboard(token=token)
        sid, version = split_suite(suite)
        data = everything if not (sid or judge) else api.leaderboard(suite=sid, suite_version=version,
                                                                    judge=judge or None, token=token)
    except (ApiError, ApiUnavailable) as e:
        return Board(error=error_html(e, what="Loading the leaderboard", testid="lb-error"))
    groups = everything.get("groups") or []
    suites = suite_choices([*groups, *(r for r in everything.get("rows") or [] if r.get("reference"))])
    return Board(data=data, suites=suites, judges=judge_choices(groups),
                 notes=check_api_metrics(data.get("metrics")))


def download_links(suite: str | None, judge: str | None, options: table.TableOptions) -> str:
    """Links to the CSV and JSON of exactly what the table shows (same filters, search, order)."""
    sid, version = split_suite(suite)
    params = {k: v for k, v in {
        "suite": sid, "suite_version": version, "judge": judge or None, "q": options.search.strip() or None,
        "sort": options.sort, "desc": None if options.descending is None else int(options.descending),
        "reference": int(options.show_reference)}.items() if v is not None}
    q = urlencode(params)
    q = escape(q)
    return (f'<div class="lb-downloads">Download what is shown: '
            f'<a href="{DATA_PATH}/leaderboard.csv?{q}" download="leaderboard.csv" '
            f'data-testid="download-csv">CSV</a>'
            f' · <a href="{DATA_PATH}/leaderboard.json?{q}" download="leaderboard.json" '
            f'data-testid="download-json">JSON</a></div>')


def render_board(board: Board, options: table.TableOptions, suite: str | None, judge: str | None) -> str:
    """The table HTML for the current choices (no API call: sorting and searching reuse the fetched data)."""
    if board.error:
        return board.error
    return download_links(suite, judge, options) + table.render_leaderboard(board.data, options, board.notes)


def header_sort(current: str, descending: bool, clicked: str | None) -> tuple[str, bool]:
    """A click on a header: the same column flips the direction, another column starts with its default."""
    if not clicked or clicked == current:
        return current, not descending
    return clicked, column(clicked).descending


# -- model page ----------------------------------------------------------------------------------------------


def evidence_url(link: str) -> str:
    """The browser URL of an API evidence link: served by the page itself (relative), so it works remotely."""
    m = _EVIDENCE.match(link)
    return f"{DATA_PATH}/evidence/{m[1]}/{m[2]}/{m[3]}" if m else link


def model_choices(models: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(label, id) pairs for the model picker."""
    return [(f"{m.get('name')}" + (f" ({m['organisation']})" if m.get("organisation") else ""), str(m["id"]))
            for m in models]


def result_choices(results: Sequence[Mapping[str, Any]],
                   extra_job: int | None = None) -> list[tuple[str, str]]:
    """(label, job id) pairs for the results of a model (one per suite version and judge)."""
    out = [(f"{r.get('suite_id')} v{r.get('suite_version')} · {r.get('judge_label') or 'judge'} · job "
            f"#{r.get('job_id')}", str(r.get("job_id"))) for r in results if r.get("job_id") is not None]
    if extra_job is not None and str(extra_job) not in {v for _, v in out}:
        out.append((f"job #{extra_job}", str(extra_job)))
    return out


@dataclass
class ModelView:
    """Everything the model tab shows above the evidence."""

    card: str
    results: str
    result_choices: list[tuple[str, str]]
    model: dict[str, Any] = field(default_factory=dict)


def model_view(api: ApiClient, model_id: str | int | None, *, token: str | None = None,
               job: int | None = None) -> ModelView:
    """The card and results of one model."""
    if not model_id:
        pick = cards.render_message("Pick a model, or click one in the leaderboard.", testid="model-card")
        return ModelView(pick, "", [])
    try:
        model = api.model(int(model_id), token=token)
    except (ApiError, ApiUnavailable, ValueError) as e:
        return ModelView(error_html(e, what=f"Loading model {model_id}", testid="model-card"), "", [])
    results = model.get("results") or []
    try:
        judged = trust.render_model_trust(results, api.trust(token=token))
    except (ApiError, ApiUnavailable) as e:
        judged = error_html(e, what="Loading the judge's trust figures", testid="judge-trust")
    return ModelView(cards.render_model_card(model), cards.render_model_results(results) + judged,
                     result_choices(results, job), model)


@dataclass
class ResultView:
    """A result of the model: the charts, and the videos to pick evidence from."""

    comparison: Figure | None
    categories: Figure | None
    videos: list[tuple[str, str]]
    results: dict[str, Any] = field(default_factory=dict)
    prompts: dict[str, str] = field(default_factory=dict)
    message: str = ""


def result_view(api: ApiClient, model: Mapping[str, Any], job_id: str | int | None, *,
                token: str | None = None) -> ResultView:
    """Charts against the other models of the same suite version and judge, and the job's per-video list."""
    if not job_id:
        return ResultView(None, None, [],
                          message=cards.render_message("This model has no finished result yet."))
    try:
        body = api.results(int(job_id), token=token)
    except (ApiError, ApiUnavailable, ValueError) as e:
        return ResultView(None, None, [], message=error_html(e, what=f"Loading the results of job {job_id}"))
    summary = body.get("summary") or {}
    job = body.get("job") or {}
    fp = (summary.get("fingerprints") or {}).get("judge_hash")
    result = next((r for r in model.get("results") or [] if str(r.get("job_id")) == str(job_id)), {})
    fp = result.get("judge_fingerprint") or fp
    rows: list[dict[str, Any]] = []
    try:
        lb = api.leaderboard(suite=job.get("suite_id"), suite_version=job.get("suite_version"), judge=fp,
                             include_reference=False, token=token)
        rows = [r for r in lb.get("rows") or [] if not r.get("reference")
                and (fp is None or r.get("judge_fingerprint") == fp)]
    except (ApiError, ApiUnavailable) as e:
        log.warning("leaderboard for the comparison chart: %s", e)
    own = next((r for r in rows if str(r.get("job_id")) == str(job_id)), None)
    if own is None:  # an older job, or not on the public board: chart it from its own summary
        own = {"model_id": model.get("id"), "model_name": model.get("name"), "job_id": job_id,
               "metrics": summary.get("metrics") or job.get("scores") or {},
               "categories": summary.get("categories") or {}}
        rows = [*rows, own]
    prompts: dict[str, str] = {}
    try:
        suite = api.suite(str(job.get("suite_id")))
        prompts = {str(s.get("id")): str(s.get("video_prompt") or "") for s in suite.get("scenarios") or []}
    except (ApiError, ApiUnavailable) as e:
        log.info("no prompts for suite %s: %s", job.get("suite_id"), e)
    name = model.get("name") or "model"
    return ResultView(
        charts.metric_comparison(rows, highlight=model.get("id")),
        charts.category_chart(own, title=f"{name}: per-category means (job #{job_id})"),
        evidence.video_choices(body.get("videos") or []), body, prompts,
        message="" if job.get("status") == "succeeded" else cards.render_message(
            f"Job #{job_id} is {job.get('status')}: results so far.", kind="warn"))


def evidence_view(results: Mapping[str, Any], prompts: Mapping[str, str], scenario_id: str | None) -> str:
    """The evidence of one video of the loaded results."""
    videos = {str(v.get("scenario_id")): v for v in (results or {}).get("videos") or []}
    if not scenario_id or scenario_id not in videos:
        return cards.render_message("Pick a video to see what the judge saw and answered.", testid="evidence")
    return evidence.render_evidence(videos[scenario_id], prompt=prompts.get(scenario_id),
                                    image_url=evidence_url)


# -- jobs and submissions ------------------------------------------------------------------------------------


def jobs_view(api: ApiClient, token: str | None) -> str:
    """My jobs (a token is needed: jobs belong to their submitter)."""
    if not token:
        return cards.render_message("Enter your API token to see your jobs.", testid="jobs-table")
    try:
        body = api.jobs(token=token)
    except (ApiError, ApiUnavailable) as e:
        return error_html(e, what="Loading your jobs", testid="jobs-table")
    return cards.render_jobs(body.get("data") or [], title=f"{body.get('count', 0)} job(s)")


def job_view(api: ApiClient, job_id: str | int | None, token: str | None) -> str:
    """One job in detail (readable without a token when its model is public)."""
    if not job_id:
        return ""
    try:
        return cards.render_job(api.job(int(job_id), token=token or None))
    except (ApiError, ApiUnavailable, ValueError) as e:
        return error_html(e, what=f"Loading job {job_id}", testid="job-detail")


def cancel_job(api: ApiClient, job_id: str | int | None, token: str | None) -> str:
    """Ask the API to cancel a job; returns a message."""
    if not token:
        return cards.render_message("Enter your API token to cancel a job.", kind="warn",
                                    testid="cancel-result")
    try:
        job = api.cancel(int(job_id or 0), token=token)
    except (ApiError, ApiUnavailable, ValueError) as e:
        return error_html(e, what=f"Cancelling job {job_id}", testid="cancel-result")
    state = "cancelled" if job.get("status") == "cancelled" else "will stop at its next video"
    return cards.render_message(f"Job #{job.get('id')} {state}.", kind="ok", testid="cancel-result")


@dataclass(frozen=True, slots=True)
class CardFields:
    """The model card as typed in the form."""

    name: str
    organisation: str = ""
    base_model: str = ""
    parameters: str = ""
    link: str = ""
    description: str = ""
    public: bool = True

    def to_api(self) -> dict[str, Any]:
        """The `model` JSON of the submission (empty fields left out)."""
        fields = (("name", self.name), ("organisation", self.organisation), ("base_model", self.base_model),
                  ("parameters", self.parameters), ("link", self.link), ("description", self.description))
        out: dict[str, Any] = {k: v.strip() for k, v in fields if v.strip()}
        out["public"] = bool(self.public)
        return out


def submit(api: ApiClient, *, token: str | None, archive: str | None, card: CardFields, suite: str | None,
           seed: str | int | None = None, notes: str = "", idempotency_key: str | None = None,
           progress: Callable[[int, int], None] | None = None) -> tuple[str, int | None]:
    """Create a submission; returns (HTML of the outcome, job id or None).

    The form checks only what the API cannot (a file was chosen, a name typed); every other problem comes
    back from the API's validation with all the problems listed.
    """
    missing = [what for what, ok in (("your API token", token), ("an archive of videos", archive),
                                     ("a model name", card.name.strip())) if not ok]
    if missing:
        return cards.render_problems("Missing: " + ", ".join(missing) + ".", []), None
    sid, version = split_suite(suite)
    settings: dict[str, Any] = {}
    seed_text = str(seed if seed is not None else "").strip()
    if seed_text:
        try:
            settings["seed"] = int(seed_text)
        except ValueError:
            why = f"The generation seed must be an integer, not {seed_text!r}."
            return cards.render_problems(why, []), None
    if notes.strip():
        settings["notes"] = notes.strip()
    try:
        body = api.submit(str(archive), card.to_api(), token=token, suite=sid, suite_version=version,
                          settings=settings or None, idempotency_key=idempotency_key or str(uuid.uuid4()),
                          progress=progress)
    except ApiError as e:
        log.info("submission refused: %s", e)
        return cards.render_problems(e.message or str(e), e.problems), None
    except ApiUnavailable as e:
        return cards.render_problems(str(e), []), None
    return cards.render_submission(body), (body.get("job") or {}).get("id")


# -- about ---------------------------------------------------------------------------------------------------


def about_view(api: ApiClient, base_url: str, board: Board | None = None) -> str:
    """The About tab's Markdown, with what the server reports about itself."""
    health: dict[str, Any] = {}
    suites: list[dict[str, Any]] = []
    try:
        health = api.health()
        suites = api.suites()
    except (ApiError, ApiUnavailable) as e:
        log.warning("about: %s", e)
    groups = (board.data.get("groups") if board and board.data else None) or []
    in_use: dict[str, str] = {}
    judge = health.get("judge") if isinstance(health.get("judge"), Mapping) else {}
    if judge.get("fingerprint"):
        in_use[str(judge["fingerprint"])] = str(judge.get("label") or "")
    for g in groups:
        if g.get("judge_fingerprint"):
            in_use.setdefault(str(g["judge_fingerprint"]), str(g.get("judge_label") or ""))
    try:
        body = api.trust()
        for j in body.get("judges") or []:  # judges with controls but no public rows yet
            in_use.setdefault(str(j.get("judge_fingerprint")), str(j.get("judge_label") or ""))
        judged = trust.trust_markdown(body, list(in_use.items()))
    except (ApiError, ApiUnavailable) as e:
        log.warning("about: trust: %s", e)
        judged = f"- The server did not say ({e})."
    return about.about_markdown(health, suites, groups, base_url=base_url, trust=judged)

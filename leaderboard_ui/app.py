"""The page's layout: tabs, controls and which action each control triggers (no logic of its own).

Example:
    >>> from leaderboard_ui.client import ApiClient
    >>> blocks = build_blocks(ApiClient("http://127.0.0.1:1"))
    >>> blocks.title
    'InterGenEval leaderboard'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import NamedString
from gradio_client import utils as client_utils

from . import actions, cards, labelling, table
from .client import ApiClient
from .uploads import PageUploads, browser_of
from .columns import RANK_METRIC

CSS = (Path(__file__).with_name("style.css")).read_text(encoding="utf-8")
#: System fonts only: the page must not fetch fonts from the internet.
THEME = gr.themes.Default(font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
                          font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"])
TITLE = "InterGenEval leaderboard"
TABS = ("leaderboard", "model", "submit", "jobs", "label", "about")

# Header clicks sort the table: the click carries the column key to Python (`evt.col`).
_SORT_JS = """
element.addEventListener('click', (ev) => {
  const th = ev.target.closest('th.lb-sortable');
  if (th && element.contains(th)) { trigger('click', {col: th.dataset.col}); }
});
"""

# Browser-side token handlers (see the token section of `build_blocks`). A copy goes trimmed to the store and
# as typed to the other box, whose own copy back is then the same value and changes nothing.
_COPY_TOKEN_JS = "(value) => [(value || '').trim(), value || '']"
_RESTORE_TOKEN_JS = "(stored, a, b) => [a || stored || '', b || stored || '']"
# The Label tab's token (a `label` scope, usually another token than the submit one) has its own store.
_KEEP_LABEL_TOKEN_JS = "(value) => (value || '').trim()"
_RESTORE_LABEL_TOKEN_JS = "(stored, current) => current || stored || ''"

HEADER = f"""
<div class="lb-header" data-testid="page-header">
  <h1>{TITLE}</h1>
  <p>Interaction fidelity (IF) of image-to-video generators on the InterGenEval protocol: how well the
  generated videos show the prompted interaction between the right agents and objects (KISA, SGI) without
  objects popping in or out (SPI). Every score links to the frames the judge saw and what it answered.</p>
</div>
"""


def _base_url(request: gr.Request | None, public_base: str | None) -> str:
    if public_base:
        return public_base
    headers = dict(getattr(request, "headers", {}) or {}) if request is not None else {}
    host = headers.get("x-forwarded-host") or headers.get("host") or "localhost"
    proto = headers.get("x-forwarded-proto") or "http"
    return f"{proto}://{host}"


def _query(request: gr.Request | None) -> dict[str, str]:
    return dict(getattr(request, "query_params", {}) or {}) if request is not None else {}


def _token(value: str | None) -> str | None:
    """A token box's value as the API wants it (pasted tokens often carry spaces or a newline)."""
    return (value or "").strip() or None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def archive_input(uploads: PageUploads, **kwargs: Any) -> gr.File:
    """The archive field: its value is the id of an upload made through this page (`uploads.PageUploads`),
    never a server path. Gradio would copy whatever path an event names into its cache before the handler
    runs; this field copies nothing and refuses anything that is not a pending upload of the page.

    (Its methods are replaced on the instance: a `gr.File` subclass would make Gradio write a `.pyi` stub
    beside this module at import.)
    """
    field = gr.File(**kwargs)

    def check(value: str | Path | None) -> str | None:
        if value is None:
            return None
        if not uploads.known(str(value)):
            raise gr.Error("Upload the archive with this form (a server path or URL is not accepted).")
        return str(value)

    async def async_check(value: str | Path | None) -> str | None:
        return check(value)

    def process_single_file(f: Any) -> NamedString:
        # Gradio's version also leaves an empty temporary file in its cache per call.
        if field.file_types and not client_utils.is_valid_file(f.path, field.file_types):
            raise gr.Error(f"The archive must be one of {', '.join(field.file_types)}.")
        return NamedString(f.path)

    field.move_resource_to_block_cache = check
    field.async_move_resource_to_block_cache = async_check
    field._process_single_file = process_single_file
    return field


def build_blocks(api: ApiClient, *, public_base: str | None = None,
                 uploads: PageUploads | None = None) -> gr.Blocks:
    """The Gradio page, talking to the API through `api`.

    Args:
        api: the REST client (its base URL is what the page's server uses to reach the API).
        public_base: the API's root as users reach it, for the About tab's examples (default: this
            page's host).
        uploads: where the form's archives wait (`web.mount` makes it and puts its guard in front of the
            page); default: a temporary folder.

    Returns:
        The Blocks, ready for `gr.mount_gradio_app`.
    """
    uploads = uploads or PageUploads.temporary(4 << 30)
    with gr.Blocks(title=TITLE, analytics_enabled=False) as blocks:
        token_store = gr.BrowserState("", storage_key="intergeneval-token")
        board_state = gr.State(actions.Board())
        model_state = gr.State({})
        results_state = gr.State({})
        prompts_state = gr.State({})
        job_state = gr.State(None)
        gr.HTML(HEADER)

        with gr.Tabs(selected="leaderboard") as tabs:
            with gr.Tab("Leaderboard", id="leaderboard") as lb_tab:
                with gr.Row(equal_height=True):
                    search = gr.Textbox(label="Search", placeholder="model, organisation or judge", scale=2,
                                        elem_id="lb-search")
                    suite = gr.Dropdown(label="Suite version", choices=[("All suites", "")], value="",
                                        elem_id="lb-suite", scale=1)
                    judge = gr.Dropdown(label="Judge", choices=[("All judges", "")], value="",
                                        elem_id="lb-judge", scale=1)
                with gr.Row(equal_height=True):
                    sort = gr.Dropdown(label="Sort by", choices=table.sort_choices(), value="rank",
                                       elem_id="lb-sort", scale=1)
                    desc = gr.Checkbox(label="Descending", value=False, elem_id="lb-desc", scale=0)
                    view = gr.Radio(label="Columns", choices=[(v, k) for k, v in table.VIEWS.items()],
                                    value="metrics", elem_id="lb-view", scale=2)
                    breakdown = gr.Dropdown(label="Breakdown metric", choices=table.metric_choices(),
                                            value=RANK_METRIC, elem_id="lb-breakdown", scale=1)
                    show_ref = gr.Checkbox(label="Show the paper's reported rows", value=True,
                                           elem_id="lb-reference", scale=0)
                    refresh = gr.Button("Refresh", scale=0, elem_id="lb-refresh")
                board_html = gr.HTML(js_on_load=_SORT_JS, elem_id="leaderboard")

            with gr.Tab("Model", id="model") as model_tab:
                model_pick = gr.Dropdown(label="Model", choices=[], elem_id="model-pick")
                card_html = gr.HTML(elem_id="model-card")
                model_results = gr.HTML(elem_id="model-results")
                result_pick = gr.Dropdown(label="Result (suite version · judge · job)", choices=[],
                                          elem_id="result-pick")
                result_msg = gr.HTML()
                with gr.Row():
                    comparison = gr.Plot(label="Metrics against the other models (95 % CI)",
                                         elem_id="chart-metrics")
                with gr.Row():
                    cat_plot = gr.Plot(label="Per category", elem_id="chart-categories")
                gr.Markdown("### Evidence: what the judge saw and answered")
                video_pick = gr.Dropdown(label="Video", choices=[], elem_id="video-pick")
                evidence_html = gr.HTML(elem_id="evidence")

            with gr.Tab("Submit", id="submit") as submit_tab:
                gr.Markdown("Upload one `<scenario id>.mp4` per scenario of the suite, as a .zip, .tar or "
                            ".tar.gz. The server checks every video before queueing and lists every problem "
                            "it finds.")
                token_a = gr.Textbox(label="API token (kept in this browser)", type="password",
                                     elem_id="submit-token")
                with gr.Row():
                    name = gr.Textbox(label="Model name (required)", elem_id="card-name")
                    organisation = gr.Textbox(label="Organisation", elem_id="card-organisation")
                    base_model = gr.Textbox(label="Base model", elem_id="card-base-model")
                    parameters = gr.Textbox(label="Parameters (e.g. 14B)", elem_id="card-parameters")
                with gr.Row():
                    link = gr.Textbox(label="Link (paper, code or weights)", elem_id="card-link")
                    public = gr.Checkbox(label="Public (shown on the leaderboard)", value=True,
                                         elem_id="card-public")
                description = gr.Textbox(label="Description", lines=2, elem_id="card-description")
                with gr.Row():
                    suite_sub = gr.Dropdown(label="Suite", choices=[], elem_id="submit-suite")
                    seed = gr.Textbox(label="Generation seed (optional, integer)", elem_id="submit-seed")
                    notes = gr.Textbox(label="Generation notes (optional)", elem_id="submit-notes")
                archive = archive_input(uploads, label="Archive of videos", type="filepath",
                                        file_types=[".zip", ".tar", ".gz", ".tgz"], elem_id="submit-archive")
                submit_btn = gr.Button("Submit for scoring", variant="primary", elem_id="submit-button")
                submit_out = gr.HTML(elem_id="submit-result")

            with gr.Tab("Jobs", id="jobs") as jobs_tab:
                token_b = gr.Textbox(label="API token (kept in this browser)", type="password",
                                     elem_id="jobs-token")
                with gr.Row(equal_height=True):
                    live = gr.Checkbox(label="Live updates", value=True, elem_id="jobs-live", scale=0)
                    jobs_refresh = gr.Button("Refresh", scale=0, elem_id="jobs-refresh")
                    cancel_id = gr.Number(label="Job id", precision=0, elem_id="cancel-id", scale=0)
                    cancel_btn = gr.Button("Cancel job", variant="stop", scale=0, elem_id="cancel-button")
                cancel_out = gr.HTML()
                job_detail = gr.HTML(elem_id="job-detail")
                jobs_html = gr.HTML(elem_id="jobs")
                timer = gr.Timer(3.0, active=False)

            with gr.Tab("Label", id="label") as label_tab:
                gr.Markdown("Help measure the judge: answer each question from the frames, as the judge was "
                            "asked to. You do not see the judge's answers. Needs a token with the `label` "
                            "scope; your answers feed the agreement figures shown beside the scores.")
                with gr.Row(equal_height=True):
                    label_token = gr.Textbox(label="Label token (kept in this browser)", type="password",
                                             elem_id="label-token", scale=3)
                    label_next = gr.Button("Next video", elem_id="label-next", scale=0)
                label_msg = gr.HTML(elem_id="label-status")
                label_video = gr.HTML(elem_id="label-video")
                label_groups, label_headings, label_radios = [], [], []
                for k in range(labelling.MAX_INTERACTIONS):
                    with gr.Group(visible=False, elem_id=f"label-ki{k}") as group:
                        label_headings.append(gr.Markdown())
                        for slot in range(1, labelling.SLOTS + 1):
                            label_radios.append(gr.Radio(list(labelling.ANSWERS), label=f"question {slot}",
                                                         visible=False, elem_id=f"label-q{k}-{slot}"))
                    label_groups.append(group)
                label_save = gr.Button("Save answers", variant="primary", elem_id="label-save")

            with gr.Tab("About", id="about") as about_tab:
                about_md = gr.Markdown(elem_id="about")

        # -- leaderboard ----------------------------------------------------------------------------------
        options_in = [search, sort, desc, view, breakdown, show_ref]

        def options(search_: str, sort_: str, desc_: bool, view_: str, breakdown_: str,
                    show_ref_: bool) -> table.TableOptions:
            return table.TableOptions(search=search_ or "", sort=sort_ or "rank", descending=bool(desc_),
                                      view=view_ or "metrics", breakdown_metric=breakdown_ or RANK_METRIC,
                                      show_reference=bool(show_ref_))

        def fetch(suite_: str, judge_: str, token: str, *opts: Any) -> tuple[Any, ...]:
            board = actions.fetch_board(api, suite_, judge_, token=token or None)
            suite_value = suite_ if suite_ in {v for _, v in board.suites} else ""
            judge_value = judge_ if judge_ in {v for _, v in board.judges} else ""
            return (board, gr.Dropdown(choices=board.suites, value=suite_value),
                    gr.Dropdown(choices=board.judges, value=judge_value),
                    actions.render_board(board, options(*opts), suite_value, judge_value))

        def rerender(board: actions.Board, suite_: str, judge_: str, *opts: Any) -> str:
            return actions.render_board(board, options(*opts), suite_, judge_)

        fetch_io = {"fn": fetch, "inputs": [suite, judge, token_store, *options_in],
                    "outputs": [board_state, suite, judge, board_html]}
        gr.on([suite.input, judge.input, refresh.click], **fetch_io)
        gr.on([search.submit, search.change, sort.change, desc.change, view.change, breakdown.change,
               show_ref.change], rerender, [board_state, suite, judge, *options_in], board_html,
              show_progress="hidden")
        sort.input(lambda key: table.column(key).descending, sort, desc)

        def header_click(sort_: str, desc_: bool, evt: gr.EventData) -> tuple[str, bool]:
            return actions.header_sort(sort_, bool(desc_), getattr(evt, "col", None))

        board_html.click(header_click, [sort, desc], [sort, desc])

        # -- model page -----------------------------------------------------------------------------------
        def open_model(model_id: str, token: str, job: int | None = None) -> tuple[Any, ...]:
            view_ = actions.model_view(api, model_id, token=token or None, job=job)
            choices = view_.result_choices
            first = str(job) if job is not None else (choices[0][1] if choices else None)
            return (view_.model, view_.card, view_.results, gr.Dropdown(choices=choices, value=first),
                    *open_result(view_.model, first, token))

        def open_result(model: dict, job_id: str | None, token: str) -> tuple[Any, ...]:
            res = actions.result_view(api, model or {}, job_id, token=token or None)
            first = res.videos[0][1] if res.videos else None
            return (res.message, res.comparison, res.categories, res.results, res.prompts,
                    gr.Dropdown(choices=res.videos, value=first),
                    actions.evidence_view(res.results, res.prompts, first))

        result_outputs = [result_msg, comparison, cat_plot, results_state, prompts_state, video_pick,
                          evidence_html]
        model_outputs = [model_state, card_html, model_results, result_pick, *result_outputs]
        model_pick.input(lambda m, t: open_model(m, t), [model_pick, token_store], model_outputs)
        result_pick.input(open_result, [model_state, result_pick, token_store], result_outputs)
        video_pick.change(actions.evidence_view, [results_state, prompts_state, video_pick], evidence_html,
                          show_progress="hidden")

        # -- submit ---------------------------------------------------------------------------------------
        def do_submit(token: str, file: str | None, name_: str, org: str, base: str, params: str, link_: str,
                      desc_: str, public_: bool, suite_: str, seed_: str, notes_: str, request: gr.Request,
                      progress: gr.Progress = gr.Progress()) -> tuple[str, Any, Any]:  # noqa: B008
            # (a gr.Progress default is how Gradio injects the progress bar)
            card = actions.CardFields(name_ or "", org or "", base or "", params or "", link_ or "",
                                      desc_ or "", bool(public_))

            def report(done: int, total: int) -> None:
                progress((done, total), desc="uploading to the API", unit="bytes")

            token_ = _token(token)
            # Only an archive this browser uploaded through the form. Deleted once a job was made from it;
            # kept after a refusal (to fix the card and send again) until replaced or an hour passed.
            path = uploads.claim(file, browser_of(dict(request.headers).get("cookie"))) if file else None
            if file and path is None:
                gone = ("The archive is no longer on the server (uploads are kept for an hour, for the "
                        "browser that sent them): choose it again.")
                return cards.render_problems(gone, []), gr.skip(), gr.skip()
            html, job_id = actions.submit(api, token=token_, archive=str(path) if path else None, card=card,
                                          suite=suite_, seed=seed_, notes=notes_ or "", progress=report)
            if job_id is not None and file:
                uploads.discard(file)
            detail = actions.job_view(api, job_id, token_) if job_id is not None else gr.skip()
            return html, job_id if job_id is not None else gr.skip(), detail

        submit_btn.click(do_submit, [token_a, archive, name, organisation, base_model, parameters, link,
                                     description, public, suite_sub, seed, notes],
                         [submit_out, job_state, job_detail], concurrency_limit=4)

        # -- jobs -----------------------------------------------------------------------------------------
        def poll(token: str, job_id: int | None) -> tuple[str, str]:
            return actions.jobs_view(api, _token(token)), actions.job_view(api, job_id, _token(token))

        gr.on([jobs_refresh.click, timer.tick], poll, [token_b, job_state], [jobs_html, job_detail],
              show_progress="hidden")
        jobs_tab.select(lambda on: gr.Timer(active=bool(on)), live, timer)
        for other in (lb_tab, model_tab, submit_tab, label_tab, about_tab):
            other.select(lambda: gr.Timer(active=False), None, timer)
        live.change(lambda on: gr.Timer(active=bool(on)), live, timer)

        def do_cancel(job_id: float | None, token: str, current: int | None) -> tuple[str, str, str]:
            msg = actions.cancel_job(api, _int_or_none(job_id), _token(token))
            return msg, *poll(token, current)

        cancel_btn.click(do_cancel, [cancel_id, token_b, job_state], [cancel_out, jobs_html, job_detail])

        # -- label: a video's frames and questions (never the judge's answers), a person's answers ---------
        label_store = gr.BrowserState("", storage_key="intergeneval-label-token")
        label_state = gr.State({})
        label_outputs = [label_state, label_msg, label_video, *label_groups, *label_headings, *label_radios]

        def show_label(view_: labelling.LabelView) -> tuple[Any, ...]:
            return (view_.item, view_.message, view_.video,
                    *(gr.Group(visible=g["visible"]) for g in view_.groups),
                    *(gr.Markdown(value=g["heading"]) for g in view_.groups),
                    *(gr.Radio(label=r["label"] or "question", value=r["value"], visible=r["visible"])
                      for r in view_.radios))

        def do_label_next(token: str) -> tuple[Any, ...]:
            return show_label(labelling.next_video(api, _token(token), image_url=actions.evidence_url))

        def do_label_save(token: str, item: dict, *values: str | None) -> tuple[Any, ...]:
            view_ = labelling.save(api, _token(token), item, values, image_url=actions.evidence_url)
            return show_label(view_)

        label_next.click(do_label_next, label_token, label_outputs)
        label_save.click(do_label_save, [label_token, label_state, *label_radios], label_outputs)
        label_token.change(None, label_token, label_store, js=_KEEP_LABEL_TOKEN_JS)
        blocks.load(None, [label_store, label_token], label_token, js=_RESTORE_LABEL_TOKEN_JS)

        # -- token: kept in the browser (localStorage) and copied to the other form; handlers read the boxes,
        # so a token typed just before a click is the one used. Copying and restoring run in the browser
        # only (no `fn`): a copy that went through the server could come back after the user typed or pasted
        # a token and write the older value (the empty one of page load) over it.
        # `change`, not `input`: pasted or autofilled tokens are kept too.
        token_a.change(None, token_a, [token_store, token_b], js=_COPY_TOKEN_JS)
        token_b.change(None, token_b, [token_store, token_a], js=_COPY_TOKEN_JS)
        token_b.submit(poll, [token_b, job_state], [jobs_html, job_detail])

        # -- page load: the URL's query picks the tab (?model=ID[&job=ID], ?job=ID, ?tab=NAME) --------------
        def on_load(token: str, request: gr.Request) -> tuple[Any, ...]:
            q = _query(request)
            model_id, job = q.get("model"), _int_or_none(q.get("job"))
            tab = (q.get("tab") if q.get("tab") in TABS
                   else "model" if model_id else "jobs" if job else "leaderboard")
            board = actions.fetch_board(api, q.get("suite") or "", q.get("judge") or "", token=token or None)
            suite_value = q.get("suite") if q.get("suite") in {v for _, v in board.suites} else ""
            judge_value = q.get("judge") if q.get("judge") in {v for _, v in board.judges} else ""
            html = actions.render_board(board, table.TableOptions(), suite_value, judge_value)
            try:
                models = actions.model_choices(api.models(token=token or None))
                suites = actions.suite_choices(api.suites())[1:]
            except (actions.ApiError, actions.ApiUnavailable) as e:
                models, suites = [], []
                html = actions.error_html(e, what="Loading models and suites") + html
            default_suite = next((v for _, v in suites), None)
            return (gr.Tabs(selected=tab), board, gr.Dropdown(choices=board.suites, value=suite_value),
                    gr.Dropdown(choices=board.judges, value=judge_value), html,
                    gr.Dropdown(choices=models, value=model_id if model_id else None),
                    gr.Dropdown(choices=suites, value=default_suite), job,
                    actions.job_view(api, job, token), actions.jobs_view(api, token or None),
                    gr.Timer(active=tab == "jobs"), job if job is not None else gr.skip(),
                    actions.about_view(api, _base_url(request, public_base), board))

        # The stored token fills only empty boxes: the user may have typed one while the page loaded.
        blocks.load(None, [token_store, token_a, token_b], [token_a, token_b], js=_RESTORE_TOKEN_JS)
        blocks.load(on_load, token_store,
                    [tabs, board_state, suite, judge, board_html, model_pick, suite_sub, job_state,
                     job_detail, jobs_html, timer, cancel_id, about_md])

        def load_model(token: str, request: gr.Request) -> tuple[Any, ...]:
            q = _query(request)
            if not q.get("model"):
                return tuple(gr.skip() for _ in model_outputs)
            return open_model(q["model"], token, _int_or_none(q.get("job")))

        blocks.load(load_model, token_store, model_outputs)
    return blocks

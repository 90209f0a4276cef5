"""The `intergeneval` command line: thin commands that build a config and call one library function.

Exit codes: 0 every video scored; 1 some videos failed (listed); 2 usage or input errors (one line, no
traceback, checked before any model loads); 130 interrupted (Ctrl-C; a rerun resumes). What is printed and
how lives in `intergeneval.console`.
Commands of other packages (the service's `serve`, `worker`, `admin`, `submit`) are plugged in through
the `intergeneval.commands` entry-point group, so this package never imports them.
"""

from __future__ import annotations

import json
import logging
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import __version__, config
from .console import RunProgress, error, print_interrupted, print_summary, say
from .errors import ConfigError, DataFormatError, InterGenEvalError

app = typer.Typer(help="InterGenEval: score interaction fidelity of generated videos.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
suite_app = typer.Typer(help="Inspect, validate and build suites.", no_args_is_help=True)
reference_app = typer.Typer(help="Work with the reference implementation's files.", no_args_is_help=True)
app.add_typer(suite_app, name="suite")
app.add_typer(reference_app, name="reference")
console = Console(stderr=True)
out_console = Console()


def _fail(message: str, code: int = 2) -> typer.Exit:
    error(console, message)
    return typer.Exit(code)


def _options(pairs: list[str] | None, flag: str) -> dict[str, Any]:
    """`key=value` options (see `parse_options`); a malformed one is a usage error."""
    from intergeneval.runconfig import parse_options

    try:
        return parse_options(pairs, flag)
    except ConfigError as e:
        raise _fail(str(e)) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"intergeneval {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """InterGenEval: score interaction fidelity of generated videos."""


@app.command()
def score(
    videos: Annotated[Path, typer.Argument(help="Folder of <scenario id>.mp4 videos (.mov, .webm, .mkv, .avi "
                                           "and .m4v are read too).")],
    prompts: Annotated[str, typer.Option("--prompts", "--suite", help="Suite file/folder, reference meta.json, "
                                         "or shipped suite name.")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("intergeneval-out"),
    judge: Annotated[str | None, typer.Option(help="Judge backend: qwen, openai, scripted.")] = None,
    judge_option: Annotated[list[str] | None, typer.Option(help="Judge option key=value (repeatable).")] = None,
    answers: Annotated[Path | None, typer.Option(help="Scripted answers file (implies --judge scripted).")] = None,
    tracker: Annotated[str | None, typer.Option(help="Tracker backend: sam2, sam2-meta, replay.")] = None,
    tracker_option: Annotated[list[str] | None, typer.Option(help="Tracker option key=value.")] = None,
    tracks: Annotated[Path | None, typer.Option(help="Mask track folder (implies --tracker replay).")] = None,
    detector: Annotated[str | None, typer.Option(help="Detector for suites without masks.")] = None,
    detector_option: Annotated[list[str] | None, typer.Option(help="Detector option key=value.")] = None,
    profile: Annotated[str | None, typer.Option(help="Model profile: default (real checkpoints; used when a judge "
                                                "or tracker is left unnamed) or tiny.")] = None,
    stride: Annotated[int, typer.Option(help="Frame sampling stride.")] = config.STRIDE,
    attempts: Annotated[int, typer.Option(help="Judge attempts per call.")] = config.JUDGE_ATTEMPTS,
    limit: Annotated[int | None, typer.Option(help="Score only the first N scenarios (a partial run: not "
                                              "comparable with full ones).")] = None,
    cache: Annotated[Path | None, typer.Option(help="Result cache folder (default OUT/cache).")] = None,
    evidence: Annotated[bool, typer.Option(help="Save the overlay frames the judge saw.")] = True,
    concurrency: Annotated[int, typer.Option(help="Videos at the judge at once, the next ones prepared "
                                             "meanwhile (results do not change).")] = 1,
    # help texts are Rich markup: a literal "[" is escaped
    engine: Annotated[str, typer.Option(help="Who runs the videos: local, or ray (pip install "
                                        "'intergeneval\\[ray]').")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (--engine ray; default: a local "
                                                "Ray instance).")] = None,
    engine_option: Annotated[list[str] | None, typer.Option(help="Engine option key=value (see "
                                                            "docs/scaling.md).")] = None,
    report: Annotated[bool, typer.Option(help="Write OUT/report.html.")] = True,
    max_side: Annotated[int | None, typer.Option(help="Decode frames at most this many pixels on the longer "
                                                 "side (bounds memory on very large videos).")] = None,
    max_decoded_mb: Annotated[int, typer.Option(help="Refuse a video whose decoded frames need more memory "
                                                "(MB).")] = 4096,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout (progress and "
                                          "messages stay on stderr).")] = False,
    controls: Annotated[bool, typer.Option(help="Also score the judge's negative controls (summary.json "
                                           "`controls`; docs/judge-trust.md).")] = False,
    control_kinds: Annotated[str, typer.Option(help="Control kinds, comma-separated.")]
    = "frozen,reversed,swapped",
    control_sample: Annotated[int | None, typer.Option(help="Scenarios given controls (default: all).")]
    = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details (and the models' own "
                                          "loading output).")] = False,
) -> None:
    """Score a folder of generated videos against a suite."""
    from .controls import parse_kinds
    from .runconfig import EvalConfig

    judge_options = _options(judge_option, "--judge-option")
    tracker_options = _options(tracker_option, "--tracker-option")
    if answers is not None:
        judge, judge_options = judge or "scripted", {**judge_options, "answers": str(answers)}
    if tracks is not None:
        tracker, tracker_options = tracker or "replay", {**tracker_options, "root": str(tracks)}
    if profile is None and (judge is None or tracker is None):
        profile = "default"
    cfg = EvalConfig(
        videos=videos, suite=prompts, out=out, judge=judge, judge_options=judge_options, tracker=tracker,
        tracker_options=tracker_options, detector=detector, detector_options=_options(detector_option,
        "--detector-option"), profile=profile, stride=stride, attempts=attempts, limit=limit, cache_dir=cache,
        evidence=evidence, max_side=max_side, max_decoded_mb=max_decoded_mb, engine=engine,
        concurrency=concurrency, address=address, engine_options=_options(engine_option, "--engine-option"),
        controls=_kinds(control_kinds, parse_kinds) if controls else (), controls_sample=control_sample,
    )
    summary = _run(cfg, write_report=report, as_json=as_json, verbose=verbose)
    if summary.get("controls") and not as_json:
        print_controls(summary["controls"])
    raise typer.Exit(0 if summary["videos"]["scored"] == summary["videos"]["expected"] else 1)


def _kinds(text: str, parse: Any) -> tuple[str, ...]:
    try:
        return parse(text)
    except ConfigError as e:
        raise _fail(str(e)) from None


@app.command("controls")
def controls_command(
    videos: Annotated[Path, typer.Argument(help="Folder of <scenario id>.mp4 videos to derive them from.")],
    prompts: Annotated[str, typer.Option("--prompts", "--suite", help="Suite file/folder or shipped name.")],
    out: Annotated[Path, typer.Option(help="Output folder (controls.json, controls.jsonl).")]
    = Path("intergeneval-controls"),
    kinds: Annotated[str, typer.Option(help="Control kinds, comma-separated.")] = "frozen,reversed,swapped",
    sample: Annotated[int | None, typer.Option(help="Give controls to a fixed sample of this many scenarios "
                                               "(default: all).")] = None,
    judge: Annotated[str | None, typer.Option(help="Judge backend: qwen, openai, scripted.")] = None,
    judge_option: Annotated[list[str] | None, typer.Option(help="Judge option key=value.")] = None,
    answers: Annotated[Path | None, typer.Option(help="Scripted answers (implies --judge scripted).")] = None,
    tracker: Annotated[str | None, typer.Option(help="Tracker backend: sam2, sam2-meta.")] = None,
    tracker_option: Annotated[list[str] | None, typer.Option(help="Tracker option key=value.")] = None,
    detector: Annotated[str | None, typer.Option(help="Detector for suites without masks.")] = None,
    detector_option: Annotated[list[str] | None, typer.Option(help="Detector option key=value.")] = None,
    profile: Annotated[str | None, typer.Option(help="Model profile: default or tiny.")] = None,
    stride: Annotated[int, typer.Option(help="Frame sampling stride.")] = config.STRIDE,
    attempts: Annotated[int, typer.Option(help="Judge attempts per call.")] = config.JUDGE_ATTEMPTS,
    cache: Annotated[Path | None, typer.Option(help="Result cache folder (default OUT/cache).")] = None,
    evidence: Annotated[bool, typer.Option(help="Save the overlay frames the judge saw.")] = True,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
) -> None:
    """Score only the judge's negative controls (frozen, reversed, swapped videos derived from VIDEOS)."""
    from . import checkpoints
    from .controls import parse_kinds
    from .formats import read_jsonl
    from .runconfig import EvalConfig
    from .runner import evaluate

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)
    judge_options = _options(judge_option, "--judge-option")
    if answers is not None:
        judge, judge_options = judge or "scripted", {**judge_options, "answers": str(answers)}
    if profile is None and (judge is None or tracker is None):
        profile = "default"
    cfg = EvalConfig(
        videos=videos, suite=prompts, out=out, judge=judge, judge_options=judge_options, tracker=tracker,
        tracker_options=_options(tracker_option, "--tracker-option"), detector=detector,
        detector_options=_options(detector_option, "--detector-option"), profile=profile, stride=stride,
        attempts=attempts, cache_dir=cache, evidence=evidence, controls=_kinds(kinds, parse_kinds),
        controls_only=True, controls_sample=sample)
    if not verbose:
        checkpoints.quiet_progress_bars()
    try:
        with console.status("negative controls") as status:
            def progress(event: Any) -> None:
                if event.kind == "load":
                    say(console, f"loading {event.stage}…")
                elif event.kind == "stage" and event.seconds is None:
                    status.update(f"negative controls: {event.scenario_id}: {event.stage}")

            body = evaluate(cfg, progress=progress)
    except InterGenEvalError as e:
        raise _fail(str(e)) from None
    except KeyboardInterrupt:
        done = out / "controls.jsonl"
        _interrupted(done, f"{sum(1 for _ in read_jsonl(done))} control(s)")
    except Exception as e:
        _unexpected(e, verbose)
    print_controls(body["controls"])
    out_console.print(f"results: {out / 'controls.json'}, {out / 'controls.jsonl'}")


def print_controls(report: dict[str, Any]) -> None:
    """The controls table: per kind, the yes-rate on questions whose right answer is "no", and the flag."""
    table = Table(title="negative controls · yes-rate where the right answer is \"no\"")
    for col, justify in (("kind", "left"), ("slots", "left"), ("videos", "right"), ("yes-rate", "right"),
                         ("95% CI", "right"), ("flag", "left"), ("failed", "right")):
        table.add_column(col, justify=justify)
    for kind, block in report["by_kind"].items():
        exp = block["expected_no"]
        failed = str(len(block["failures"]))
        if exp is None:
            table.add_row(kind, "none (see docs)", str(block["judged"]), "—", "—", "not flagged", failed)
            continue
        flag = {True: "[red]FLAGGED[/red]", False: "ok", None: "too few videos"}[exp["flagged"]]
        table.add_row(kind, ",".join(map(str, exp["slots"])), str(exp["videos"]), _fmt(exp["yes_rate"]),
                      _ci([exp["ci_low"], exp["ci_high"]]), flag, failed)
    out_console.print(table)
    out_console.print(report["flag_rule"]["text"], highlight=False)


def _run(cfg: Any, *, write_report: bool = True, as_json: bool = False,
         verbose: bool = False) -> dict[str, Any]:
    """Run `evaluate` with progress on stderr, then print the summary; input errors exit with 2."""
    from . import checkpoints
    from .runner import evaluate

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)
    if not verbose:
        checkpoints.quiet_progress_bars()
    display = RunProgress(console)
    try:
        with display:
            summary = evaluate(cfg, progress=display)
        path = None
        if write_report:
            from .report import write_report as write

            path = write(Path(cfg.out))
    except InterGenEvalError as e:
        raise _fail(str(e)) from None
    except KeyboardInterrupt:
        _interrupted(Path(cfg.out) / "per_video.jsonl", f"{display.done} video(s)")
    except Exception as e:
        _unexpected(e, verbose)
    if as_json:
        print_summary(console, summary, Path(cfg.out), path)
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        print_summary(out_console, summary, Path(cfg.out), path)
    return summary


def _unexpected(e: Exception, verbose: bool) -> NoReturn:
    """A bug, not bad input: one line, and the traceback with --verbose."""
    if verbose:
        raise e
    raise _fail(f"unexpected {type(e).__name__}: {e} (a bug: rerun with --verbose for the traceback and "
                "please report it)", 1) from None


def _interrupted(results: Path, done: str) -> NoReturn:
    """After Ctrl-C: say where the results are; videos still in flight on other threads stop at their next
    stage before the process exits, and a second Ctrl-C quits at once."""
    import os
    import signal

    from .engines.local import videos_in_flight

    print_interrupted(console, results, done, in_flight=videos_in_flight())
    signal.signal(signal.SIGINT, lambda *_: os._exit(130))
    raise typer.Exit(130)


@app.command()
def report(
    out: Annotated[Path, typer.Argument(help="Output folder of a scoring run.")],
    embed: Annotated[bool, typer.Option(help="Put the evidence images inside the HTML: one file to send "
                                        "around (bigger).")] = False,
) -> None:
    """Write OUT/report.html: summary, per-category chart, per-video evidence."""
    from .report import write_report

    try:
        path = write_report(out, embed=embed)
    except InterGenEvalError as e:
        raise _fail(str(e)) from None
    say(out_console, f"report: {path}")


@app.command()
def agree(
    side_a: Annotated[str, typer.Argument(metavar="RUN_A", help="Run folder, folder of run folders (one per "
                                          "model), human-label export (.json) or service URL.")],
    side_b: Annotated[str, typer.Argument(metavar="RUN_B", help="The other side, as RUN_A.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON instead of a table.")]
    = False,
    token: Annotated[str | None, typer.Option(help="Token for a service URL (default $INTERGENEVAL_TOKEN).")]
    = None,
    samples: Annotated[int, typer.Option(help="Bootstrap resamples.")] = config.BOOTSTRAP_SAMPLES,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = config.BOOTSTRAP_SEED,
) -> None:
    """Agreement of two judges (or a judge and human labels) on the same videos, with bootstrap CIs."""
    from .agreement import compare, load_side

    if samples < 1:
        raise _fail(f"--samples must be at least 1, got {samples}")
    try:
        result = compare(load_side(side_a, token=token), load_side(side_b, token=token), samples=samples,
                         seed=seed)
    except InterGenEvalError as e:
        raise _fail(str(e)) from None
    if as_json:
        out_console.print_json(json.dumps(result))
        return
    print_agreement(result)


def _fmt(x: float | None, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _ci(pair: list[float | None]) -> str:
    return "—" if pair[0] is None else f"[{_fmt(pair[0])}, {_fmt(pair[1])}]"


def print_agreement(result: dict[str, Any]) -> None:
    """The agreement table (per slot, then pooled) and the correlations."""
    m = result["matched"]
    # sources are paths or URLs: text, never Rich markup ("runs[v2]")
    table = Table(title=f"agreement · A = {escape(result['a']['source'])} ({result['a']['kind']}) · "
                        f"B = {escape(result['b']['source'])} ({result['b']['kind']}) · {m['videos']} videos")
    for col, justify in (("slot", "left"), ("n", "right"), ("agreement", "right"), ("95% CI", "right"),
                         ("kappa", "right"), ("95% CI", "right"), ("yes A", "right"), ("yes B", "right")):
        table.add_column(col, justify=justify)
    rows = [(str(s["slot"]), s) for s in result["slots"]]
    rows += [(f"{name.upper()} pooled", v) for name, v in result["pooled"].items()]
    for label, s in rows:
        table.add_row(label, str(s["n"]), _fmt(s["agreement"]), _ci(s["agreement_ci"]), _fmt(s["kappa"]),
                      _ci(s["kappa_ci"]), _fmt(s["yes_rate_a"]), _fmt(s["yes_rate_b"]))
    out_console.print(table)
    left = {k: v for k, v in m.items() if k != "videos" and v}
    if left:
        out_console.print(f"not compared: {left}", highlight=False)
    rho = result["if_spearman"]
    if rho is not None:
        out_console.print(f"per-video IF, Spearman rho = {_fmt(rho['rho'])} {_ci(rho['ci'])} "
                          f"(n = {rho['n']})")
    tau = result["ranking_kendall"]
    if tau is not None:
        out_console.print(f"model ranking by mean IF, Kendall tau-b = {_fmt(tau['tau'])} {_ci(tau['ci'])} "
                          f"({tau['models']} models)")


@app.command()
def push(
    results: Annotated[Path, typer.Argument(help="Output folder of a scoring run.")],
    repo: Annotated[str, typer.Option(help="Hugging Face dataset to publish to, ORG/NAME (created if new).")],
    private: Annotated[bool, typer.Option("--private", help="Create the dataset private.")] = False,
    message: Annotated[str | None, typer.Option(help="Commit message.")] = None,
    token: Annotated[str | None, typer.Option(envvar="HF_TOKEN", help="Hugging Face token (default: HF_TOKEN "
                                              "or `hf auth login`).")] = None,
) -> None:
    """Publish a run's results (summary, per-video records, report, evidence) as a Hugging Face dataset."""
    from .publish import push_results

    try:
        pushed = push_results(results, repo, token=token, private=private, message=message)
    except InterGenEvalError as e:
        raise _fail(str(e)) from None
    say(out_console, f"pushed {pushed.files} files to {pushed.repo_url}")
    say(out_console, f"commit: {pushed.commit_url}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo scenes and results.")] = Path("demo-output"),
    profile: Annotated[str | None, typer.Option(help="Model profile (default: tiny when the model extras are "
                                                "installed, else the scripted judge and replay tracker).")] = None,
    videos: Annotated[int, typer.Option(help="Number of synthetic videos.")] = 4,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
) -> None:
    """Write synthetic videos with a suite, score them and write the report."""
    from .demo import demo_config

    if videos < 1:
        raise _fail(f"--videos must be at least 1, got {videos}")
    try:
        cfg, note = demo_config(out, profile=profile, n_videos=videos)
    except InterGenEvalError as e:
        raise _fail(str(e)) from None
    say(console, f"InterGenEval demo: {videos} synthetic videos of simple shapes interacting, with their "
                 f"suite, in {Path(out) / 'scenes'}", "bold")
    say(console, note)
    _run(cfg, verbose=verbose)


@suite_app.command("validate")
def suite_validate(suite: Annotated[str, typer.Argument(help="Suite file, folder or shipped name.")]) -> None:
    """Print every problem of a suite; exit 1 when there is any."""
    from .formats import validate_suite

    problems = validate_suite(suite)
    for p in problems:
        say(out_console, p)
    if problems:
        raise typer.Exit(1)
    say(out_console, f"{suite}: valid")


@suite_app.command("list")
def suite_list() -> None:
    """List the suites shipped in the package."""
    from .formats import load_suite, shipped_suites

    for name in shipped_suites():
        s = load_suite(name)
        say(out_console, f"{name}\tversion {s.version}\t{len(s.scenarios)} scenarios\t{s.content_hash}")


@suite_app.command("show")
def suite_show(suite: Annotated[str, typer.Argument(help="Suite file, folder or shipped name.")]) -> None:
    """Print a suite's statistics: counts per interaction type, pairing, direction and object count."""
    from .formats import load_suite
    from .suite_stats import suite_stats

    try:
        s = load_suite(suite)
    except DataFormatError as e:
        raise _fail(str(e)) from None
    stats = suite_stats(s)
    say(out_console, f"{s.suite_id} version {s.version}  {stats['scenarios']} scenarios  {s.content_hash}")
    for key, counts in stats["counts"].items():
        table = Table(title=key)
        table.add_column(key)
        table.add_column("scenarios", justify="right")
        for k, v in counts.items():
            table.add_row(str(k), str(v))
        out_console.print(table)


@suite_app.command("hash")
def suite_hash(suite: Annotated[Path, typer.Argument(help="Suite JSON file, or the folder holding "
                                                      "suite.json, to (re)write the hash of.")]) -> None:
    """Recompute and store a suite file's content hash (after an intended change: bump its version too)."""
    from .formats import write_suite

    path = suite / "suite.json" if suite.is_dir() else suite  # a folder, as every other suite command takes
    if not path.is_file():
        raise _fail(f"{path}: no such suite file")
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
        if not isinstance(raw, dict):
            raise DataFormatError(f"expected a suite (a JSON object), got a JSON {type(raw).__name__}")
        s = write_suite(path, raw)
    except (OSError, json.JSONDecodeError, DataFormatError) as e:
        raise _fail(f"{path}: {e}") from None
    say(out_console, f"{path}: {s.content_hash}")


@suite_app.command("build")
def suite_build(
    src: Annotated[str, typer.Argument(help="Reference meta.json, a suite file, or a folder holding either.")],
    out: Annotated[Path, typer.Option(help="Output folder: suite.json, images/, masks/.")],
    profile: Annotated[str | None, typer.Option(help="Model profile for the judge and detector (default, tiny).")]
    = None,
    judge: Annotated[str | None, typer.Option(help="Judge backend (overrides the profile's).")] = None,
    judge_option: Annotated[list[str] | None, typer.Option(help="Judge option key=value.")] = None,
    detector: Annotated[str | None, typer.Option(help="Detector backend (overrides the profile's).")] = None,
    detector_option: Annotated[list[str] | None, typer.Option(help="Detector option key=value.")] = None,
    questions: Annotated[str, typer.Option(help="templates (from structured fields), judge, or keep.")]
    = "templates",
    images: Annotated[Path | None, typer.Option(help="Folder of first frames named <scenario id>.png.")] = None,
    suite_id: Annotated[str | None, typer.Option(help="Id of the built suite (default: the source's).")] = None,
    version: Annotated[str | None, typer.Option(help="Version of the built suite.")] = None,
    keep_going: Annotated[bool, typer.Option(help="Leave out scenarios that fail (listed) instead of stopping.")]
    = False,
) -> None:
    """Freeze a suite: first-frame masks (detect, verify, segment) and the ten questions per key interaction."""
    from . import checkpoints
    from .registry import DETECTORS, JUDGES, check_options, lookup
    from .suite_build import build_suite, read_inputs

    names: dict[str, Any] = {"judge": judge, "detector": detector,
                             "judge_options": _options(judge_option, "--judge-option"),
                             "detector_options": _options(detector_option, "--detector-option")}
    try:
        read_inputs(src, out, images)  # a bad source, images folder or --out fails before any model loads
        if profile:
            from .profiles import resolve_profile

            prof = resolve_profile(profile)
            for role in ("judge", "detector"):
                if names[role] is None:
                    names[role] = prof.get(role)
                    names[f"{role}_options"] = {**prof.get(f"{role}_options", {}), **names[f"{role}_options"]}
        planned = {}  # every name and option checked before any model loads
        for role, table in (("judge", JUDGES), ("detector", DETECTORS)):
            if names[role]:
                cls = lookup(table, names[role], kind=role)
                planned[role] = cls, check_options(cls, names[f"{role}_options"], kind=role, name=names[role])
        checkpoints.quiet_progress_bars()
        built: dict[str, Any] = {"judge": None, "detector": None}
        for role, (cls, options) in planned.items():
            say(console, f"loading {role}…")
            built[role] = cls(**options)
        report = build_suite(src, out, judge=built["judge"], detector=built["detector"], questions=questions,
                             images=images, suite_id=suite_id, version=version, keep_going=keep_going)
    except InterGenEvalError as e:
        raise _fail(str(e)) from None
    s = report.suite
    say(out_console, f"{report.path}: {len(s.scenarios)} scenarios, {s.content_hash}")
    say(out_console, f"masks made for {len(report.masks_made)}, "
                     f"questions written for {len(report.questions_made)}")
    for line in report.notes:
        say(out_console, f"note: {line}")
    for line in report.skipped:
        say(out_console, f"skipped {line}")
    if report.skipped:
        raise typer.Exit(1)


@reference_app.command("score")
def reference_score(
    score_results: Annotated[Path, typer.Argument(help="The reference's SCORE_RESULTS folder.")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("reference-scores"),
    crash_policy: Annotated[str, typer.Option(help="Items the reference crashes on: skip-video (score the rest of "
                                              "the file) or skip-file (as the reference: drop the whole file).")]
    = "skip-video",
) -> None:
    """Score the reference's intermediate files with this project's metric code; list what it gets wrong."""
    from .reference import score_reference

    if crash_policy not in ("skip-video", "skip-file"):
        raise _fail(f"--crash-policy must be skip-video or skip-file, got {crash_policy!r}")
    try:
        result = score_reference(score_results, out, crash_policy=crash_policy)
    except InterGenEvalError as e:
        raise _fail(str(e)) from None
    for line in result.summary_lines():
        say(out_console, line)


def _load_plugins() -> None:
    """Add the commands other installed packages register (the service's serve/worker/admin/submit)."""
    for ep in entry_points(group="intergeneval.commands"):
        try:
            ep.load()(app)
        except ModuleNotFoundError as e:  # an optional extra is not installed: the rest still works
            logging.getLogger(__name__).debug("commands %s unavailable: %s", ep.name, e)


_load_plugins()

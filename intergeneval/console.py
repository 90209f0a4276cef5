"""What the `intergeneval` command prints: progress while a run works, then the summary and what it means.

Progress goes to stderr. On a terminal it is a live bar that moves at every stage of every video; elsewhere
(CI logs, pipes) it is one plain line per model load and per video. The summary table goes to stdout, with
the legend of the metrics under it; warnings of the run (the tiny profile's meaningless scores) are printed
in colour before and after it. Text from files and users is never read as Rich markup (`[models]` stays).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from . import legend
from .events import STAGES, ProgressEvent

#: How the progress display names the stages of a video (`intergeneval.events.STAGES`).
STAGE_WORDS = {"decode": "decoding", "detect": "first-frame masks", "track": "tracking",
               "overlay": "drawing boxes", "judge": "judging", "evidence": "saving evidence frames"}


def say(console: Console, text: str, style: str | None = None) -> None:
    """Print `text` as it is (no markup, no highlighting, no hard wrapping)."""
    console.print(Text(text, style=style or ""), soft_wrap=True, highlight=False)


def error(console: Console, message: str) -> None:
    """`error: <message>` in red, on one line."""
    console.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True, highlight=False)


class RunProgress:
    """The progress display of one scoring run: pass it as `evaluate(..., progress=display)`."""

    def __init__(self, console: Console):
        self.console = console
        self.done, self.total = 0, 0
        self._bar: Progress | None = None
        self._task: Any = None
        self._began: dict[str, float] = {}  # scenario id -> when its first stage began

    def __enter__(self) -> RunProgress:
        if self.console.is_terminal:
            self._bar = Progress(TextColumn("[bold]scoring"), BarColumn(), TextColumn("{task.fields[count]}"),
                                 TimeElapsedColumn(), TextColumn("{task.description}", markup=False),
                                 console=self.console, transient=False)
            self._bar.start()
            self._task = self._bar.add_task("starting", total=None, count="")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, event: ProgressEvent) -> None:
        if event.kind == "load":
            self._show(f"loading {event.stage}…", plain=True)
        elif event.kind == "stage" and event.seconds is None:
            self._began.setdefault(event.scenario_id, time.perf_counter())
            self._stage(event)
        elif event.kind == "video":
            self._video(event)

    def _show(self, text: str, *, plain: bool, **fields: Any) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=text, **fields)
        elif plain:
            say(self.console, text)

    def _stage(self, event: ProgressEvent) -> None:
        """On a terminal the bar moves within a video too, by the share of its stages begun."""
        if self._bar is None:
            return
        part = STAGES.index(event.stage) / len(STAGES) if event.stage in STAGES else 0.0
        count = f"video {self.done + 1}" + (f"/{self.total}" if self.total else "")
        self._bar.update(self._task, completed=self.done + part, count=count,
                         description=f"{event.scenario_id}: {STAGE_WORDS.get(event.stage, event.stage)}")

    def _video(self, event: ProgressEvent) -> None:
        self.done, self.total = event.done, event.total
        record = event.record or {}
        text = f"{event.scenario_id}: {video_status(record)}"
        began = self._began.pop(event.scenario_id, None)
        timed = began is not None and not record.get("cached")
        took = f" ({time.perf_counter() - began:.1f} s)" if timed else ""
        if self._bar is not None:
            self._bar.update(self._task, completed=event.done, total=event.total, description=text,
                             count=f"{event.done}/{event.total} videos")
        else:
            say(self.console, f"[{event.done}/{event.total}] {text}{took}")


def video_status(record: dict[str, Any]) -> str:
    """`scored, IF 0.250`, `scored (cached)` or `unreadable: <reason>`, for one result line."""
    if record["status"] == "scored":
        score = (record.get("scores") or {}).get("if")
        text = "scored" + (f", IF {score:.3f}" if score is not None else "")
    else:
        text = f"{record['status']}: {record.get('reason', '')}"
    return text + (" (cached)" if record.get("cached") else "")


def print_summary(console: Console, summary: dict[str, Any], out: Path, report: Path | None = None) -> None:
    """The summary table with its legend, failures, unused files, warnings, and where the files are."""
    warnings = summary.get("warnings", [])
    _warn(console, warnings)
    v = summary["videos"]
    # the title on its own line: as the table's title it wrapped to the table's width ("1/2 videos\nscored")
    say(console, f"InterGenEval · {summary['suite']['id']} · {v['scored']}/{v['expected']} videos scored",
        "italic")
    table = Table()
    table.add_column("metric")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    table.add_column("range")
    ranges = {m.replace("·", "_").lower(): r for m, r, _ in legend.METRICS}
    for name in summary["metric_names"]:
        m = summary["metrics"][name]
        table.add_row(name.upper().replace("_", "·"), _fmt(m["mean"]),
                      f"[{_fmt(m['ci_low'])}, {_fmt(m['ci_high'])}]", ranges.get(name, ""))
    console.print(table)
    for line in legend.lines():
        say(console, line, "dim")
    for f in v["failures"]:
        line = f" {f['scenario_id']}: {f['status']}: {f['reason']}"
        console.print(Text.assemble(("failed", "yellow"), line), soft_wrap=True, highlight=False)
    unused = v.get("unused_files", [])
    if unused:
        say(console, f"not scored ({len(unused)} file(s) in the videos folder that no scenario uses):",
            "yellow")
        for line in unused[:20]:
            say(console, f"  {line}")
        if len(unused) > 20:
            say(console, f"  … and {len(unused) - 20} more (all in summary.json, videos.unused_files)")
    if not summary.get("complete", True):
        say(console, "the run is incomplete: not every scenario was scored (see above)", "bold yellow")
    if summary.get("not_comparable"):
        say(console, "not comparable with full runs (a model is ranked only with every scenario scored): "
                     + "; ".join(summary["not_comparable"]), "yellow")
    _warn(console, warnings)
    say(console, f"results: {out / 'summary.json'}  {out / 'summary.csv'}  {out / 'per_video.jsonl'}")
    if report is not None:
        say(console, f"report:  {report}  (open it in a browser: scores, categories, the frames the judge "
                     "saw)")


def print_interrupted(console: Console, results: Path, done: str, in_flight: int = 0) -> None:
    """What Ctrl-C leaves behind (`done`: "3 video(s)", their records in `results`) and how to go on; with
    videos in flight, that they stop first."""
    say(console, f"interrupted after {done}. Their results are in {results} and the cache; run the same "
                 "command again to resume: finished videos are not recomputed.", "bold yellow")
    if in_flight:
        say(console, f"stopping the {in_flight} video(s) in flight at their next step (Ctrl-C again to quit "
                     "at once)", "yellow")


def _warn(console: Console, warnings: list[str]) -> None:
    for w in merge_warnings(warnings):
        say(console, f"⚠ {w}", "bold white on red" if "meaningless" in w else "bold yellow")


def merge_warnings(warnings: list[str]) -> list[str]:
    """One line per distinct note, naming every role that gave it (judge, tracker, detector first).

    >>> merge_warnings(["detector: tiny model", "judge: tiny model", "tracker: other"])
    ['judge, detector: tiny model', 'tracker: other']
    """
    order = {"judge": 0, "tracker": 1, "detector": 2}
    roles: dict[str, list[str]] = {}
    for w in warnings:
        role, sep, note = w.partition(": ")
        roles.setdefault(note if sep else w, []).append(role if sep else "")
    return [f"{', '.join(sorted((r for r in rs if r), key=lambda r: order.get(r, 3)))}: {note}" if any(rs)
            else note for note, rs in roles.items()]


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"

"""The console summary: warnings in colour before and after the table; markup in data printed as it is."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from intergeneval.console import print_summary, say


def _summary(warnings):
    metric = {"mean": 0.5, "ci_low": 0.25, "ci_high": 0.75, "n": 2}
    names = ["kisa", "sgi", "spi", "kisa_spi", "sgi_spi", "if"]
    return {"suite": {"id": "s"}, "videos": {"scored": 2, "expected": 3, "failures": [
        {"scenario_id": "x[red]", "status": "unreadable", "reason": "pip install 'intergeneval[models]'"}]},
        "metric_names": names, "metrics": dict.fromkeys(names, metric), "warnings": warnings}


def test_tiny_warning_is_coloured_before_and_after_the_table():
    con = Console(record=True, force_terminal=True, width=120, color_system="standard")
    note = "tiny randomly initialised model: scores are meaningless"
    print_summary(con, _summary([f"judge: {note}", f"tracker: {note}"]), Path("out"))
    text = con.export_text(clear=False)
    lines = text.splitlines()
    warned = [i for i, line in enumerate(lines) if "scores are meaningless" in line]
    table = [i for i, line in enumerate(lines) if "│ IF" in line]
    assert len(warned) == 2 and warned[0] < table[0] < warned[1]
    assert lines[warned[0]] == f"⚠ judge, tracker: {note}"
    styled = con.export_text(styles=True)
    assert styled.count("\x1b[1;37;41m⚠ judge, tracker:") == 2  # bold white on red


def test_data_is_never_read_as_markup():
    con = Console(record=True, width=200)
    print_summary(con, _summary([]), Path("out"))
    say(con, "needs [models]: pip install 'intergeneval[models]'")
    text = con.export_text()
    assert "failed x[red]: unreadable: pip install 'intergeneval[models]'" in text
    assert "needs [models]: pip install 'intergeneval[models]'" in text


def test_on_a_terminal_the_bar_moves_at_every_stage():
    from intergeneval.console import RunProgress
    from intergeneval.events import STAGES, ProgressEvent

    con = Console(force_terminal=True, width=120, record=True)
    with RunProgress(con) as display:
        task = display._bar.tasks[0]
        display(ProgressEvent("load", "", stage="tracker"))
        assert task.description == "loading tracker…"
        seen = []
        for stage in STAGES:
            display(ProgressEvent("stage", "s1", stage=stage))
            seen.append((task.description, task.completed))
        display(ProgressEvent("video", "s1", done=1, total=2, record={"status": "scored", "scores": {"if": 0.5}}))
        assert (task.completed, task.total, task.description) == (1, 2, "s1: scored, IF 0.500")
    assert seen[0] == ("s1: decoding", 0.0) and seen[2][0] == "s1: tracking"
    assert [c for _, c in seen] == sorted({c for _, c in seen}) and seen[-1][1] < 1  # forward, within the video

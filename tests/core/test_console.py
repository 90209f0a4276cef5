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

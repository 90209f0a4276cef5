"""The run summary: metric means with bootstrap CIs, coverage, categories, diagnostics, provenance.

Only videos with status `scored` enter the means (a video whose IF is missing counts as failed in
coverage, never as 0 or 1). `comparable` says whether every scenario of the suite was scored (the ranking
rule); `not_comparable` says why not (a `--limit`, a stop, videos not scored). The summary holds no
timestamps or timings, so the same inputs and fingerprints give byte-identical `summary.json` and `summary.csv`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from . import config
from .formats import RESULT_SCHEMA_VERSION, write_csv, write_json
from .records import Suite

CATEGORY_KEYS = ("interaction_type", "pairing")


def summarise(
    records: list[dict[str, Any]],
    *,
    expected: list[str],
    suite: Suite,
    fingerprints: dict[str, Any],
    run_config: dict[str, Any],
    package_version: str,
    samples: int = config.BOOTSTRAP_SAMPLES,
    seed: int = config.BOOTSTRAP_SEED,
    stopped: bool = False,
    unused_files: list[str] | None = None,
) -> dict[str, Any]:
    """Build the summary of a run from its per-video records.

    `unused_files` lists the files of the videos folder that no scenario uses, each as "<name>: why".
    """
    from .metrics.aggregate import METRICS, aggregate, per_category, rates

    scored = [r for r in records if r.get("status") == "scored"]
    rows = [{**r["scores"], **r["category"]} for r in scored]
    failed = [r for r in records if r.get("status") != "scored"]
    not_run = [sid for sid in expected if sid not in {r["scenario_id"] for r in records}]
    in_run = set(expected)
    # every category of the suite is kept, with how many of its videos this run expected (0 when --limit
    # left them out) and how many it scored
    expected_per = {key: {**dict.fromkeys(sorted({getattr(s, key) for s in suite.scenarios}), 0),
                          **Counter(getattr(s, key) for s in suite.scenarios if s.id in in_run)}
                    for key in CATEGORY_KEYS}
    return {
        "schema_version": RESULT_SCHEMA_VERSION,
        "protocol": config.PROTOCOL_ID,
        "package_version": package_version,
        "suite": {"id": suite.suite_id, "version": suite.version, "content_hash": suite.content_hash},
        "fingerprints": fingerprints,
        "config": run_config,
        "complete": not stopped and not not_run,
        **_comparability(len(scored), len(expected), len(suite.scenarios), stopped or bool(not_run)),
        "videos": {
            "expected": len(expected),
            "scored": len(scored),
            "failed": len(failed),
            "not_run": len(not_run),
            "by_status": dict(sorted(Counter(r["status"] for r in records).items())),
            "failures": [{"scenario_id": r["scenario_id"], "status": r["status"], "reason": r.get("reason", "")}
                         for r in failed],
            "unused_files": list(unused_files or []),
        },
        "metrics": aggregate(rows, samples=samples, seed=seed, level=config.CI_LEVEL),
        "metric_names": list(METRICS),
        "categories": {key: per_category(rows, key, expected=expected_per[key]) for key in CATEGORY_KEYS},
        "diagnostics": rates([{**r["scores"], **r["diagnostics"]} for r in records if "diagnostics" in r],
                             expected=len(expected)),
        "bootstrap": {"samples": samples, "seed": seed, "level": config.CI_LEVEL},
        "warnings": _notes(fingerprints),
    }


def _comparability(scored: int, expected: int, suite_size: int, stopped: bool) -> dict[str, Any]:
    """Whether the run can be compared with other models' runs: every scenario of the suite scored.

    A model is ranked only on the full suite (protocol Part I); a run limited to some scenarios (`--limit`),
    stopped early or with videos not scored says so, with why.
    """
    why = []
    if expected < suite_size:
        why.append(f"the run covered {expected} of the suite's {suite_size} scenarios (--limit)")
    if stopped:
        why.append("the run was stopped before every video was scored")
    if scored < expected:
        why.append(f"{expected - scored} of {expected} videos were not scored")
    return {"coverage": {"scored": scored, "expected": expected, "suite_scenarios": suite_size,
                         "ratio": scored / suite_size if suite_size else None},
            "comparable": not why, "not_comparable": why}


def _notes(value: Any, where: str = "") -> list[str]:
    """Every `note` a backend put in its fingerprint (e.g. tiny random weights), prefixed by its role."""
    found: list[str] = []
    if isinstance(value, dict):
        for k, v in sorted(value.items()):
            if k == "note" and isinstance(v, str):
                found.append(f"{where}: {v}" if where else v)
            else:
                found += _notes(v, where or k)
    return sorted(set(found))


def write_summary(out: Path, summary: dict[str, Any]) -> None:
    """Write `summary.json` and `summary.csv` (one row overall, one per category)."""
    write_json(out / "summary.json", summary)
    names = summary["metric_names"]
    header = ["scope", "category", "videos"] + [c for m in names for c in (m, f"{m}_ci_low", f"{m}_ci_high")]
    m = summary["metrics"]
    rows = [["overall", "", summary["videos"]["scored"]]
            + [m[k][f] for k in names for f in ("mean", "ci_low", "ci_high")]]
    for key, cats in summary["categories"].items():
        for cat, v in cats.items():
            rows.append([key, cat, v["videos"]] + [x for k in names for x in (v["metrics"].get(k), None, None)])
    write_csv(out / "summary.csv", header, rows)

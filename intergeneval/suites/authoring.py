"""Build the shipped suite `intergeneval-open-v1` from its scenario source, deterministically.

Example:
    >>> suite = build_open_v1()
    >>> suite["suite_id"], suite["version"], len(suite["scenarios"]) >= 120
    ('intergeneval-open-v1', '1.0.0', True)

Usage (from the repository root):
    python -m intergeneval.suites.authoring            # rewrite intergeneval/suites/intergeneval-open-v1.json
    python -m intergeneval.suites.authoring --check    # exit 1 if the shipped file differs from the source

Versioning rule: a released version's content hash is recorded in `RELEASED`. Changing any scenario (its
text, objects, fields or questions) changes the hash; the test suite then fails until `VERSION` is raised
and the new hash is added to `RELEASED`. Scores are only comparable within one suite hash.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..formats import suite_to_dict, write_suite
from ..questions import build_questions
from . import open_v1_animal, open_v1_human, open_v1_nature, open_v1_object

log = logging.getLogger(__name__)

SUITE_ID = "intergeneval-open-v1"
VERSION = "1.0.0"
#: Content hash of every released version; a changed suite needs a new version here.
RELEASED = {
    "1.0.0": "sha256:edc1713fa3763199b180b0d6e9b425635a5fd9ab26afaa23bc326de5615d5586",
}
DESCRIPTION = (
    "Open InterGenEval suite written for this project: 120 interaction scenarios balanced over five "
    "interaction types and four pairings, with frozen template questions. Text-to-video models run it "
    "as is; image-to-video models need first frames rendered from image_prompt (`intergeneval suite build`)."
)
SHIPPED = Path(__file__).parent / f"{SUITE_ID}.json"
_SOURCES = (open_v1_object, open_v1_human, open_v1_animal, open_v1_nature)
_SOURCE_KEYS = {"id", "type", "pairing", "objects", "image", "video", "response",
                "subject", "object", "action", "passive", "before", "steps", "outcome", "contact", "motion"}
_FIELD_ORDER = ("subject", "object", "action", "passive", "before", "steps", "outcome", "response",
                "contact", "motion")


def scenario_from_source(entry: dict[str, Any]) -> dict[str, Any]:
    """Turn one source entry into a suite scenario (fields, direction and frozen questions filled in)."""
    unknown = sorted(set(entry) - _SOURCE_KEYS)
    if unknown:
        raise ValueError(f"scenario {entry.get('id')!r}: unknown source key(s) {', '.join(unknown)}")
    objects = [{"class": cls, "appearance": appearance} for cls, appearance in entry["objects"]]
    fields = {k: entry[k] for k in _FIELD_ORDER if k in entry}
    try:
        key_interactions = build_questions(fields, objects)
    except Exception as e:
        raise ValueError(f"scenario {entry['id']!r}: {e}") from e
    return {
        "id": entry["id"],
        "video_prompt": entry["video"],
        "image_prompt": entry["image"],
        "objects": objects,
        "interaction_type": entry["type"],
        "direction": "bidirectional" if "response" in entry else "unidirectional",
        "pairing": entry["pairing"],
        "fields": fields,
        "key_interactions": key_interactions,
    }


def build_open_v1() -> dict[str, Any]:
    """The suite's JSON (without its content hash, which `write_suite` adds)."""
    scenarios = [scenario_from_source(e) for source in _SOURCES for e in source.SCENARIOS]
    return suite_to_dict({"suite_id": SUITE_ID, "version": VERSION, "description": DESCRIPTION}, scenarios)


def write_open_v1(path: Path = SHIPPED) -> str:
    """Write the suite to `path` and return its content hash."""
    return write_suite(path, build_open_v1()).content_hash


def main(argv: list[str] | None = None) -> int:
    """Command line: rewrite the shipped suite, or `--check` that it matches its source."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--out", type=Path, default=SHIPPED, help="where to write (default: shipped file)")
    args = parser.parse_args(argv)
    if not args.check:
        digest = write_open_v1(args.out)
        sys.stdout.write(f"wrote {args.out} ({digest})\n")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / SHIPPED.name
        write_open_v1(fresh)
        same = SHIPPED.is_file() and fresh.read_bytes() == SHIPPED.read_bytes()
    if not same:
        sys.stderr.write(f"{SHIPPED} differs from its source: run `python -m {__spec__.name}`\n")
        return 1
    sys.stdout.write(f"{SHIPPED} matches its source\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

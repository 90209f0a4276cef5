"""Suites shipped with the package (`<name>.json` here) and their statistics for `intergeneval suite show`.

Example:
    >>> from intergeneval.formats import load_suite
    >>> stats = suite_stats(load_suite("intergeneval-open-v1"))
    >>> stats["scenarios"], stats["interaction_type"]["social"], stats["pairing"]["human-nature"]
    (120, 24, 30)
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .. import config
from ..records import Suite


def suite_stats(suite: Suite) -> dict[str, Any]:
    """Counts that describe a suite's balance: per type, pairing, direction, object count and levels.

    Every protocol category appears in the counts, with 0 where the suite has none, so an unbalanced
    suite shows its gaps. `contact` and `motion` come from the scenarios' structured fields when present.
    """

    def count(values, known=()) -> dict[str, int]:
        c = Counter(values)
        return {k: c.get(k, 0) for k in known} | {k: v for k, v in sorted(c.items()) if k not in known}

    scs = suite.scenarios
    return {
        "suite_id": suite.suite_id,
        "version": suite.version,
        "content_hash": suite.content_hash,
        "scenarios": len(scs),
        "key_interactions": sum(len(s.key_interactions) for s in scs),
        "questions": sum(len(k.questions) for s in scs for k in s.key_interactions),
        "interaction_type": count((s.interaction_type for s in scs), config.INTERACTION_TYPES),
        "pairing": count((s.pairing for s in scs), config.PAIRINGS),
        "direction": count((s.direction for s in scs), config.DIRECTIONS),
        "objects": {str(k): v for k, v in sorted(Counter(len(s.objects) for s in scs).items())},
        "type_by_pairing": {
            t: count((s.pairing for s in scs if s.interaction_type == t), config.PAIRINGS)
            for t in config.INTERACTION_TYPES
        },
        "contact": count((s.fields.get("contact", "unspecified") for s in scs), ("low", "medium", "high")),
        "motion": count((s.fields.get("motion", "unspecified") for s in scs), ("low", "medium", "high")),
        "first_frames": sum(s.first_frame is not None for s in scs),
    }

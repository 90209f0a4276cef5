"""Counts that describe a suite's balance (printed by `intergeneval suite show`).

Example:
    >>> from intergeneval.records import Suite
    >>> suite_stats(Suite("s", "1", (), "sha256:0", "intergeneval-v1"))["scenarios"]
    0
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .records import Suite


def suite_stats(suite: Suite) -> dict[str, Any]:
    """Scenario counts per interaction type, pairing, direction, object count and key-interaction count."""
    def count(values) -> dict[str, int]:
        return {str(k): v for k, v in sorted(Counter(values).items())}

    sc = suite.scenarios
    return {
        "suite_id": suite.suite_id,
        "version": suite.version,
        "content_hash": suite.content_hash,
        "scenarios": len(sc),
        "counts": {
            "interaction_type": count(s.interaction_type for s in sc),
            "pairing": count(s.pairing for s in sc),
            "direction": count(s.direction for s in sc),
            "objects": count(len(s.objects) for s in sc),
            "key_interactions": count(len(s.key_interactions) for s in sc),
            "first_frame": count("with image" if s.first_frame else "text only" for s in sc),
        },
    }

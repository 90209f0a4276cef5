"""No server filesystem path in a public field: absolute paths in text become their base name.

What the runner and the backends record (a per-video `reason`, a summary's failures, an exception's message,
a backend's local checkpoint folder) often names files by absolute path: `/srv/ige/submissions/3f…/001.mp4`
tells a caller where the service keeps its data. The stored rows keep the text verbatim (nothing recorded is
lost); API answers show it through `redact_paths`. Links of this API (`/api/v1/…`) and URLs are left alone.

Example:
    >>> redact_paths("cannot open '/srv/ige/submissions/3f2a/001.mp4': invalid data")
    "cannot open '001.mp4': invalid data"
    >>> redact_paths({"url": "/api/v1/jobs/7", "reason": "see https://example.org/a/b"})
    {'url': '/api/v1/jobs/7', 'reason': 'see https://example.org/a/b'}
"""

from __future__ import annotations

import re
from typing import Any

# An absolute path of two or more parts, not inside a URL or a relative path (nothing path-like before the
# slash), and not a link of this API.
_PATH = re.compile(r"(?<![\w.:/~-])(?!/api/)/(?:[^\s'\"/:;,()\[\]{}<>]+/)+([^\s'\"/:;,()\[\]{}<>]*)")


def _basename(m: re.Match[str]) -> str:
    return m.group(1) or "…"


def redact_paths(value: Any) -> Any:
    """`value` with every absolute path in its text replaced by the path's base name (dicts, lists, strings;
    anything else unchanged)."""
    if isinstance(value, str):
        return _PATH.sub(_basename, value) if "/" in value else value
    if isinstance(value, dict):
        return {k: redact_paths(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_paths(v) for v in value]
    return value

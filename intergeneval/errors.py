"""One hierarchy for every error the library raises on purpose.

The CLI and the service catch these at their edge only; messages name the file, the item and what to fix.
"""


import difflib
from collections.abc import Iterable


def did_you_mean(word: str, known: Iterable[str], n: int = 2) -> str:
    """" Did you mean: x?" for the known words closest to a mistyped one, or "" when none is close.

    >>> did_you_mean("stepz", ["steps", "subject", "outcome"])
    ' Did you mean: steps?'
    >>> did_you_mean("colour", ["steps", "subject", "outcome"])
    ''
    """
    close = difflib.get_close_matches(word, list(known), n=n)
    return f" Did you mean: {', '.join(close)}?" if close else ""


class InterGenEvalError(Exception):
    """Base class of the library's own errors."""


class ConfigError(InterGenEvalError):
    """A run was asked for with options that cannot work together or name nothing known."""


class DataFormatError(InterGenEvalError):
    """A suite, answer file, mask track or result file does not have the documented layout."""


class BackendUnavailable(InterGenEvalError):
    """A backend's optional dependencies are not installed (the message names the extra)."""


class VideoError(InterGenEvalError):
    """A video cannot be used; `status` is the per-video status recorded for it."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class JudgeError(InterGenEvalError):
    """A judge backend failed to answer (transport, timeout, model error)."""


class JudgeParseError(JudgeError):
    """A judge reply did not validate against the answer schema."""


class TrackingError(InterGenEvalError):
    """The tracker could not produce mask tracks for a video."""


class DetectionError(InterGenEvalError):
    """First-frame objects could not be detected or verified."""

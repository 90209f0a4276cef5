"""InterGenEval: interaction-aware evaluation of generated videos.

Example:
    >>> import intergeneval
    >>> intergeneval.PROTOCOL_ID
    'intergeneval-v1'
"""

from importlib.metadata import PackageNotFoundError, version

from .config import PROTOCOL_ID

try:
    __version__ = version("intergeneval")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["PROTOCOL_ID", "__version__"]

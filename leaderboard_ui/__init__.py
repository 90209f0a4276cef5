"""The leaderboard page: a Gradio app that reads the evaluation service's REST API, and nothing else.

Mounted into the service by `intergeneval serve` (``leaderboard_ui.mount(app, api_base, path="/")``), or run
against any server's API with ``python -m leaderboard_ui --api https://ige.example --port 7860``.

Example:
    >>> import leaderboard_ui
    >>> callable(leaderboard_ui.mount)
    True
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

# Gradio reads this at import: the page must not report usage anywhere.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["create_app", "mount"]


def mount(app: FastAPI, api_base: str, path: str = "/", **kwargs: Any) -> FastAPI:
    """Mount the page into `app` at `path`, reading the API at `api_base` (see `leaderboard_ui.web.mount`)."""
    from .web import mount as _mount  # gradio is imported only when the page is wanted

    return _mount(app, api_base, path, **kwargs)


def create_app(api_base: str, path: str = "/", **kwargs: Any) -> FastAPI:
    """A FastAPI app serving only the page (see `leaderboard_ui.web.create_app`)."""
    from .web import create_app as _create_app

    return _create_app(api_base, path, **kwargs)

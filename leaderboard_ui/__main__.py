"""Serve the leaderboard page alone, for an API running elsewhere.

Example:
    python -m leaderboard_ui --api https://ige.example --host 127.0.0.1 --port 7860
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

cli = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@cli.command()
def main(
    api: Annotated[str, typer.Option(help="Root URL of the evaluation service's API (without /api/v1).")],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 7860,
    path: Annotated[str, typer.Option(help="Path of the page.")] = "/",
    public_api: Annotated[str | None, typer.Option(help="The API's root as users reach it (default: --api).")]
    = None,
    log_level: Annotated[str, typer.Option(help="Logging level.")] = "info",
) -> None:
    """Serve the leaderboard page, reading the API at --api."""
    import uvicorn

    from .web import create_app

    logging.basicConfig(level=log_level.upper())
    if not api.startswith(("http://", "https://")):
        raise typer.BadParameter(f"--api must be an http(s) URL, got {api!r}")
    uvicorn.run(create_app(api, path, public_api_base=public_api), host=host, port=port, log_level=log_level)


if __name__ == "__main__":
    cli()

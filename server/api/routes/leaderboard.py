"""`/leaderboard`: ranked rows as JSON or CSV, filtered by suite version and judge fingerprint."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ... import leaderboard as board
from ..deps import OptionalCaller, SessionDep, viewer_of

router = APIRouter(prefix="/leaderboard", tags=["leaderboard"])


@router.get("", summary="Ranked leaderboard (JSON, or CSV with ?format=csv)",
            responses={200: {"content": {"application/json": {}, "text/csv": {}}}})
def get_leaderboard(
    caller: OptionalCaller, session: SessionDep,
    suite: Annotated[str | None, Query(max_length=200, description="suite id")] = None,
    suite_version: Annotated[str | None, Query(max_length=100)] = None,
    judge: Annotated[str | None, Query(max_length=64, description="judge fingerprint hash or a prefix")] = None,
    include_reference: bool = True,
    format: Literal["json", "csv"] = "json",  # noqa: A002 (the documented query parameter name)
) -> Any:
    """Rows grouped by suite and judge fingerprint, ranked by IF within each group, with Rank(UB)."""
    body = board.leaderboard(session, viewer=viewer_of(caller), suite=suite, suite_version=suite_version,
                             judge=judge, include_reference=include_reference)
    if format == "csv":
        return Response(board.to_csv(body), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="leaderboard.csv"'})
    return body

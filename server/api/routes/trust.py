"""`/leaderboard/trust`: per judge fingerprint, its negative controls and its agreement with human labels."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ... import trust
from ...models import NO_NUL
from ..deps import TOKEN_OPTIONAL, OptionalCaller, ServicesDep, SessionDep
from ..errors import error_responses

router = APIRouter(prefix="/leaderboard", tags=["leaderboard"])


@router.get("/trust", summary="Judge trust: negative controls and agreement with people, per judge",
            responses=error_responses(401, 422), openapi_extra=TOKEN_OPTIONAL)
def judge_trust(caller: OptionalCaller, session: SessionDep, services: ServicesDep,
                judge: Annotated[str | None, Query(max_length=64, pattern=NO_NUL,
                                                   description="judge fingerprint hash or a prefix")] = None,
                ) -> dict[str, Any]:
    """For every judge behind public results or with stored controls: `controls` (one entry per suite; empty
    when not measured yet) and `human` (null when no labelled video was scored by it). From public data only,
    so every caller gets the same figures."""
    return trust.trust(session, judge=judge, cache=services.trust_cache)

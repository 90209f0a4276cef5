"""Dependencies shared by the routes: the database session, the service objects and the caller.

`OptionalCaller` is the caller or None (anonymous); a token that is sent must be valid (a wrong token is 401,
never a silent anonymous request). `SubmitCaller` and `AdminCaller` require the scope.

The dependencies are `async def` so they run on the event loop: a sync dependency costs a hop through the
thread pool per request, and under many concurrent pollers those hops (and the GIL handovers they cause)
were most of the latency. Only the token look-up touches the database, and it goes to the thread pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from .. import crud
from ..core.config import Settings
from ..leaderboard import BoardCache
from ..models import Token, User
from ..storage import Storage
from ..suites import SuiteCatalog
from ..uploads import InFlight
from ..trust import TrustCache
from .errors import ApiError

#: The largest id or offset a request may name: ids are INTEGER columns (4 bytes on Postgres), and a bigger
#: number would overflow the database driver (a 500) instead of answering 404 or an empty page.
DB_INT_MAX = 2**31 - 1

JobId = Annotated[int, Path(ge=1, le=DB_INT_MAX, description="job id")]
ModelId = Annotated[int, Path(ge=1, le=DB_INT_MAX, description="model id")]
SubmissionId = Annotated[int, Path(ge=1, le=DB_INT_MAX, description="submission id")]
Limit = Annotated[int, Query(ge=1, le=500, description="page size")]
Offset = Annotated[int, Query(ge=0, le=DB_INT_MAX, description="rows to skip")]

_bearer = HTTPBearer(auto_error=False, description="an API token: `Authorization: Bearer <token>`")


@dataclass(slots=True)
class Services:
    """What the app holds for its routes (on `app.state.services`)."""

    settings: Settings
    engine: Engine
    storage: Storage
    catalog: SuiteCatalog
    board_cache: BoardCache = field(default_factory=BoardCache)
    uploads: InFlight = field(default_factory=InFlight)  # uploads being received, per user
    trust_cache: TrustCache = field(default_factory=TrustCache)
    worker: Any = None  # the in-process worker (`serve`), for /health; None when workers run elsewhere


async def get_services(request: Request) -> Services:
    """The app's services."""
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_db(services: ServicesDep) -> AsyncIterator[Session]:
    """A session per request (it connects lazily, in the thread that first uses it)."""
    session = Session(services.engine, expire_on_commit=False)
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


SessionDep = Annotated[Session, Depends(get_db)]


@dataclass(slots=True)
class Caller:
    """An authenticated caller."""

    user: User
    token: Token

    @property
    def scopes(self) -> list[str]:
        """The token's own scopes. Rights belong to the token, never to its user: a submit-only token of a
        user who also holds an admin token stays submit-only."""
        return self.token.scope_list

    @property
    def is_admin(self) -> bool:
        """True when the token carries the admin scope."""
        return "admin" in self.scopes

    @property
    def viewer(self) -> crud.Viewer:
        """Who is looking, for visibility checks."""
        return crud.Viewer(self.user.id, self.is_admin)


async def get_caller(session: SessionDep,
                     creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller | None:
    """The caller, or None without an Authorization header."""
    if creds is None:
        return None
    found = await run_in_threadpool(crud.authenticate, session, token=creds.credentials)
    if found is None:
        raise ApiError(401, "unauthorized", "unknown or revoked token: create one with "
                       "`intergeneval admin create-token`", headers={"WWW-Authenticate": "Bearer"})
    return Caller(*found)


OptionalCaller = Annotated[Caller | None, Depends(get_caller)]

#: `openapi_extra` of public routes, which take a token but do not need one: FastAPI derives the security
#: requirement `[{"HTTPBearer": []}]` from the bearer dependency and appends this empty one (anonymous too).
TOKEN_OPTIONAL: dict[str, Any] = {"security": [{}]}


async def require_caller(caller: OptionalCaller) -> Caller:
    """The caller; 401 without a token."""
    if caller is None:
        raise ApiError(401, "unauthorized", "this endpoint needs a token: send `Authorization: Bearer <token>`",
                       headers={"WWW-Authenticate": "Bearer"})
    return caller


AuthCaller = Annotated[Caller, Depends(require_caller)]


async def require_submit(caller: AuthCaller) -> Caller:
    """A caller with the `submit` scope."""
    if "submit" not in caller.scopes:
        raise ApiError(403, "forbidden", "this token lacks the 'submit' scope")
    return caller


async def require_admin(caller: AuthCaller) -> Caller:
    """A caller with the `admin` scope."""
    if not caller.is_admin:
        raise ApiError(403, "forbidden", "this needs an admin token")
    return caller


async def require_label(caller: AuthCaller) -> Caller:
    """A caller with the `label` scope (human labels, the page's Label tab)."""
    if "label" not in caller.scopes:
        raise ApiError(403, "forbidden", "this token lacks the 'label' scope (an admin creates one: "
                       "`intergeneval admin create-token --name NAME --scopes label`)")
    return caller


SubmitCaller = Annotated[Caller, Depends(require_submit)]
AdminCaller = Annotated[Caller, Depends(require_admin)]
LabelCaller = Annotated[Caller, Depends(require_label)]


def viewer_of(caller: Caller | None) -> crud.Viewer:
    """Who is looking (anonymous when there is no caller)."""
    return caller.viewer if caller is not None else crud.ANONYMOUS

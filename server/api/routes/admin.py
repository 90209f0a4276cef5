"""`/admin`: tokens for admins: create, list, revoke (the CLI's `intergeneval admin create-token`,
`list-tokens` and `revoke-token` do the same offline)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ... import crud
from ...models import NO_NUL, TokenCreate, TokenCreated, TokenPublic, TokensPublic
from ..deps import DB_INT_MAX, AdminCaller, SessionDep
from ..errors import ApiError, error_responses, not_found

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post("/tokens", response_model=TokenCreated, status_code=201, summary="Create an API token",
             responses=error_responses(400, 401, 403, 422))
def create_token(body: TokenCreate, caller: AdminCaller, session: SessionDep) -> TokenCreated:
    """Create a token for the user `name` (created if new); the plain token is returned once.

    The scopes belong to this token only: other tokens of the same user keep theirs.
    """
    try:
        user = crud.get_or_create_user(session, name=body.name, is_admin="admin" in body.scopes)
        token, plain = crud.create_token(session, user=user, name=body.name, scopes=body.scopes)
    except ValueError as e:
        raise ApiError(422, "invalid_request", str(e)) from None
    session.commit()
    return TokenCreated(id=token.id, name=token.name, scopes=token.scope_list, token=plain,
                        created_at=token.created_at)


@router.get("/tokens", response_model=TokensPublic, summary="List API tokens (never the secrets)",
            responses=error_responses(401, 403, 422))
def list_tokens(caller: AdminCaller, session: SessionDep,
                user: Annotated[str | None, Query(max_length=100, pattern=NO_NUL,
                                                  description="only this user's tokens")] = None
                ) -> TokensPublic:
    """Every token (or one user's), oldest first, with its prefix, scopes, last use and revocation time."""
    rows = crud.find_tokens(session, user=user)
    return TokensPublic(data=[crud.token_public(session, t) for t in rows], count=len(rows))


@router.delete("/tokens/{token_id}", response_model=TokenPublic, summary="Revoke an API token",
               responses=error_responses(401, 403, 404, 409, 422))
def revoke_token(token_id: Annotated[int, Path(ge=1, le=DB_INT_MAX)], caller: AdminCaller,
                 session: SessionDep) -> TokenPublic:
    """Revoke a token: every later request with it is 401. Revoking a revoked token changes nothing.

    The token making the request cannot revoke itself (409), so an admin never locks themselves out by
    mistake: use another admin token or `intergeneval admin revoke-token`.
    """
    found = crud.find_tokens(session, token_id=token_id)
    if not found:
        raise not_found(f"token {token_id}")
    if found[0].id == caller.token.id:
        raise ApiError(409, "conflict", "this is the token making the request: revoke it with another admin "
                       "token or `intergeneval admin revoke-token`")
    crud.revoke_tokens(session, found)
    session.commit()
    return crud.token_public(session, found[0])

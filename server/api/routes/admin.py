"""`/admin`: token creation for admins (the CLI's `intergeneval admin create-token` does the same offline)."""

from __future__ import annotations

from fastapi import APIRouter

from ... import crud
from ...models import TokenCreate, TokenCreated
from ..deps import AdminCaller, SessionDep
from ..errors import ApiError, error_responses

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post("/tokens", response_model=TokenCreated, status_code=201, summary="Create an API token",
             responses=error_responses(400, 401, 403, 422))
def create_token(body: TokenCreate, caller: AdminCaller, session: SessionDep) -> TokenCreated:
    """Create a token for the user `name` (created if new); the plain token is returned once."""
    try:
        user = crud.get_or_create_user(session, name=body.name, is_admin="admin" in body.scopes)
        token, plain = crud.create_token(session, user=user, name=body.name, scopes=body.scopes)
    except ValueError as e:
        raise ApiError(422, "invalid_request", str(e)) from None
    session.commit()
    return TokenCreated(id=token.id, name=token.name, scopes=token.scope_list, token=plain,
                        created_at=token.created_at)

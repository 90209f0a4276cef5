"""`/models`: the models visible to the caller, one model with its latest results, card edits and moderation."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import func, select

from ... import crud
from ... import leaderboard as board
from ...models import Model, ModelPublic, ModelsPublic, ModelUpdate, utcnow
from ..deps import TOKEN_OPTIONAL, AuthCaller, Limit, ModelId, Offset, OptionalCaller, SessionDep, viewer_of
from ..errors import ApiError, error_responses, not_found

router = APIRouter(prefix="/models", tags=["models"])
_ADMIN_FIELDS = ("hidden", "flagged", "flag_reason")


@router.get("", response_model=ModelsPublic, summary="Visible models", responses=error_responses(401, 422),
            openapi_extra=TOKEN_OPTIONAL)
def list_models(caller: OptionalCaller, session: SessionDep, limit: Limit = 50,
                offset: Offset = 0) -> ModelsPublic:
    """Public models, plus the caller's own (admins: all)."""
    q = select(Model).where(crud.visible_models_clause(viewer_of(caller)))
    count = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(Model.id).offset(offset).limit(limit)).all()
    return ModelsPublic(data=[crud.model_public(session, m) for m in rows], count=count)


@router.get("/{model_id}", response_model=ModelPublic, summary="One model with its latest result per group",
            responses=error_responses(401, 404, 422), openapi_extra=TOKEN_OPTIONAL)
def get_model(model_id: ModelId, caller: OptionalCaller, session: SessionDep) -> ModelPublic:
    """The card and, per suite and judge, the latest succeeded job's scores."""
    m = session.get(Model, model_id)
    if m is None or not crud.can_see_model(m, viewer_of(caller)):
        raise not_found(f"model {model_id}")
    rows = board.leaderboard(session, viewer=viewer_of(caller), include_reference=False)["rows"]
    results = [{k: r[k] for k in ("suite_id", "suite_version", "judge_fingerprint", "judge_label", "job_id", "date",
                                  "metrics", "coverage", "rank", "rank_ub", "ranked", "status")}
               for r in rows if r["model_id"] == model_id]
    return crud.model_public(session, m, results=results)


@router.patch("/{model_id}", response_model=ModelPublic, summary="Edit a model card; admins hide or flag",
              responses=error_responses(400, 401, 403, 404, 422))
def update_model(model_id: ModelId, patch: ModelUpdate, caller: AuthCaller,
                 session: SessionDep) -> ModelPublic:
    """The owner edits the card; `hidden`, `flagged` and `flag_reason` need an admin token."""
    m = session.get(Model, model_id)
    if m is None or not crud.can_see_model(m, caller.viewer):
        raise not_found(f"model {model_id}")
    changes = patch.model_dump(exclude_unset=True)
    if not caller.is_admin:
        if m.owner_id != caller.user.id:
            raise ApiError(403, "forbidden", f"model {model_id} belongs to another user")
        admin_only = [k for k in _ADMIN_FIELDS if k in changes]
        if admin_only:
            raise ApiError(403, "forbidden", f"only admins may set {', '.join(admin_only)}")
    for k, v in changes.items():
        if k in ("hidden", "flagged", "public") and v is None:
            continue
        setattr(m, k, v)
    m.updated_at = utcnow()
    session.add(m)
    session.commit()
    return crud.model_public(session, m)

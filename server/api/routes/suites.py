"""`/suites`: the suites this server scores, with the limits videos must meet."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from intergeneval.records import Suite

from ...intake import video_limits
from ...suites import UnknownSuite
from ..deps import Services, ServicesDep
from ..errors import error_responses, not_found

router = APIRouter(prefix="/suites", tags=["suites"])


def _suite(s: Suite, services: Services) -> dict[str, Any]:
    return {"suite_id": s.suite_id, "version": s.version, "content_hash": s.content_hash, "protocol": s.protocol,
            "description": s.description, "num_scenarios": len(s.scenarios),
            "default": s.suite_id == services.catalog.default_id, "limits": video_limits(services).as_dict()}


@router.get("", summary="Suites this server scores")
def list_suites(services: ServicesDep) -> dict[str, Any]:
    """Every suite (all versions)."""
    data = [_suite(s, services) for s in services.catalog.all()]
    return {"data": data, "count": len(data)}


@router.get("/{suite_id}", summary="One suite with its scenarios", responses=error_responses(404))
def get_suite(suite_id: str, services: ServicesDep, version: str | None = None) -> dict[str, Any]:
    """A suite's metadata and scenarios (ids, prompts, categories, objects): what to generate."""
    try:
        s = services.catalog.get(suite_id, version)
    except UnknownSuite:
        raise not_found(f"suite {suite_id!r}") from None
    scenarios = [{"id": sc.id, "video_prompt": sc.video_prompt, "image_prompt": sc.image_prompt,
                  "interaction_type": sc.interaction_type, "pairing": sc.pairing, "direction": sc.direction,
                  "objects": [{"class": o.cls, "appearance": o.appearance} for o in sc.objects]}
                 for sc in s.scenarios]
    return {**_suite(s, services), "scenarios": scenarios}

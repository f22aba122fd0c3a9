"""The JSON API: one NinjaAPI that mounts each app's router; OpenAPI at /api/openapi.json."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import SessionAuth

from steward.calendars.api import router as calendars_router
from steward.datasets.api import router as datasets_router
from steward.evaluation.api import router as evaluation_router
from steward.feedback.api import router as feedback_router
from steward.inventory.api import router as inventory_router
from steward.organisations.api import router as organisations_router
from steward.plans.api import router as plans_router
from steward.publishing.api import router as publishing_router
from steward.quality.api import router as quality_router

api = NinjaAPI(
    title="OpenData Steward API",
    version="1",
    description="Every call is scoped to the signed-in person's organisations and roles.",
    auth=SessionAuth(),
    urls_namespace="api",
)
api.add_router("/organisations/", organisations_router)
api.add_router("/calendars/", calendars_router)
api.add_router("/plans/", plans_router)
api.add_router("/inventory/", inventory_router)
api.add_router("/datasets/", datasets_router)
api.add_router("/publishing/", publishing_router)
api.add_router("/quality/", quality_router)
api.add_router("/feedback/", feedback_router)
api.add_router("/evaluation/", evaluation_router)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Forbidden"}, status=403)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Not found"}, status=404)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": detail}, status=400)

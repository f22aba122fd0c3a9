"""The JSON API: one NinjaAPI that mounts each app's router; OpenAPI at /api/openapi.json."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI, Swagger
from ninja.openapi.docs import _csrf_needed
from ninja.security import SessionAuth

from steward.calendars.api import router as calendars_router
from steward.committees.api import router as committees_router
from steward.datasets.api import router as datasets_router
from steward.evaluation.api import router as evaluation_router
from steward.feedback.api import router as feedback_router
from steward.inventory.api import router as inventory_router
from steward.organisations.api import router as organisations_router
from steward.plans.api import router as plans_router
from steward.publishing.api import router as publishing_router
from steward.quality.api import router as quality_router


class OfflineSwagger(Swagger):
    """Swagger UI from our own static files (npm swagger-ui-dist, vendored with its licence in
    steward/static/steward/swagger-ui/), so /api/docs works without the internet."""

    template = "api/docs.html"

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            "add_csrf": _csrf_needed(api),
        }
        return render(request, self.template, context)


api = NinjaAPI(
    title="OpenData Steward API",
    version="1",
    description="Every call is scoped to the signed-in person's organisations and roles.",
    auth=SessionAuth(),
    urls_namespace="api",
    # No call to validator.swagger.io either: the page needs nothing outside this server.
    docs=OfflineSwagger(settings={"validatorUrl": None}),
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
api.add_router("/committees/", committees_router)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Forbidden"}, status=403)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Not found"}, status=404)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(
        request, {"detail": " ".join(exc.messages), "fields": fields}, status=400
    )

"""The error pages (400, 403, 404, 500, CSRF failure) in the site's layout and language.

Django's own are bare English pages. These use `base.html`, speak the person's language
(Traditional Chinese first), say what happened in plain words and give a way back. The 500
page is rendered without the request's context processors' data if they fail too, so it
never raises in turn.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _page(request: HttpRequest, template: str, status: int, **context: object) -> HttpResponse:
    back = request.META.get("HTTP_REFERER", "")
    host = request.get_host() if back else ""
    # only a page of this site is offered as the way back
    same_site = bool(back) and back.split("/", 3)[2:3] == [host]
    context = {"status": status, "back": back if same_site else "", **context}
    return HttpResponse(loader.render_to_string(template, context, request), status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _page(request, "errors/400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    # the reason is one of our own translated messages (PermissionDenied(_("…"))), never
    # a library's; an exception without one gets the general sentence
    reason = str(exception) if exception and exception.args else ""
    return _page(request, "errors/403.html", 403, reason=reason)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _page(request, "errors/404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    try:
        return _page(request, "errors/500.html", 500)
    except Exception:  # the layout itself failed: a page with no context at all
        logger.exception("The 500 page could not be rendered in the layout")
        return HttpResponse(loader.render_to_string("errors/500_plain.html"), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent after its page expired (or from elsewhere): say so, keep the person calm."""
    return _page(
        request,
        "errors/403.html",
        403,
        reason=_(
            "The form could not be sent because its page has expired (for example after "
            "signing in again in another tab). Go back, reload the page and send it again; "
            "what you typed is kept in the form where the page allows it."
        ),
    )

"""Read the signed-in person's role assignments once per web request.

The scoping rule, the navigation and the page each ask for the person's roles; without this
every one of them read them again (three to five queries a page). Placed after Django's
AuthenticationMiddleware and django-otp's OTPMiddleware.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from steward.organisations.models import KEEP_ROLES


class RolesOncePerRequestMiddleware:
    """Let this request's person keep the role assignments it reads (`Person.active_roles`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # request.user is a lazy wrapper (twice: auth, then django-otp): setattr reaches
            # the Person itself.
            setattr(user, KEEP_ROLES, True)
        return self.get_response(request)

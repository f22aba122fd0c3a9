"""Sign-in middleware: the idle timeout and the second-factor gate.

Both come after Django's AuthenticationMiddleware and django-otp's OTPMiddleware.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.organisations.models import Person
from steward.organisations.signin.twofactor import has_second_factor, required_for

LAST_SEEN = "steward_last_seen"  # session key: POSIX time of the person's last request
SECOND_FACTOR_CLEAR = "steward_2fa_clear"  # session key: (person, time) checked to need none
# Writing the session on every request costs a write; a minute's precision is plenty.
TOUCH_EVERY_SECONDS = 60
# How long "no second factor needed" is trusted before the roles are looked at again.
RECHECK_SECONDS = 300


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _go_to(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect; for an htmx request, one the whole page follows (not a swapped fragment)."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def idle_minutes() -> int:
    return int(settings.STEWARD_SESSION_IDLE_MINUTES)


@receiver(user_logged_in)
def start_idle_clock(sender: object, request: HttpRequest | None, **kwargs: object) -> None:
    """A fresh sign-in starts the idle clock (the session may carry an old time)."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = timezone.now().timestamp()
        request.session.pop(SECOND_FACTOR_CLEAR, None)


def sign_out_idle(request: HttpRequest, *, idle_for: datetime.timedelta) -> None:
    """Sign the person out after too long without a request, with an audit event."""
    person = request.user
    assert isinstance(person, Person)
    assignment = person.role_assignments.filter(active=True).select_related("organisation").first()
    with transaction.atomic():
        record(
            actor=person,
            action="signin.idle_timeout",
            subject=person,
            organisation=assignment.organisation.ministry if assignment else None,
            from_state="signed_in",
            to_state="signed_out",
            changes={
                "idle_minutes": int(idle_for.total_seconds() // 60),
                "limit_minutes": idle_minutes(),
            },
        )
    logout(request)


class IdleTimeoutMiddleware:
    """Sign out whoever made no request for STEWARD_SESSION_IDLE_MINUTES (0: never)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = idle_minutes()
        if limit > 0 and request.user.is_authenticated:
            now = timezone.now().timestamp()
            last = request.session.get(LAST_SEEN)
            if last is not None and now - float(last) > limit * 60:
                sign_out_idle(request, idle_for=datetime.timedelta(seconds=now - float(last)))
                # The API answers 401 to the now anonymous caller; the sign-in page signs in.
                if not _is_api(request) and request.path != reverse(settings.LOGIN_URL):
                    messages.info(
                        request,
                        _("You were signed out after %(minutes)d minutes without activity.")
                        % {"minutes": limit},
                    )
                    return _go_to(
                        request,
                        f"{reverse(settings.LOGIN_URL)}?next={quote(request.get_full_path())}",
                    )
            elif last is None or now - float(last) >= TOUCH_EVERY_SECONDS:
                request.session[LAST_SEEN] = now
        return self.get_response(request)


def _exempt(request: HttpRequest) -> bool:
    """Pages a person reaches before the second factor: the factor's own, sign-out, language,
    the static files and the icon."""
    path = request.path
    exempt = (
        reverse("two_factor_enrol"),
        reverse("two_factor_verify"),
        reverse("logout"),
        reverse("set_language"),
        reverse("favicon"),
        settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}",
    )
    return path.startswith(exempt)


class SecondFactorMiddleware:
    """Send a person who has a second factor to verify it, and one whose role requires it
    to enrol, before any other page; the API answers 403 until then."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        # django-otp's OTPMiddleware gives the signed-in user is_verified().
        if not user.is_authenticated or user.is_verified() or _exempt(request):  # type: ignore[union-attr, attr-defined]
            return self.get_response(request)
        assert isinstance(user, Person)
        now = timezone.now().timestamp()
        clear = request.session.get(SECOND_FACTOR_CLEAR)
        if clear and clear[0] == user.pk and now - clear[1] < RECHECK_SECONDS:
            return self.get_response(request)
        if has_second_factor(user):
            target, message = "two_factor_verify", _("Enter the code of your authenticator app.")
        elif required_for(user):
            target, message = (
                "two_factor_enrol",
                _("Your role requires a second factor: set up an authenticator app first."),
            )
        else:
            request.session[SECOND_FACTOR_CLEAR] = (user.pk, now)
            return self.get_response(request)
        if _is_api(request):
            return JsonResponse({"detail": message}, status=403)
        return _go_to(request, f"{reverse(target)}?next={quote(request.get_full_path())}")

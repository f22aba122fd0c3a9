"""Sign-in pages: the lockout message, unlocking (information centre), and the second factor."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from steward.organisations.models import Person
from steward.organisations.signin import lockouts, twofactor

ENROLMENT_KEY = "steward_2fa_enrolment_key"  # session: the secret shown, until confirmed


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """What a locked account or address sees (AXES_LOCKOUT_CALLABLE): 429, in zh-Hant."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "organisations/signin/locked_out.html",
        {"minutes": minutes, "limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )


def _person(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)
    return request.user


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@login_required
def lockout_list(request: HttpRequest) -> HttpResponse:
    """Locked accounts and addresses of the person's ministry, each with an unlock button."""
    return render(
        request,
        "organisations/signin/lockouts.html",
        {"lockouts": lockouts.lockouts_for(_person(request))},
    )


@login_required
@require_POST
def lockout_unlock(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    key = request.POST.get("key", "")
    if kind not in lockouts.LockoutKind.values:
        raise Http404(_("No such lockout."))
    try:
        lockout = lockouts.unlock(lockouts.LockoutKind(kind), key, by=_person(request))
    except LookupError:
        raise Http404(_("No such lockout in your ministry.")) from None
    messages.success(request, _("%(who)s can sign in again.") % {"who": lockout.key})
    return redirect("lockouts")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Whether the person has a second factor, and the way to set it up or turn it off."""
    person = _person(request)
    return render(
        request,
        "organisations/signin/two_factor.html",
        {
            "enrolled": twofactor.has_second_factor(person),
            "required": twofactor.required_for(person),
            "form": CodeForm(),
        },
    )


@login_required
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Show a new secret (QR code and text); a code from the app confirms it."""
    person = _person(request)
    if twofactor.has_second_factor(person):
        return redirect("two_factor")
    enrolment = twofactor.start_enrolment(person, request.session.get(ENROLMENT_KEY))
    request.session[ENROLMENT_KEY] = enrolment.key
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = twofactor.enrol(
                person, key=enrolment.key, token=form.cleaned_data["code"]
            )
        except twofactor.SecondFactorError as error:
            form.add_error("code", str(error))
        else:
            request.session.pop(ENROLMENT_KEY, None)
            otp_login(request, device)
            return render(
                request,
                "organisations/signin/recovery_codes.html",
                {"codes": codes, "next": _next(request)},
            )
    return render(
        request,
        "organisations/signin/enrol.html",
        {
            "enrolment": enrolment,
            "form": form,
            "required": twofactor.required_for(person),
            "next": _next(request),
        },
        status=400 if form.errors else 200,
    )


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """After the password: a code from the authenticator app, or a recovery code."""
    person = _person(request)
    if not twofactor.has_second_factor(person):
        return redirect("two_factor_enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = twofactor.verify(person, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next(request))
        form.add_error("code", _("The code is not right, or too many wrong codes: wait a little."))
    return render(
        request,
        "organisations/signin/verify.html",
        {"form": form, "next": _next(request)},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a code to turn the second factor off."))
        return redirect("two_factor")
    try:
        twofactor.disable(_person(request), token=form.cleaned_data["code"])
    except twofactor.SecondFactorError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The second factor is off."))
    return redirect("two_factor")

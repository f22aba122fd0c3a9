"""Pages of feedback."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def inbox(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


approvals = enter = public_form = inbox


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse()


def step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    return HttpResponse()


def track(request: HttpRequest, token: str) -> HttpResponse:
    return HttpResponse()

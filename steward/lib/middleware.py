"""Traditional Chinese first: the browser's Accept-Language does not override it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class TraditionalChineseFirstMiddleware:
    """Ignore Accept-Language so the interface is zh-Hant unless the person chose otherwise.

    Civil servants' machines often run English browsers; the product's language is
    Traditional Chinese, and the language switch (stored in a cookie) is the one way to
    change it. Must come before django.middleware.locale.LocaleMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)

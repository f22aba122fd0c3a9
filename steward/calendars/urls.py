"""URLs of calendars."""

from django.urls import path  # noqa: F401

app_name = "calendars"
urlpatterns: list = []

"""URLs of datasets."""

from django.urls import path  # noqa: F401

app_name = "datasets"
urlpatterns: list = []

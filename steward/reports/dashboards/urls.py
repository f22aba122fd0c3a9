"""Dashboard routes, under /reports/dashboard/."""

from django.urls import URLPattern

app_name = "dashboards"

urlpatterns: list[URLPattern] = []

"""Report routes, under /reports/."""

from django.urls import URLPattern, URLResolver, include, path

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = [
    path("dashboard/", include("steward.reports.dashboards.urls")),
]

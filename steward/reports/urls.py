"""Report routes, under /reports/."""

from django.urls import URLPattern, URLResolver, include, path

from steward.reports import views

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("download/", views.download, name="download"),
    path("stored/<int:pk>/", views.stored, name="stored"),
    path("dashboard/", include("steward.reports.dashboards.urls")),
]

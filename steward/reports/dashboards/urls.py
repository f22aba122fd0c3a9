"""Dashboard routes, under /reports/dashboard/."""

from django.urls import URLPattern, path

from steward.reports.dashboards import views

app_name = "dashboards"

urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("ministry/<int:ministry_pk>/", views.centre, name="centre"),
    path("agency/<int:agency_pk>/", views.agency, name="agency"),
    path("committee/<int:committee_id>/", views.committee, name="committee"),
    path("figure/<int:organisation_pk>/<str:key>/", views.figure, name="figure"),
]

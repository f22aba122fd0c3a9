"""URLs of quality."""

from django.urls import path

from steward.quality import views

app_name = "quality"
urlpatterns = [
    path("", views.index, name="index"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("request/", views.request_check, name="request"),
    path("measures/", views.measures, name="measures"),
]

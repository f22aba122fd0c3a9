"""URLs of calendars."""

from django.urls import path

from steward.calendars import views

app_name = "calendars"
urlpatterns = [
    path("", views.index, name="index"),
    path("upload/", views.upload, name="upload"),
    path("<int:year>/", views.year_view, name="year"),
]

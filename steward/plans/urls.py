"""URLs of plans."""

from django.urls import path

from steward.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:key>/", views.detail, name="detail"),
    path("<slug:key>/compare/", views.compare, name="compare"),
    path("<slug:key>/upload/", views.upload, name="upload"),
]

"""URLs of publishing."""

from django.urls import path

from steward.publishing import views

app_name = "publishing"
urlpatterns = [
    path("", views.index, name="index"),
    path("outbox/<int:pk>/retry/", views.retry, name="retry"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/export/", views.catalogue_export, name="catalogue_export"),
    path("catalogue/runs/<int:pk>/", views.catalogue_run, name="catalogue_run"),
]

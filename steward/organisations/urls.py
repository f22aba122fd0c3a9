"""URLs of organisations."""

from django.urls import path

from steward.organisations import views

app_name = "organisations"
urlpatterns = [path("", views.tree, name="tree")]

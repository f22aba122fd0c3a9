"""Public URLs of the catalogue: the CKAN Action API (both of CKAN's paths) and DCAT."""

from django.urls import path

from steward.catalogue import ckan

app_name = "catalogue"

urlpatterns = [
    path("api/3/action/<str:name>", ckan.action, name="ckan_action"),
    path("api/action/<str:name>", ckan.action, name="ckan_action_unversioned"),
]

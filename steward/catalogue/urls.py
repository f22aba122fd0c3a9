"""Public URLs of the catalogue: the CKAN Action API (both of CKAN's paths) and DCAT."""

from django.urls import path

from steward.catalogue import ckan, views

app_name = "catalogue"

urlpatterns = [
    path("api/3/action/<str:name>", ckan.action, name="ckan_action"),
    path("api/action/<str:name>", ckan.action, name="ckan_action_unversioned"),
    path("catalog.ttl", views.dcat_catalogue, {"fmt": "ttl"}, name="dcat_turtle"),
    path("catalog.jsonld", views.dcat_catalogue, {"fmt": "jsonld"}, name="dcat_jsonld"),
    path("catalog.rdf", views.dcat_catalogue, {"fmt": "rdf"}, name="dcat_rdfxml"),
]

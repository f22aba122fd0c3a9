"""Public URLs of the catalogue: its pages, the CKAN Action API (both of CKAN's paths), DCAT."""

from django.urls import path

from steward.catalogue import ckan, pages, views

app_name = "catalogue"

urlpatterns = [
    path("catalogue/", pages.index, name="index"),
    path("catalogue/<str:key>/", pages.ministry_home, name="ministry"),
    path("dataset/", pages.search, name="search"),
    path("dataset/<str:name>", pages.dataset, name="dataset"),
    path("organization/<str:code>", pages.organization, name="organization"),
    path("api/3/action/<str:name>", ckan.action, name="ckan_action"),
    path("api/action/<str:name>", ckan.action, name="ckan_action_unversioned"),
    path("catalog.ttl", views.dcat_catalogue, {"fmt": "ttl"}, name="dcat_turtle"),
    path("catalog.jsonld", views.dcat_catalogue, {"fmt": "jsonld"}, name="dcat_jsonld"),
    path("catalog.rdf", views.dcat_catalogue, {"fmt": "rdf"}, name="dcat_rdfxml"),
]

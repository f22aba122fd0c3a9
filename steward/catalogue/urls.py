"""Public URLs of the catalogue: its pages, the CKAN Action API (both of CKAN's paths), DCAT,
and each dataset as schema.org JSON-LD and a Frictionless data package."""

from django.urls import path

from steward.catalogue import ckan, linked_views, pages, views

app_name = "catalogue"

urlpatterns = [
    path("catalogue/", pages.index, name="index"),
    path("catalogue/<str:key>/", pages.ministry_home, name="ministry"),
    path("dataset/", pages.search, name="search"),
    path("dataset/<str:name>.jsonld", linked_views.dataset_jsonld, name="dataset_jsonld"),
    path(
        "dataset/<str:name>/datapackage.json",
        linked_views.dataset_datapackage,
        name="dataset_datapackage",
    ),
    path("dataset/<str:name>", pages.dataset, name="dataset"),  # after the two above
    path("organization/<str:code>", pages.organization, name="organization"),
    path("api/3/action/<str:name>", ckan.action, name="ckan_action"),
    path("api/action/<str:name>", ckan.action, name="ckan_action_unversioned"),
    path("catalog.ttl", views.dcat_catalogue, {"fmt": "ttl"}, name="dcat_turtle"),
    path("catalog.jsonld", views.dcat_catalogue, {"fmt": "jsonld"}, name="dcat_jsonld"),
    path("catalog.rdf", views.dcat_catalogue, {"fmt": "rdf"}, name="dcat_rdfxml"),
]

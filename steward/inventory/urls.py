"""URLs of the inventory pages."""

from django.urls import path

from steward.inventory import views
from steward.lib import converters  # noqa: F401 (registers <year:…>)

app_name = "inventory"
urlpatterns = [
    path("", views.index, name="index"),
    path("items/new/", views.item_create, name="item_create"),
    path("items/<int:pk>/", views.item_edit, name="item_edit"),
    path("import/", views.import_view, name="import"),
    path("import/<str:token>/", views.import_detail, name="import_detail"),
    path("import/<str:token>/progress/", views.import_progress, name="import_progress"),
    path("import/<str:token>/confirm/", views.import_confirm, name="import_confirm"),
    path("export/", views.export, name="export"),
    path("returns/", views.returns, name="returns"),
    path("returns/<int:agency_pk>/<year:year>/submit/", views.submit, name="submit"),
    path(
        "returns/<int:agency_pk>/<year:year>/agency-approve/",
        views.agency_approve,
        name="agency_approve",
    ),
    path("returns/<int:agency_pk>/<year:year>/return/", views.return_view, name="return"),
    path("compilations/<int:ministry_pk>/<year:year>/compile/", views.compile_view, name="compile"),
    path("compilations/<int:pk>/approve/", views.approve, name="approve"),
]

"""Root URLs: pages per app, the JSON API, accounts, admin, language switch."""

from django.contrib import admin
from django.urls import include, path

from steward.api import api
from steward.favicon import favicon
from steward.organisations import views as organisation_views

urlpatterns = [
    path("", organisation_views.home, name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("accounts/", include("steward.organisations.account_urls")),
    path("organisations/", include("steward.organisations.urls")),
    path("calendars/", include("steward.calendars.urls")),
    path("plans/", include("steward.plans.urls")),
    path("inventory/", include("steward.inventory.urls")),
    path("datasets/", include("steward.datasets.urls")),
    path("publishing/", include("steward.publishing.urls")),
    path("quality/", include("steward.quality.urls")),
    path("feedback/", include("steward.feedback.urls")),
    path("evaluation/", include("steward.evaluation.urls")),
    path("committees/", include("steward.committees.urls")),
    path("reports/", include("steward.reports.urls")),
    path("tasks/", include("steward.tasks.urls")),
    path("", include("steward.catalogue.urls")),  # public: CKAN Action API, DCAT
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler400 = "steward.errors.bad_request"
handler403 = "steward.errors.permission_denied"
handler404 = "steward.errors.page_not_found"
handler500 = "steward.errors.server_error"

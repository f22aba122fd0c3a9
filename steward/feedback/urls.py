"""URLs of feedback: the public form and tracking page (no account), and the staff pages."""

from django.urls import path

from steward.feedback import views

app_name = "feedback"
urlpatterns = [
    path("", views.inbox, name="index"),
    path("approvals/", views.approvals, name="approvals"),
    path("enter/", views.enter, name="enter"),
    path("import/", views.import_csv, name="import"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<str:step>/", views.step, name="step"),
    path("new/", views.public_form, name="new"),
    path("t/<str:token>/", views.track, name="track"),
]

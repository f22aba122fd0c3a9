"""URLs of tasks (工作事項)."""

from django.urls import path

from steward.tasks import views

app_name = "tasks"

urlpatterns = [
    path("", views.index, name="index"),
    path("overdue/", views.overdue, name="overdue"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/evidence/", views.add_evidence, name="add_evidence"),
    path("<int:pk>/evidence/<int:evidence_pk>/", views.evidence_file, name="evidence_file"),
    path("<int:pk>/step/<str:step>/", views.step, name="step"),
]

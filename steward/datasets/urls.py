"""URLs of datasets: lists, my work, the form, review, steps, history, meetings, notices."""

from django.urls import path

from steward.datasets import step_views, views

app_name = "datasets"
urlpatterns = [
    path("", views.index, name="index"),
    path("queue/", views.queue, name="queue"),
    path("new/", views.create, name="create"),
    path("field-list/", views.field_list, name="field_list"),
    path("meetings/", step_views.meetings, name="meetings"),
    path("notices/", step_views.notices, name="notices"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/history/", views.history, name="history"),
    path("<int:pk>/step/<str:step>/", step_views.take_step, name="step"),
]

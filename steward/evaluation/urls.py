"""URLs of evaluation."""

from django.urls import path

from steward.evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.index, name="index"),
    path("run/", views.run_new, name="run_new"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/figures/<int:result>/", views.figure, name="figure"),
    path("runs/<int:pk>/awards/", views.decide_awards, name="awards"),
    path("self-reports/", views.self_reports, name="self_reports"),
    path("self-reports/<int:pk>/", views.self_report, name="self_report"),
    path("improvement-reports/<int:pk>/", views.improvement_report, name="improvement_report"),
]

"""URLs of committees (諮詢小組, 工作小組): the list, a committee, a meeting, and their steps."""

from django.urls import path

from steward.committees import views

app_name = "committees"
urlpatterns = [
    path("", views.index, name="index"),
    path("set-up/", views.set_up, name="set_up"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/members/", views.member_add, name="member_add"),
    path("members/<int:pk>/end/", views.member_end, name="member_end"),
    path("<int:pk>/meetings/", views.meeting_add, name="meeting_add"),
    path("meetings/<int:pk>/", views.meeting, name="meeting"),
    path("meetings/<int:pk>/agenda/", views.agenda_refresh, name="agenda_refresh"),
    path("meetings/<int:pk>/minutes/", views.minutes, name="minutes"),
    path("not-provided/", views.not_provided, name="not_provided"),
    path("not-provided/<int:pk>/approve/", views.approve_not_provided, name="approve_not_provided"),
]

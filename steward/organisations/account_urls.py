"""Sign in, sign out, password change and reset (Django's own views, our templates); the
second factor and the unlocking of sign-in lockouts (steward/organisations/signin)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from steward.organisations.signin import views as signin_views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("two-factor/", signin_views.two_factor, name="two_factor"),
    path("two-factor/enrol/", signin_views.two_factor_enrol, name="two_factor_enrol"),
    path("two-factor/verify/", signin_views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/disable/", signin_views.two_factor_disable, name="two_factor_disable"),
    path("lockouts/", signin_views.lockout_list, name="lockouts"),
    path("lockouts/unlock/", signin_views.lockout_unlock, name="lockout_unlock"),
]

"""App configuration for feedback."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "steward.feedback"
    label = "feedback"
    verbose_name = _("Public feedback")

    def ready(self) -> None:
        from steward.audit.labels import register_actions, register_states
        from steward.feedback.models import Status

        register_actions(
            {
                "feedback.receive": _("received from the public"),
                "feedback.enter": _("entered by staff"),
                "feedback.assign": _("assigned"),
                "feedback.draft": _("reply drafted"),
                "feedback.submit": _("reply submitted to the CIO"),
                "feedback.approve": _("reply approved by the CIO"),
                "feedback.return": _("reply returned for changes"),
                "feedback.send": _("reply sent"),
                "feedback.close": _("closed"),
                "feedback.decide": _("decision recorded in the inventory"),
                "feedback.remind": _("reminder sent"),
                "feedback.escalate": _("escalated as overdue"),
            }
        )
        register_states(Status.choices)

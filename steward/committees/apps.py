"""App configuration for committees."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommitteesConfig(AppConfig):
    name = "steward.committees"
    label = "committees"
    verbose_name = _("Committees and working groups")

    def ready(self) -> None:
        from steward.audit.labels import register_actions

        register_actions(
            {
                "committee.setup": _("committees set up from the action plan"),
                "committee.member_add": _("member added"),
                "committee.member_end": _("membership ended"),
                "committee.meeting_record": _("meeting recorded"),
                "committee.agenda_refresh": _("agenda brought up to date"),
                "committee.minutes": _("minutes and decisions recorded"),
                "committee.not_provided_approve": _("not-provided classification approved"),
            }
        )

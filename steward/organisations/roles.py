"""What each role does in the programme, in the plans' own words, for the home pages."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from steward.organisations.models import Role

ROLE_DUTIES: dict[Role, list[Promise]] = {
    Role.LIAISON: [
        _("Keep your organisation's inventory (資料資產盤點表) complete and classified."),
        _("Draft dataset metadata to the national standard and submit it for unit review."),
        _("Run the quarterly quality self-check (2-1) and fix what it finds."),
        _("Answer public feedback within the plan's response limit."),
    ],
    Role.UNIT_REVIEWER: [
        _("Review datasets drafted by your unit before they go further (初審)."),
        _("Approve edits to published datasets (DGBAS: the unit reviewer alone)."),
    ],
    Role.INFORMATION_CENTRE: [
        _("Compile every agency's inventory and submit it for the CIO's approval."),
        _("Review submitted datasets (複審) and bring them to the advisory committee."),
        _("Publish approved metadata to the national portal and spot-check quality (2-2)."),
        _("Keep the action plan, its schedule and the office calendar up to date."),
    ],
    Role.CIO: [
        _("Approve the compiled inventory and the opening list (核定)."),
        _("Approve replies to the public where the plan requires it (MOJ)."),
    ],
    Role.HEAD_OF_AGENCY: [
        _("Approve withdrawals (停止提供) and refusals to provide data."),
    ],
    Role.COMMITTEE_MEMBER: [
        _("Decide the opening list and withdrawals in committee meetings."),
        _("Review the action plan and the year's results."),
    ],
    Role.AUDITOR: [
        _("Read everything in your scope; change nothing."),
    ],
}
